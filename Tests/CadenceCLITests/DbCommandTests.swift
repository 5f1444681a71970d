import CadencePostgres
import Foundation
import Testing

extension ProcessTests {
    /// `cadence db migrate` as an operator runs it, and what other commands say when --db is a PostgreSQL URL.
    @Suite("cadence db migrate")
    struct DbCommandTests {
        @Test(
            "db migrate creates the schema on PostgreSQL, then finds nothing to do; the password never shows",
            .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
        func postgres() async throws {
            try await PostgresTestServer.withScratchDatabase { url in
                let first = try CadenceBinary.run(["db", "migrate", "--db", url], environment: ["PGPASSWORD": "not-needed-but-secret"])
                #expect(first.status == 0, "\(first.stderr)")
                #expect(first.stdout == "Created Cadence's schema (version \(PostgresSchema.latest)) in \(url).\n")
                let again = try CadenceBinary.run(["db", "migrate", "--db", url])
                #expect(again.stdout == "\(url) is already at schema version \(PostgresSchema.latest); nothing to do.\n")
                #expect(!(first.stdout + first.stderr).contains("not-needed-but-secret"))
            }
        }

        @Test("db migrate on a SQLite file; an unreachable server and a bad URL are refused with what to do; other commands refuse a URL")
        func sqliteAndRefusals() throws {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-db-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent("cadence.sqlite").path
            let sqlite = try CadenceBinary.run(["db", "migrate", "--db", file])
            #expect(sqlite.status == 0, "\(sqlite.stderr)")
            #expect(sqlite.stdout.hasPrefix("\(file) is at the latest schema"))
            #expect(FileManager.default.fileExists(atPath: file))

            let unreachable = try CadenceBinary.run(["db", "migrate", "--db", "postgres://ana:hunter2@127.0.0.1:1/agency?sslmode=disable"])
            #expect(unreachable.status == 65)
            #expect(unreachable.stderr.hasPrefix("cadence: error: cannot connect to postgres://ana@127.0.0.1:1/agency?sslmode=disable: "), "\(unreachable.stderr)")
            #expect(!unreachable.stderr.contains("hunter2"))

            let bad = try CadenceBinary.run(["db", "migrate", "--db", "postgres://db.example.com/agency?sslmode=strict"])
            #expect(bad.status == 65)
            #expect(bad.stderr.contains("sslmode is \"strict\"; use one of disable, allow, prefer, require, verify-ca, verify-full"), "\(bad.stderr)")

            let status = try CadenceBinary.run(["status", "--db", "postgres://ana@db.example.com/agency"])
            #expect(status.status != 0)
            #expect(status.stderr.contains("the database is a PostgreSQL URL"), "\(status.stderr)")
            #expect(!FileManager.default.fileExists(atPath: "postgres:"))
        }
    }
}
