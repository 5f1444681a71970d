import CadenceCore
import CadenceEngine
import Foundation
import Testing

/// `CSVParser` replaced CSV.swift and the byte pre-check in front of it. Random files built from the pieces that
/// trip CSV readers (quotes, doubled quotes, commas, CRLF and LF, bytes that are not UTF-8, a cut multi-byte
/// sequence, a byte-order mark) must give what the old reader gave: the same candidates on the same lines, the
/// same row problems, or the same located refusal of the file.
@Suite("CSVParser against the reader it replaced")
struct CSVParserFuzzTests {
    enum Outcome: Equatable, CustomStringConvertible {
        case refused([String])
        case read([String])

        var description: String {
            switch self {
            case .refused(let problems): "refused: " + problems.joined(separator: " | ")
            case .read(let rows): "read: " + rows.joined(separator: " | ")
            }
        }
    }

    static let pieces: [[UInt8]] = [
        Array("ana@example.org".utf8), Array("b@x.org".utf8), Array("Ana".utf8), Array(" ".utf8), Array(",".utf8), Array(",".utf8), Array("\"".utf8),
        Array("\"\"".utf8), Array("\r\n".utf8), Array("\n".utf8), Array("\n".utf8), Array("é".utf8), [0xFF], [0xC3], Array("x".utf8), Array("Europe/Madrid".utf8),
    ]

    static func outcome(_ read: (String, (CandidateFile.Row) throws -> Void) throws -> Void, bytes: [UInt8]) -> Outcome {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-fuzz-\(UUID().uuidString).csv").path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var rows: [String] = []
        do {
            try read(path) { row in
                switch row {
                case .candidate(let candidate):
                    rows.append("\(candidate.line): \(candidate.email) \(candidate.fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";"))")
                case .problems(let diagnostics): rows += diagnostics.map(\.description)
                }
            }
        } catch CandidateFile.OpenError.problems(let problems) {
            return .refused(problems.map(\.description))
        } catch {
            return .refused(["\(error)"])
        }
        return .read(rows)
    }

    @Test("2,000 random files per seed read the same as with CSV.swift and the pre-check", arguments: 0..<3)
    func sameAsBefore(seed: UInt64) {
        var random = SplitMix64(seed: 0xC5F0_0000 + seed)
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        var differences = 0
        for _ in 0..<2_000 {
            // Mostly a good header, so the rows get read; sometimes a random one.
            var bytes = pick(6) == 0 ? (0..<(1 + pick(6))).flatMap { _ in Self.pieces[pick(Self.pieces.count)] } : Array("email,firstName,timezone\n".utf8)
            // A byte-order mark, except before a quote: the old pre-check took the mark for data there, so the quote
            // was not at a field's start (`byteOrderMarkThenQuote` holds the new reader to the right answer).
            if pick(8) == 0, bytes.first != UInt8(ascii: "\"") { bytes = [0xEF, 0xBB, 0xBF] + bytes }
            for _ in 0..<pick(40) { bytes += Self.pieces[pick(Self.pieces.count)] }
            let new = Self.outcome({ path, body in try CandidateFile(path: path, display: "people.csv").forEachRow(body) }, bytes: bytes)
            let old = Self.outcome({ path, body in try LegacyCandidateFile(path: path, display: "people.csv").forEachRow(body) }, bytes: bytes)
            if new != old {
                differences += 1
                if differences <= 5 {
                    Issue.record("seed \(seed): \(String(decoding: bytes, as: UTF8.self).debugDescription) \(bytes.map { String(format: "%02x", $0) }.joined())\n  new \(new)\n  old \(old)")
                }
            }
        }
        #expect(differences == 0)
    }

    @Test("a file read in chunks of any size gives the same records and problems as read whole")
    func chunking() {
        var random = SplitMix64(seed: 0xC5F0_1000)
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        func parse(_ bytes: [UInt8], chunk: Int) -> ([String], [CSVParser.Problem]) {
            var parser = CSVParser()
            var records: [String] = []
            var offset = 0
            while offset < bytes.count {
                let piece = Array(bytes[offset..<min(bytes.count, offset + chunk)])
                piece.withUnsafeBufferPointer { parser.feed($0) { fields, line in records.append("\(line):\(fields)") } }
                offset += chunk
            }
            parser.finish { fields, line in records.append("\(line):\(fields)") }
            return (records, parser.problems)
        }
        for _ in 0..<500 {
            var bytes: [UInt8] = pick(4) == 0 ? [0xEF, 0xBB, 0xBF] : []
            for _ in 0..<pick(60) { bytes += Self.pieces[pick(Self.pieces.count)] + (pick(10) == 0 ? [UInt8(ascii: "\r")] : []) }
            let whole = parse(bytes, chunk: max(1, bytes.count))
            for chunk in [1, 2, 3, 7] {
                let pieces = parse(bytes, chunk: chunk)
                #expect(pieces.0 == whole.0 && pieces.1 == whole.1, "chunks of \(chunk): \(String(decoding: bytes, as: UTF8.self).debugDescription)")
            }
        }
    }

    @Test("a byte-order mark before a quoted header: the quote opens the value (the old pre-check took the mark for data and missed it)")
    func byteOrderMarkThenQuote() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-bom-\(UUID().uuidString).csv").path
        FileManager.default.createFile(atPath: path, contents: Data([0xEF, 0xBB, 0xBF] + Array("\"email\",\"first\nName\" x\nana@example.org,Ana\n".utf8)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(
            throws: CandidateFile.OpenError.problems([
                .error("a quoted value (opened on line 1) ends with a quote followed by more text; double a quote inside a value (\"\")", file: "people.csv", at: .line(2))
            ])
        ) {
            try CandidateFile(path: path, display: "people.csv").forEachRow { _ in }
        }
        FileManager.default.createFile(atPath: path, contents: Data([0xEF, 0xBB, 0xBF] + Array("\"email\",firstName\nana@example.org,Ana\n".utf8)))
        var emails: [String] = []
        try CandidateFile(path: path, display: "people.csv").forEachRow { row in if case .candidate(let candidate) = row { emails.append(candidate.email.description) } }
        #expect(emails == ["ana@example.org"])
    }
}
