import CadenceCore
import CadenceEngine
import CadenceStore
import Foundation
import Testing

@Suite("suppress import's file: one per line, a CSV's first column, or an export read back; every problem located")
struct SuppressionFileTests {
    func read(_ bytes: [UInt8]) -> Result<[String], SuppressionFile.Failure> {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-supp-\(UUID().uuidString).csv").path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            return .success(try SuppressionFile.read(path: path, display: "list.csv").map { "\($0.kind.rawValue):\($0.value)" })
        } catch {
            return .failure(error)
        }
    }

    @Test("a CSV with a header, quoted cells holding commas, CRLF lines, blank lines and an @domain")
    func csv() {
        let file = "email,name\r\n\"Ana.Ruiz@Example.org\",\"Ruiz, Ana\"\r\n\r\n@Acme.com,\r\nbo@x.org\r\n"
        #expect(read(Array(file.utf8)) == .success(["address:ana.ruiz@example.org", "domain:acme.com", "address:bo@x.org"]))
    }

    @Test("an export read back keeps forgotten people's hashes; a damaged hash is named")
    func export() {
        let hash = String(repeating: "ab", count: 32)
        let file = "kind,value,reason,addedAt\ndomain,acme.com,\"client, do not contact\",2026-12-01T10:00:00Z\nhash,\(hash),forgotten,2026-12-01T10:00:00Z\n"
        #expect(read(Array(file.utf8)) == .success(["domain:acme.com", "hash:\(hash)"]))
        #expect(
            read(Array("kind,value\nhash,abc\n".utf8))
                == .failure(.problems([.error("\"abc\" is not a forgotten person's hash", file: "list.csv", at: .line(2))])))
    }

    @Test("bad entries, bytes that are not UTF-8 and an unclosed quote are located; nothing is returned")
    func problems() {
        #expect(
            read(Array("a@b.org\nnot an address\nx@\n".utf8))
                == .failure(
                    .problems([
                        .error("\"not an address\" is neither an email address nor a domain such as example.com", file: "list.csv", at: .line(2)),
                        .error("\"x@\" is not an email address: it has nothing after the @", file: "list.csv", at: .line(3)),
                    ])))
        #expect(
            read(Array("a@b.org\nc@d".utf8) + [0xE9] + Array(".org\n\"e@f.org\n".utf8))
                == .failure(
                    .problems([
                        .error("this line is not valid UTF-8; save the file as UTF-8 (CSV UTF-8 in Excel)", file: "list.csv", at: .line(2)),
                        .error("the quote opened on this line is never closed; close it, or double a quote inside a value (\"\")", file: "list.csv", at: .line(3)),
                    ])))
    }

    @Test("a file of bad entries lists the first 100 and counts the rest")
    func manyBadEntries() {
        let result = read(Array(("email\n" + (1...150).map { "person \($0)\n" }.joined()).utf8))
        guard case .failure(.problems(let problems)) = result else {
            Issue.record("read a file of bad entries: \(result)")
            return
        }
        #expect(problems.count == 101)
        #expect(problems[99].description == "list.csv:101: error: \"person 100\" is neither an email address nor a domain such as example.com")
        #expect(problems.last?.description == "list.csv: error: … and 50 more problems, not listed")
    }
}
