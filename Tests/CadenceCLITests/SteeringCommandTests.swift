import Foundation
import Testing

extension ProcessTests {
    /// The store commands as a person runs them, with every bad input: one line, a non-zero exit, nothing changed.
    @Suite("launch, status and steering, as processes")
    struct SteeringCommandTests {
        static func database() -> String {
            FileManager.default.temporaryDirectory.appendingPathComponent("cadence-cli-\(UUID().uuidString).sqlite").path
        }

        func run(_ arguments: [String], db: String) throws -> CadenceBinary.Output {
            try CadenceBinary.run(arguments + ["--db", db], environment: ["CADENCE_NOW": "2026-11-30T10:00:00Z", "USER": "sam"])
        }

        func fileBytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

        @Test("commands that need a database say how to get one, exit 65 and create nothing")
        func missingDatabase() throws {
            let db = Self.database()
            for command in [["status"], ["show", "ana.ruiz@example.org"], ["pause", "backend-engineers"], ["tasks"], ["suppress", "list"]] {
                let output = try run(command, db: db)
                #expect(output.status == 65, "\(command)")
                #expect(output.stderr == "cadence: error: no database at \(db); launch a campaign first (cadence launch), or point --db or CADENCE_DB at yours\n", "\(command)")
            }
            #expect(!FileManager.default.fileExists(atPath: db))
        }

        @Test("a file that is not a database is refused and left untouched")
        func corruptDatabase() throws {
            let db = Self.database()
            defer { try? FileManager.default.removeItem(atPath: db) }
            try Data("not a database, just text\n".utf8).write(to: URL(fileURLWithPath: db))
            let output = try run(["status"], db: db)
            #expect(output.status == 65)
            #expect(output.stderr == "cadence: error: \(db) is not a Cadence database or is damaged; restore it from a backup, or point --db elsewhere\n")
            #expect(fileBytes(db) == Data("not a database, just text\n".utf8))
        }

        @Test("unknown campaigns, candidates and tasks are one-line errors that change nothing")
        func unknowns() throws {
            let db = Self.database()
            defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) } }
            #expect(try run(["launch", "backend-engineers", "--candidates", "examples/candidates.csv"], db: db).status == 0)
            let before = try run(["status", "--format", "json"], db: db).stdout
            let pause = try run(["pause", "backend-enginers"], db: db)
            #expect(pause.status == 65)
            #expect(pause.stderr == "cadence: error: no campaign \"backend-enginers\" has been launched (launched: backend-engineers); did you mean \"backend-engineers\"?\n")
            let show = try run(["show", "nobody@example.org"], db: db)
            #expect(show.status == 65)
            #expect(show.stderr.hasPrefix("cadence: error: no candidate nobody@example.org in "))
            let done = try run(["tasks", "done", "42"], db: db)
            #expect(done.status == 65)
            #expect(done.stderr == "cadence: error: no task 42; `cadence tasks` lists the open ones\n")
            let badAddress = try run(["show", "nobody"], db: db)
            #expect(badAddress.status == 64)
            #expect(try run(["status", "--format", "json"], db: db).stdout == before)
        }

        @Test("a candidates file that cannot be read mid-way stops the launch and writes nothing")
        func unreadableCandidates() throws {
            let db = Self.database()
            defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) } }
            // Reading /proc/self/mem fails with an I/O error, as a file on a failing disk or a vanished mount does.
            let output = try run(["launch", "backend-engineers", "--candidates", "/proc/self/mem"], db: db)
            #expect(output.status == 65)
            #expect(output.stdout == "/proc/self/mem: error: reading the file failed after line 0; check that it is still there and readable\n")
            // The launch created the database and failed: it leaves no file behind.
            #expect(!FileManager.default.fileExists(atPath: db))
        }

        @Test("launch, relaunch, tasks, stop, suppress and forget end to end")
        func endToEnd() throws {
            let db = Self.database()
            defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) } }
            let first = try run(["launch", "backend-engineers", "--candidates", "examples/candidates.csv", "--start", "2026-12-01T08:00:00Z", "--format", "json"], db: db)
            #expect(first.status == 0)
            #expect(first.stdout.contains("\"enrolled\" : 4"))
            let again = try run(["launch", "backend-engineers", "--candidates", "examples/candidates.csv"], db: db)
            #expect(again.stdout.contains("4 skipped:"))
            #expect(try run(["tasks"], db: db).stdout == "No open tasks.\n")
            let stop = try run(["stop", "--candidate", "ana.ruiz@example.org", "--note", "hired"], db: db)
            #expect(stop.stdout == "Stopped ana.ruiz@example.org: 1 enrolment.\n")
            #expect(try run(["show", "ana.ruiz@example.org"], db: db).stdout.contains("backend-engineers, from mailbox sam: stopped: by hand: hired"))
            #expect(try run(["suppress", "add", "example.de", "--reason", "client"], db: db).stdout == "Suppressed 1 new entry (0 already there).\n")
            #expect(try run(["suppress", "export"], db: db).stdout == "kind,value,reason,addedAt\ndomain,example.de,\"client\",2026-11-30T10:00:00Z\n")
            let forget = try run(["forget", "zoe.oconnor@example.net"], db: db)
            #expect(forget.stdout == "Erased zoe.oconnor@example.net and 1 enrolment; a hash of the address stays on the suppression list.\n")
            let status = try run(["status", "--format", "json"], db: db).stdout
            #expect(status.contains("\"candidates\" : 4"))
            #expect(!status.contains("zoe"))
        }
    }
}
