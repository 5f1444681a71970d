import CadenceCore
import Foundation
import Testing

@testable import CadenceEngine
@testable import CadenceStore

@Suite("The launch's reading thread: rows in order, the file's error after them, the thread ended by finish")
struct RowPrefetchTests {
    func file(_ bytes: [UInt8]) throws -> (CandidateFile, path: String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-\(UUID().uuidString).csv").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (CandidateFile(path: path, display: "people.csv"), path)
    }

    @Test("5,000 rows come in batches of 2,000 in file order, each with its fields as stored; bytes that are not UTF-8 at row 4,500 come as the file's error once the batches before were taken")
    func batchesThenError() throws {
        var text = Array("email,firstName\n".utf8)
        for index in 0..<5_000 {
            text += Array("p\(index)@example.org,".utf8) + (index == 4_500 ? [0xFF] : Array("P\(index)".utf8)) + [0x0A]
        }
        let (file, path) = try file(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reading = RowPrefetch(file, batchSize: 2_000)
        defer { reading.finish() }
        var lines: [Int] = []
        var failure: (any Error)?
        do {
            while let batch = try reading.next() {
                #expect(batch.rows.count == 2_000)
                var index = 0
                for row in batch.rows {
                    guard case .candidate(let candidate) = row else { continue }
                    lines.append(candidate.line)
                    #expect(batch.candidates.candidates[index] == candidate)
                    #expect(batch.candidates.fieldsText(index) == FlatJSON.encode(candidate.fields))
                    #expect(batch.candidates.keys[index] == AddressKey.normalized(candidate.email))
                    #expect(batch.candidates.addresses[index] == candidate.email.description)
                    index += 1
                }
                #expect(batch.candidates.candidates.count == index)
            }
        } catch {
            failure = error
        }
        #expect(lines == Array(2..<4_002))
        #expect(failure is CandidateFile.OpenError, "\(String(describing: failure))")
    }

    @Test("a launch that stops after one batch ends the reading thread; a second finish is harmless")
    func stopEarly() throws {
        var text = Array("email\n".utf8)
        for index in 0..<20_000 { text += Array("p\(index)@example.org\n".utf8) }
        let (file, path) = try file(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reading = RowPrefetch(file, batchSize: 1_000)
        #expect(try reading.next()?.rows.count == 1_000)
        reading.finish()
        #expect(try reading.next() == nil)
        reading.finish()
    }
}
