import CadenceCore
import Foundation
import PropertyBased
import Testing

/// Fuzzing the parsers: whatever the bytes, the result is a valid value or located errors; never a crash or a hang.
@Suite("Parser properties (fixed seed, bounded cases)")
struct ParserPropertyTests {
    static let campaign = Array(SequenceDecoderTests.valid.utf8)
    static let configuration = Array(ConfigurationDecoderTests.valid.utf8)
    /// Bytes people and tools get wrong in JSON, weighted into the mutations.
    static let interesting: [UInt8] = Array("{}[]\",:\\ \n\t0123456789-.eE'/tfnu".utf8) + [0x00, 0x7F, 0xC3, 0xA9, 0xE2, 0x80, 0xFF, 0xEF, 0xBB, 0xBF]

    enum Mutation: Sendable {
        case delete(position: Int, length: Int)
        case insert(position: Int, byte: UInt8)
        case replace(position: Int, byte: UInt8)
        case duplicate(position: Int, length: Int)
    }

    static var mutation: Generator<Mutation, AnySequence<Any>> {
        Gen.oneOf(
            zip(Gen.int(in: 0...10_000), Gen.int(in: 1...8)).map { Mutation.delete(position: $0, length: $1) }.eraseToAnySequence(),
            zip(Gen.int(in: 0...10_000), Gen.element(of: interesting).map { $0! }).map { Mutation.insert(position: $0, byte: $1) }.eraseToAnySequence(),
            zip(Gen.int(in: 0...10_000), Gen.element(of: interesting).map { $0! }).map { Mutation.replace(position: $0, byte: $1) }.eraseToAnySequence(),
            zip(Gen.int(in: 0...10_000), Gen.int(in: 1...40)).map { Mutation.duplicate(position: $0, length: $1) }.eraseToAnySequence()
        ).eraseToAny()
    }

    static func apply(_ mutations: [Mutation], to original: [UInt8]) -> [UInt8] {
        var bytes = original
        for mutation in mutations {
            switch mutation {
            case .delete(let position, let length):
                guard !bytes.isEmpty else { continue }
                let start = position % bytes.count
                bytes.removeSubrange(start..<min(bytes.count, start + length))
            case .insert(let position, let byte):
                bytes.insert(byte, at: position % (bytes.count + 1))
            case .replace(let position, let byte):
                guard !bytes.isEmpty else { continue }
                bytes[position % bytes.count] = byte
            case .duplicate(let position, let length):
                guard !bytes.isEmpty else { continue }
                let start = position % bytes.count
                bytes.insert(contentsOf: bytes[start..<min(bytes.count, start + length)], at: start)
            }
        }
        return bytes
    }

    /// Every diagnostic points inside the file (or one past its last line, for "unexpected end of file").
    static func expectLocated(_ diagnostics: [Diagnostic], in bytes: [UInt8], file: String, case index: Int) {
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for diagnostic in diagnostics {
            #expect(diagnostic.file == file)
            #expect(!diagnostic.message.isEmpty)
            guard let position = diagnostic.position else { continue }
            #expect(position.line >= 1 && position.line <= lines.count, "case \(index): \(diagnostic)")
            let lineLength = position.line <= lines.count ? String(decoding: lines[position.line - 1], as: UTF8.self).unicodeScalars.count : 0
            #expect(position.column >= 1 && position.column <= lineLength + 1, "case \(index): \(diagnostic)")
        }
    }

    @Test("mutated campaign files decode to a campaign or to located errors")
    func mutatedCampaigns() {
        seededCheck(count: 2_000, Self.mutation.array(of: 1...4)) { index, mutations in
            let bytes = Self.apply(mutations, to: Self.campaign)
            let result = SequenceDecoder.decode(bytes, file: "c.json")
            if result.campaign == nil {
                #expect(result.diagnostics.hasErrors, "case \(index): no campaign and no error for \(String(decoding: bytes, as: UTF8.self))")
            } else {
                #expect(!result.diagnostics.hasErrors, "case \(index)")
            }
            Self.expectLocated(result.diagnostics, in: bytes, file: "c.json", case: index)
        }
    }

    @Test("mutated configuration files decode to a configuration or to located errors")
    func mutatedConfigurations() {
        seededCheck(count: 1_000, Self.mutation.array(of: 1...4)) { index, mutations in
            let bytes = Self.apply(mutations, to: Self.configuration)
            let result = ConfigurationDecoder.decode(bytes, file: "cadence.json")
            #expect((result.configuration == nil) == result.diagnostics.hasErrors, "case \(index)")
            Self.expectLocated(result.diagnostics, in: bytes, file: "cadence.json", case: index)
        }
    }

    @Test("random bytes never crash the parser and always give a value or one located error")
    func randomBytes() {
        let bytes = Gen.element(of: Self.interesting + Array(0...255)).map { $0! }.array(of: 0...200)
        seededCheck(count: 2_000, bytes) { index, input in
            let result = JSONParser.parse(input, file: "r.json")
            if result.value == nil { #expect(result.diagnostics.count == 1, "case \(index)") }
            Self.expectLocated(result.diagnostics, in: input, file: "r.json", case: index)
        }
    }

    @Test("any string survives JSON encoding and our parser unchanged")
    func stringRoundTrip() throws {
        let scalars = Gen.uint32(in: 0...0x10FFFF).compactMap { UnicodeScalar($0) }.array(of: 0...40)
        try seededCheck(count: 1_000, scalars) { index, input in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: input)
            let string = String(view)
            let encoded = try JSONEncoder().encode([string])
            let result = JSONParser.parse(Array(encoded), file: "s.json")
            #expect(result.value?.kind == .array([JSONValue(kind: .string(string), position: SourcePosition(line: 1, column: 2))]), "case \(index)")
        }
    }

    @Test("every delay prints in the syntax it parses from")
    func delayRoundTrip() {
        let delays = zip(Gen.int(in: 0...260), Gen.int(in: 0...3)).map { count, unit -> Delay in
            [Delay.minutes(count), .hours(count), .days(count), .businessDays(count)][unit]
        }
        seededCheck(count: 500, delays) { index, delay in
            #expect((try? Delay.parse(delay.description).get()) == delay, "case \(index)")
        }
    }
}
