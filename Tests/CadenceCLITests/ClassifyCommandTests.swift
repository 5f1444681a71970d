import Foundation
import Testing

extension ProcessTests {
    /// `cadence classify` as a person runs it on saved mail: class, rule, return date and the person in this
    /// project, with nothing in the project changed.
    @Suite("classify, as a process")
    struct ClassifyCommandTests {
        static let corpus = CadenceBinary.repositoryRoot.appendingPathComponent("Tests/CadenceCoreTests/Fixtures/corpus")

        func run(_ arguments: [String], db: String) throws -> CadenceBinary.Output {
            try CadenceBinary.run(arguments + ["--db", db], environment: ["CADENCE_NOW": "2026-11-30T10:00:00Z", "USER": "sam"])
        }

        @Test("a plain-text failure notice is matched to the enrolled person through its returned copy; the database is unchanged")
        func matchesPersonReadOnly() throws {
            let db = SteeringCommandTests.database()
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-classify-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
                try? FileManager.default.removeItem(at: folder)
            }
            #expect(try run(["launch", "backend-engineers", "--candidates", "examples/candidates.csv"], db: db).status == 0)
            let notice = folder.appendingPathComponent("notice.eml")
            try Data(
                """
                From: MAILER-DAEMON@mx.example.org
                To: sam@northwind.example.com
                Subject: failure notice
                Date: Mon, 30 Nov 2026 09:00:00 +0100

                Hi. This is the qmail-send program at mx.example.org.
                I'm afraid I wasn't able to deliver your message to the following addresses.

                <a.ruiz@internal.example.org>:
                Sorry, no mailbox here by that name. (#5.1.1)

                --- Below this line is a copy of the message.

                From: Sam Lee <sam@northwind.example.com>
                To: Ana Ruiz <Ana.Ruiz@example.org>
                Subject: Quick question

                Hi Ana

                """.utf8
            ).write(to: notice)
            let before = try run(["status", "--format", "json"], db: db).stdout
            let text = try run(["classify", notice.path], db: db)
            #expect(text.status == 0, "\(text.stderr)")
            #expect(
                text.stdout == """
                    \(notice.path)
                      class:   bounce (5.1.1)
                      rule:    bounce.notice
                      person:  ana.ruiz@example.org (campaign backend-engineers)

                    """)
            let json = try run(["classify", "--format", "json", notice.path], db: db)
            let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
            #expect(decoded?.first?["person"] as? String == "ana.ruiz@example.org")
            #expect(decoded?.first?["permanent"] as? Bool == true)
            #expect(try run(["status", "--format", "json"], db: db).stdout == before)
        }

        @Test("without a project the person is not looked up; an out-of-office says its return date and rule")
        func withoutProject() throws {
            let db = SteeringCommandTests.database()
            let file = Self.corpus.appendingPathComponent("auto-replies/de-server-rule-urlaub-no-header.eml").path
            let output = try run(["classify", file], db: db)
            #expect(output.status == 0)
            #expect(output.stdout.contains("  class:   out-of-office\n  rule:    out-of-office.wording:de\n  returns: 2026-12-07\n"))
            #expect(output.stdout.contains("  person:  not looked up: no project database at \(db)\n"))
            #expect(!FileManager.default.fileExists(atPath: db))
        }

        @Test("a file that cannot be read is named, exit 66, nothing printed")
        func missingFile() throws {
            let db = SteeringCommandTests.database()
            let output = try run(["classify", "no-such-message.eml"], db: db)
            #expect(output.status == 66)
            #expect(output.stdout == "")
            #expect(output.stderr == "cadence: error: no-such-message.eml: cannot be read (no such file, or not a file); give the path of a saved message (.eml)\n")
        }
    }
}
