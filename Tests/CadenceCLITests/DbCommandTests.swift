import CadenceCore
import CadencePostgres
import CadenceStore
import Foundation
import GRDB
import Logging
import PostgresNIO
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

        @Test("db migrate on a SQLite file; an unreachable server and a bad URL are refused with what to do, by db migrate and by stats")
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
            #expect(bad.stderr.contains("sslmode is not one Cadence knows; use one of disable, allow, prefer, require, verify-ca, verify-full"), "\(bad.stderr)")

            // The reading commands go to PostgreSQL too, and say the same when it is not there.
            let stats = try CadenceBinary.run(["stats", "--db", "postgres://ana:hunter2@127.0.0.1:1/agency?sslmode=disable"])
            #expect(stats.status == 65)
            #expect(stats.stderr.hasPrefix("cadence: error: cannot connect to postgres://ana@127.0.0.1:1/agency?sslmode=disable: "), "\(stats.stderr)")
            #expect(!stats.stderr.contains("hunter2"))
            #expect(!FileManager.default.fileExists(atPath: "postgres:"))
        }
    }
}

extension ProcessTests.DbCommandTests {
    /// A project with a launched campaign and its first sends, in a folder of its own.
    static func projectWithSends() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-copy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for item in ["cadence.json", "sequences", "templates", "examples"] {
            try FileManager.default.copyItem(at: CadenceBinary.repositoryRoot.appendingPathComponent(item), to: root.appendingPathComponent(item))
        }
        let launch = try CadenceBinary.run(
            ["launch", "backend-engineers", "--candidates", "examples/candidates.csv"], in: root, environment: ["CADENCE_NOW": "2026-11-30T10:00:00Z", "USER": "sam"])
        #expect(launch.status == 0, "\(launch.stderr)")
        for now in ["2026-12-01T15:00:00Z", "2026-12-04T15:00:00Z", "2026-12-09T15:00:00Z"] {
            let run = try CadenceBinary.run(["run", "--once"], in: root, environment: ["CADENCE_NOW": now, "USER": "sam"])
            #expect(run.status == 0, "\(run.stderr)")
        }
        return root
    }

    /// Mail back from two people the runs sent to: a reply from one, an out-of-office from the other, opens and a
    /// click on their messages; written through the store, as `cadence run` and `serve` record them. Returns
    /// the two addresses.
    static func addRepliesAndTracking(_ root: URL) async throws -> (replied: String, away: String) {
        let path = root.appendingPathComponent("cadence.sqlite").path
        let sent = try await DatabaseQueue(path: path).read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT s.id, s.mailbox, s.providerThreadId, s.sentAt, c.address FROM sendRecord s JOIN enrollment e ON e.id = s.enrollmentId
                    JOIN candidate c ON c.id = e.candidateId WHERE s.state = 'sent' ORDER BY s.id
                    """
            ).map { (id: $0["id"] as Int64, mailbox: $0["mailbox"] as String, thread: $0["providerThreadId"] as String?, sentAt: $0["sentAt"] as Date, address: $0["address"] as String) }
        }
        // Zoë replies; Kim, whom the steering commands below stop, is away. (Not Ana: they pause her and do her task.)
        let people = ["zoe.oconnor@example.net", "kim@example.com"]
        try #require(Set(sent.map(\.address)).isSuperset(of: people), "the runs sent to \(Set(sent.map(\.address)))")
        let database = try CadenceDatabase.open(path: path, mode: .existing)
        for (index, address) in people.prefix(2).enumerated() {
            let first = try #require(sent.first { $0.address == address })
            let at = first.sentAt.addingTimeInterval(3_600 * Double(index + 2))
            _ = try await database.applyIncoming(
                IncomingMessage(
                    mailbox: first.mailbox, providerMessageID: "back-\(index)", providerThreadID: first.thread, from: address, references: [],
                    incomingClass: index == 0 ? .reply : .outOfOffice(returns: nil), snippet: index == 0 ? "Sounds good, let's talk" : "Away until Monday",
                    receivedAt: at),
                now: at)
        }
        // A second message from Zoë at the very same time, recorded after the first: `label` takes the one recorded
        // last, as every reading of "her latest reply" does.
        let zoe = try #require(sent.first { $0.address == people[0] })
        let same = zoe.sentAt.addingTimeInterval(3_600 * 2)
        _ = try await database.applyIncoming(
            IncomingMessage(
                mailbox: zoe.mailbox, providerMessageID: "a-later-one", providerThreadID: zoe.thread, from: people[0], references: [], incomingClass: .reply,
                snippet: "And one more thing", receivedAt: same),
            now: same)
        for (index, send) in sent.prefix(6).enumerated() {
            var events = [
                TrackingEventRecord(sendRecordID: send.id, kind: .open, link: nil, eventClass: index % 2 == 0 ? .likelyHuman : .machine, at: send.sentAt.addingTimeInterval(120))
            ]
            if index % 3 == 0 { events.append(TrackingEventRecord(sendRecordID: send.id, kind: .click, link: 1, eventClass: .likelyHuman, at: send.sentAt.addingTimeInterval(240))) }
            try await database.recordTrackingEvents(events)
        }
        return (people[0], people[1])
    }

    /// Every table's rows in key order, as text: what must come back unchanged from a round trip.
    static func dump(_ path: String) throws -> [String: [String]] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            var tables: [String: [String]] = [:]
            for table in TableLayout.all {
                // The tables read in the order their rows were recorded are dumped in that order (a copy keeps it).
                let order = table.arrival ? "rowid" : table.key.joined(separator: ", ")
                tables[table.name] = try Row.fetchAll(db, sql: "SELECT * FROM \(table.name) ORDER BY \(order)").map(\.description)
            }
            return tables
        }
    }

    @Test(
        "db copy: SQLite to PostgreSQL and back gives every row unchanged; ids continue after the copied ones; refusals change nothing",
        .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
    func copyRoundTrip() async throws {
        let root = try Self.projectWithSends()
        defer { try? FileManager.default.removeItem(at: root) }
        let original = root.appendingPathComponent("cadence.sqlite").path
        // Text keys that sort differently byte by byte and by a language's collation (capitals, accents).
        let queue = try DatabaseQueue(path: original)
        try await queue.write { db in
            for mailbox in ["Zed", "amy", "Émile", "bob"] {
                try db.execute(sql: "INSERT INTO mailboxPause (mailbox, until, reason) VALUES (?, '2026-12-10 00:00:00.000', 'test')", arguments: [mailbox])
            }
        }
        try queue.close()
        let before = try Self.dump(original)
        #expect((before["sendRecord"]?.count ?? 0) > 0 && (before["event"]?.count ?? 0) > 0 && (before["stepTally"]?.count ?? 0) > 0)
        try await PostgresTestServer.withScratchDatabase { url in
            let there = try CadenceBinary.run(["db", "copy", "--from", "cadence.sqlite", "--to", url], in: root)
            #expect(there.status == 0, "\(there.stderr)")
            #expect(there.stdout.hasPrefix("Copied \(original) to \(url):\n"), "\(there.stdout)")
            #expect(there.stdout.contains("Every table's row count and checksum match"))

            // The copy held the source's runner lease while it read, and let it go.
            #expect(try CadenceBinary.run(["run", "--once"], in: root, environment: ["CADENCE_NOW": "2026-12-09T15:00:01Z", "USER": "sam"]).status == 0)
            let back = try CadenceBinary.run(["db", "copy", "--from", url, "--to", "back.sqlite"], in: root)
            #expect(back.status == 0, "\(back.stderr)")
            let returned = try Self.dump(root.appendingPathComponent("back.sqlite").path)
            for table in TableLayout.copied where table.name != "runnerLease" { #expect(returned[table.name] == before[table.name], "\(table.name)") }
            // The copy held the lease while it read (so its fence grew), and the copy arrives with that lease ended.
            let lease = try #require(returned["runnerLease"]?.first)
            #expect(lease.contains("owner:\"cadence db copy ") && lease.contains("expiresAt:\"1970-01-01 00:00:00.000\""), "\(lease)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasPrefix("back.sqlite.") }.isEmpty)

            // The sequences moved past the copied ids: PostgreSQL numbers the next candidate after the last.
            let database = try PostgresTestServer.database(url)
            let (next, last) = try await database.withConnection { connection in
                let next = try await connection.query(
                    "INSERT INTO candidate (addressKey, address, fields, createdAt, updatedAt) VALUES ('new@example.org', 'new@example.org', '{}', now(), now()) RETURNING id",
                    logger: Logger(label: "test")
                ).collect().first?.decode(Int.self)
                let last = try await connection.query("SELECT MAX(id) FROM candidate WHERE addressKey != 'new@example.org'", logger: Logger(label: "test"))
                    .collect().first?.decode(Int.self)
                return (next, last)
            }
            #expect(next != nil && next == last.map { $0 + 1 })

            // Into a database that holds rows, or over an existing file: refused, nothing changed.
            let again = try CadenceBinary.run(["db", "copy", "--from", "cadence.sqlite", "--to", url], in: root)
            #expect(again.status == 65)
            #expect(again.stderr.hasPrefix("cadence: error: nothing was copied: "), "\(again.stderr)")
            #expect(again.stderr.contains("already holds rows (in campaign, campaignVersion"), "\(again.stderr)")
            let overFile = try CadenceBinary.run(["db", "copy", "--from", url, "--to", "back.sqlite"], in: root)
            #expect(overFile.status == 65)
            #expect(overFile.stderr.hasPrefix("cadence: error: nothing was copied: "), "\(overFile.stderr)")
            #expect(overFile.stderr.contains("back.sqlite exists; copy into a new file"), "\(overFile.stderr)")
            #expect(try Self.dump(root.appendingPathComponent("back.sqlite").path) == returned)
        }
    }

    @Test("db copy refuses while a runner holds the lease or a send is in doubt, and writes nothing")
    func copyRefusals() throws {
        let root = try Self.projectWithSends()
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("cadence.sqlite").path
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "UPDATE sendRecord SET state = 'unknown' WHERE id = (SELECT MIN(id) FROM sendRecord)")
            try db.execute(
                sql: "INSERT OR REPLACE INTO runnerLease (id, owner, expiresAt, fence) VALUES (1, 'host-a:41', '2999-01-01 00:00:00.000', 7)")
        }
        try queue.close()
        let refused = try CadenceBinary.run(["db", "copy", "--from", "cadence.sqlite", "--to", "copy.sqlite"], in: root)
        #expect(refused.status == 65)
        #expect(refused.stderr == "cadence: error: nothing was copied: a runner (host-a:41) holds the lease until 2999-01-01 00:00 UTC; stop it first\n")
        let ended = try DatabaseQueue(path: path)
        try ended.write { db in try db.execute(sql: "UPDATE runnerLease SET expiresAt = '2000-01-01 00:00:00.000'") }
        try ended.close()
        let doubt = try CadenceBinary.run(["db", "copy", "--from", "cadence.sqlite", "--to", "copy.sqlite"], in: root)
        #expect(doubt.status == 65)
        #expect(
            doubt.stderr
                == "cadence: error: nothing was copied: 1 send is in doubt (begun, outcome not yet known); run `cadence run --once` to reconcile them first\n")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("copy.sqlite").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasPrefix("copy.sqlite") }.isEmpty)
        // A lease too short for one provider attempt and the time to record it is refused, saying the shortest.
        let short = try CadenceBinary.run(["run", "--once", "--lease", "5"], in: root, environment: ["CADENCE_NOW": "2026-12-09T15:00:01Z"])
        #expect(short.status != 0)
        #expect(short.stderr.contains("--lease 5 is too short") && short.stderr.contains("use at least --lease 8"), "\(short.stderr)")
        let same = try CadenceBinary.run(["db", "copy", "--from", "cadence.sqlite", "--to", "./cadence.sqlite"], in: root)
        #expect(same.status == 65)
        #expect(same.stderr.contains("the source and the destination are the same database"), "\(same.stderr)")
    }
}

extension ProcessTests.DbCommandTests {
    @Test("db copy refuses a value that is not what its column holds, naming the table and column, rather than copying it as empty")
    func copyRefusesUnreadableValues() throws {
        let root = try Self.projectWithSends()
        defer { try? FileManager.default.removeItem(at: root) }
        let queue = try DatabaseQueue(path: root.appendingPathComponent("cadence.sqlite").path)
        try queue.write { db in try db.execute(sql: "UPDATE sendRecord SET lookedUpAt = 'last tuesday' WHERE id = (SELECT MIN(id) FROM sendRecord)") }
        try queue.close()
        let copy = try CadenceBinary.run(["db", "copy", "--from", "cadence.sqlite", "--to", "copy.sqlite"], in: root)
        #expect(copy.status == 65)
        #expect(copy.stderr.contains("sendRecord.lookedUpAt"), "\(copy.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasPrefix("copy.sqlite") }.isEmpty)
        // The copy let the source's lease go: a runner starts at once.
        #expect(try CadenceBinary.run(["run", "--once"], in: root, environment: ["CADENCE_NOW": "2026-12-09T15:00:01Z", "USER": "sam"]).status == 0)
    }
}

extension ProcessTests.DbCommandTests {
    @Test(
        "a copy into PostgreSQL that fails leaves the database as it was: not even the schema is created",
        .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
    func failedCopyLeavesPostgresUntouched() async throws {
        let root = try Self.projectWithSends()
        defer { try? FileManager.default.removeItem(at: root) }
        let queue = try DatabaseQueue(path: root.appendingPathComponent("cadence.sqlite").path)
        try await queue.write { db in try db.execute(sql: "UPDATE sendRecord SET lookedUpAt = 'last tuesday' WHERE id = (SELECT MIN(id) FROM sendRecord)") }
        try queue.close()
        try await PostgresTestServer.withScratchDatabase { url in
            let copy = try CadenceBinary.run(["db", "copy", "--from", "cadence.sqlite", "--to", url], in: root)
            #expect(copy.status == 65)
            #expect(copy.stderr.contains("sendRecord.lookedUpAt"), "\(copy.stderr)")
            #expect(try await PostgresMigrator.version(PostgresTestServer.database(url)) == 0)
        }
    }
}

extension ProcessTests.DbCommandTests {
    @Test("a copy names what an interrupted copy left beside its destination (a full copy of the data), so it can be deleted")
    func leftoversNamed() throws {
        let root = try Self.projectWithSends()
        defer { try? FileManager.default.removeItem(at: root) }
        let leftover = root.appendingPathComponent("copy.sqlite.copying-1F2E3D4C")
        FileManager.default.createFile(atPath: leftover.path, contents: Data("an interrupted copy".utf8))
        let copy = try CadenceBinary.run(["db", "copy", "--from", "cadence.sqlite", "--to", "copy.sqlite"], in: root)
        #expect(copy.status == 0, "\(copy.stderr)")
        #expect(copy.stdout.contains("Left by an interrupted copy, holding a copy of the data: \(leftover.path); delete it."), "\(copy.stdout)")
        #expect(FileManager.default.fileExists(atPath: leftover.path))  // named, not deleted: it may be another copy's, still running
    }
}

extension ProcessTests.DbCommandTests {
    @Test(
        "cadence run on PostgreSQL sends what the same run on SQLite sends, byte for byte, and leaves the same rows",
        .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
    func runOnPostgres() async throws {
        let sqliteRoot = try Self.projectWithSends()
        defer { try? FileManager.default.removeItem(at: sqliteRoot) }
        let (replied, away) = try await Self.addRepliesAndTracking(sqliteRoot)
        let postgresRoot = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-pg-run-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: sqliteRoot, to: postgresRoot)
        defer { try? FileManager.default.removeItem(at: postgresRoot) }
        try await PostgresTestServer.withScratchDatabase { url in
            let copy = try CadenceBinary.run(["db", "copy", "--from", "cadence.sqlite", "--to", url], in: postgresRoot)
            #expect(copy.status == 0, "\(copy.stderr)")
            // A dry run of a relaunch and a simulation read PostgreSQL into a scratch file: the same answers as on the
            // SQLite file, and the database unchanged (the tables are compared at the end).
            let environment = ["CADENCE_NOW": "2026-12-14T15:00:00Z", "USER": "sam"]
            for arguments in [
                ["launch", "backend-engineers", "--candidates", "examples/candidates.csv", "--dry-run"], ["run", "--simulate", "--until", "2026-12-31T00:00:00Z"],
            ] {
                let onSQLite = try CadenceBinary.run(arguments, in: sqliteRoot, environment: environment)
                let onPostgres = try CadenceBinary.run(arguments + ["--db", url], in: postgresRoot, environment: environment)
                #expect(onSQLite.status == 0, "\(onSQLite.stderr)")
                #expect(onPostgres.status == onSQLite.status, "\(onPostgres.stderr)")
                #expect(onPostgres.stdout == onSQLite.stdout, "\(arguments[0])")
                #expect(!onPostgres.stdout.isEmpty)
            }
            // The same passes on both: the follow-ups of the second week, in the first message's thread.
            for now in ["2026-12-14T15:00:00Z", "2026-12-16T15:00:00Z"] {
                let environment = ["CADENCE_NOW": now, "USER": "sam"]
                let onSQLite = try CadenceBinary.run(["run", "--once"], in: sqliteRoot, environment: environment)
                let onPostgres = try CadenceBinary.run(["run", "--once", "--db", url], in: postgresRoot, environment: environment)
                #expect(onSQLite.status == 0, "\(onSQLite.stderr)")
                #expect(onPostgres.status == 0, "\(onPostgres.stderr)")
                #expect(onPostgres.stdout == onSQLite.stdout)
            }
            // A second campaign with variants (opener a/b), launched beside the first on both, and its openers sent.
            for (arguments, now) in [
                (["launch", "ops-leaders-q1", "--candidates", "examples/candidates.csv", "--allow-concurrent"], "2026-12-16T15:30:00Z"),
                (["run", "--once"], "2026-12-17T15:00:00Z"),
            ] {
                let environment = ["CADENCE_NOW": now, "USER": "sam"]
                let onSQLite = try CadenceBinary.run(arguments, in: sqliteRoot, environment: environment)
                let onPostgres = try CadenceBinary.run(arguments + ["--db", url], in: postgresRoot, environment: environment)
                #expect(onSQLite.status == 0, "\(onSQLite.stderr)")
                #expect(onPostgres.status == 0, "\(onPostgres.stderr)")
                #expect(onPostgres.stdout == onSQLite.stdout)
                if arguments[0] == "launch" {
                    // Each launch draws its own id: PostgreSQL's is renamed to SQLite's, so the rest compares.
                    let given = try await DatabaseQueue(path: sqliteRoot.appendingPathComponent("cadence.sqlite").path).read { db in
                        try String.fetchOne(db, sql: "SELECT launchId FROM enrollment WHERE campaignId = 'ops-leaders-q1' LIMIT 1")
                    }
                    try await PostgresTestServer.database(url).withConnection { connection in
                        for table in ["enrollment", "stepTally", "stepTotal", "stepOutcome"] {
                            try await connection.query(
                                PostgresQuery(
                                    unsafeSQL: "UPDATE \(table) SET launchId = $1 WHERE campaignId = 'ops-leaders-q1'",
                                    binds: try {
                                        var b = PostgresBindings(); b.append(try #require(given)); return b
                                    }()),
                                logger: Logger(label: "test"))
                        }
                    }
                }
            }
            for root in [sqliteRoot, postgresRoot] {
                try "address\nann@example.com\n@spam.example\nblocked@example.org\n".write(to: root.appendingPathComponent("blocklist.csv"), atomically: true, encoding: .utf8)
                // A reply from someone enrolled, and a message from nobody the project knows, for `classify`.
                try """
                From: Ana Ruiz <ana.ruiz@example.org>\r
                To: sam@example.com\r
                Subject: Re: Backend role\r
                Date: Wed, 16 Dec 2026 10:00:00 +0000\r
                Message-ID: <reply-1@example.org>\r
                \r
                Happy to talk next week.\r

                """.write(to: root.appendingPathComponent("reply.eml"), atomically: true, encoding: .utf8)
                try """
                From: Someone <someone@example.net>\r
                To: sam@example.com\r
                Subject: Hello\r
                Date: Wed, 16 Dec 2026 10:00:00 +0000\r
                \r
                Hi.\r

                """.write(to: root.appendingPathComponent("stranger.eml"), atomically: true, encoding: .utf8)
            }
            // Where everyone stands, and the LinkedIn tasks the runs opened, listed and one done, on both.
            for arguments in [
                ["status"], ["status", "--format", "json"], ["status", "backend-engineers", "--forecast"], ["tasks"], ["tasks", "done", "1", "--note", "connected"],
                ["tasks", "--format", "json"], ["status", "nope"],
                // The suppression list, kept by hand.
                ["suppress", "add", "Blocked@Example.org", "example.net", "--reason", "asked"], ["suppress", "import", "blocklist.csv"], ["suppress", "list"],
                ["suppress", "list", "--format", "json"], ["suppress", "remove", "example.net"], ["suppress", "remove", "nobody@example.org"],
                ["suppress", "export"],
                // Steering by hand: a person paused and resumed, the campaign paused (the person resumed by hand
                // waits for it) and resumed, another person stopped, and the refusals.
                ["pause", "--candidate", "ana.ruiz@example.org", "--note", "on holiday"], ["status", "--format", "json"],
                ["pause", "backend-engineers", "--note", "client asked"], ["resume", "--candidate", "ana.ruiz@example.org"], ["status"],
                ["resume", "backend-engineers"], ["stop", "--candidate", "kim@example.com", "--note", "hired elsewhere"], ["status", "--format", "json"],
                ["resume", "--candidate", "nobody@example.org"], ["pause", "nope"],
                // Incoming mail read as the runner would, the sender looked up in the database.
                ["classify", "reply.eml", "stranger.eml"], ["classify", "reply.eml", "--format", "json"],
            ] {
                let environment = ["CADENCE_NOW": "2026-12-16T16:00:00Z", "USER": "sam"]
                let onSQLite = try CadenceBinary.run(arguments, in: sqliteRoot, environment: environment)
                let onPostgres = try CadenceBinary.run(arguments + ["--db", url], in: postgresRoot, environment: environment)
                #expect(onSQLite.status == (["nope", "nobody@example.org"].contains(arguments.last) ? 65 : 0), "\(arguments): \(onSQLite.stderr)")
                #expect(arguments[0] != "pause" || arguments.last == "nope" || onSQLite.stdout.hasPrefix("Paused "), "\(arguments): \(onSQLite.stdout)")
                #expect(onPostgres.status == onSQLite.status, "\(arguments): \(onPostgres.stderr)")
                #expect(onPostgres.stdout == onSQLite.stdout, "\(arguments)")
                #expect(onPostgres.stderr == onSQLite.stderr, "\(arguments)")
                if arguments[0] == "classify" { #expect(onSQLite.stdout.contains("person:  ana.ruiz@example.org (campaign ") || arguments.contains("json"), "\(onSQLite.stdout)") }
                let listsTasks = arguments[0] == "tasks" && arguments.count > 1 && arguments[1] != "done" || arguments == ["tasks"]
                if listsTasks { #expect(onSQLite.stdout.contains("Connect on LinkedIn"), "\(onSQLite.stdout)") }
            }
            // What people did and what the campaign did with it: one person, their reply labelled (twice, then a
            // refusal), stats every way, explain, the report's page; then an update that removes the LinkedIn step
            // and makes the last note need a field, and the same reads after it.
            let reads: [[String]] = [
                ["show", replied], ["show", away, "--format", "json"], ["show", "nobody@example.org"], ["label", replied, "interested"],
                ["label", replied, "no"], ["label", away, "interested"], ["label", "nobody@example.org", "interested"], ["stats"], ["stats", "--format", "json"],
                ["stats", "--by", "mailbox"], ["stats", "--by", "launch", "--format", "csv"], ["stats", "--by", "day"], ["stats", "--by", "week", "--format", "json"],
                ["stats", "backend-engineers", "--since", "2026-12-01", "--until", "2026-12-05"], ["stats", "--since", "2026-12-04", "--format", "json"],
                ["stats", "--by", "mailbox", "--since", "2026-12-01", "--format", "json"], ["stats", "ops-leaders-q1", "--format", "csv"],
                ["pause", "--candidate", "sam.taylor@example.co.uk"], ["show", "sam.taylor@example.co.uk", "--format", "json"],
                ["stats", "nope"], ["explain", replied], ["explain", away, "--format", "json"], ["report", "backend-engineers", "--out", "report.html"],
                ["report", "nope", "--out", "report.html"],
            ]
            var said: [String] = []
            for (index, arguments) in (reads + [["update", "backend-engineers"], ["update", "backend-engineers"]] + reads).enumerated() {
                if index == reads.count {
                    for root in [sqliteRoot, postgresRoot] {
                        let file = root.appendingPathComponent("sequences/recruiting-backend.json")
                        let text = try String(contentsOf: file, encoding: .utf8)
                        var campaign = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                        campaign["steps"] = (campaign["steps"] as? [[String: Any]])?.filter { $0["id"] as? String != "linkedin" }
                        try JSONSerialization.data(withJSONObject: campaign, options: [.prettyPrinted, .sortedKeys]).write(to: file)
                        try "Hi <<candidate.firstName>>, one last note about <<candidate.role>> at <<candidate.company>>.\n".write(
                            to: root.appendingPathComponent("templates/recruiting/last-note.md"), atomically: true, encoding: .utf8)
                    }
                }
                let environment = ["CADENCE_NOW": "2026-12-16T17:00:00Z", "USER": "sam"]
                let onSQLite = try CadenceBinary.run(arguments, in: sqliteRoot, environment: environment)
                let onPostgres = try CadenceBinary.run(arguments + ["--db", url], in: postgresRoot, environment: environment)
                said.append(onSQLite.stdout)
                let refused = arguments.contains("nope") || arguments.contains("nobody@example.org") || arguments == ["label", away, "interested"]
                #expect(onSQLite.status == (refused ? 65 : 0), "\(arguments): \(onSQLite.stderr)")
                #expect(!onSQLite.stdout.isEmpty || refused, "\(arguments)")
                #expect(onPostgres.status == onSQLite.status, "\(arguments): \(onPostgres.stderr)")
                #expect(onPostgres.stdout == onSQLite.stdout, "\(arguments)")
                // (The one difference: how each names its database.)
                let sqliteName = sqliteRoot.appendingPathComponent("cadence.sqlite").path
                #expect(onPostgres.stderr == onSQLite.stderr.replacingOccurrences(of: sqliteName, with: "the PostgreSQL database"), "\(arguments)")
                if arguments[0] == "report", !refused {
                    let page = try Data(contentsOf: sqliteRoot.appendingPathComponent("report.html"))
                    #expect(try Data(contentsOf: postgresRoot.appendingPathComponent("report.html")) == page)
                    #expect(String(decoding: page, as: UTF8.self).contains("<svg"))
                }
            }
            #expect(said[3].hasPrefix("Labelled \(replied)'s reply of ") && said[3].hasSuffix(" as interested.\n"), "\(said[3])")
            #expect(said[4].hasSuffix(" as no (it was interested).\n"), "\(said[4])")
            #expect(said[reads.count].hasPrefix("Updated backend-engineers to version 2:"), "\(said[reads.count])")
            #expect(!said[reads.count].contains("; 0 changed place"), "\(said[reads.count])")
            #expect(said[reads.count + 1] == "backend-engineers is up to date; nothing to apply.\n")
            let shown = try CadenceBinary.run(["show", replied], in: sqliteRoot, environment: ["CADENCE_NOW": "2026-12-16T17:00:00Z"]).stdout
            #expect(shown.contains("labelled no (was interested)"), "\(shown)")
            let stats = try CadenceBinary.run(["stats", "--format", "json"], in: sqliteRoot, environment: ["CADENCE_NOW": "2026-12-16T17:00:00Z"]).stdout
            #expect(stats.contains("\"opened\""), "\(stats)")
            // The second campaign's opener went out in both variants, and the update's paused person stayed paused.
            let variants = try CadenceBinary.run(["stats", "ops-leaders-q1", "--format", "csv"], in: sqliteRoot, environment: ["CADENCE_NOW": "2026-12-17T17:00:00Z"]).stdout
            for variant in ["a", "b"] {
                let row = variants.split(separator: "\n").first { $0.hasPrefix("ops-leaders-q1,opener,\(variant),") }
                #expect(row.map { !$0.hasPrefix("ops-leaders-q1,opener,\(variant),email,0,0,") } == true, "\(variants)")
            }
            let paused = try CadenceBinary.run(["status", "--format", "json"], in: sqliteRoot, environment: ["CADENCE_NOW": "2026-12-17T17:00:00Z"]).stdout
            #expect(paused.contains("\"paused\""), "\(paused)")

            let outbox = { (root: URL) throws -> [String: Data] in
                let folder = root.appendingPathComponent("outbox")
                var files: [String: Data] = [:]
                for name in try FileManager.default.subpathsOfDirectory(atPath: folder.path) where name.hasSuffix(".eml") {
                    files[name] = try Data(contentsOf: folder.appendingPathComponent(name))
                }
                return files
            }
            let sent = try outbox(sqliteRoot)
            #expect(sent.count > 0)
            #expect(try outbox(postgresRoot) == sent)
            let back = try CadenceBinary.run(["db", "copy", "--from", url, "--to", "back.sqlite"], in: postgresRoot)
            #expect(back.status == 0, "\(back.stderr)")
            // The lease fences differ by one, and only they: the copy to PostgreSQL held the lease while it read. (Each
            // runner's metrics are its own: the runs on each side counted theirs.)
            let unfenced = { (rows: [String]?) in rows?.map { $0.replacingOccurrences(of: #"fence:\d+"#, with: "fence:_", options: .regularExpression) } }
            let expected = try Self.dump(sqliteRoot.appendingPathComponent("cadence.sqlite").path)
            let returned = try Self.dump(postgresRoot.appendingPathComponent("back.sqlite").path)
            for table in TableLayout.all where !["runnerLease", "runnerMetrics"].contains(table.name) {
                #expect(unfenced(returned[table.name]) == unfenced(expected[table.name]), "\(table.name)")
            }
            #expect(returned["sendRecord"] != expected["sendRecord"], "the fences of the runs after the copy are larger")

            // An erasure request on PostgreSQL: the person is gone, and the message says what PostgreSQL still keeps.
            let person = try #require(
                String(decoding: try Data(contentsOf: postgresRoot.appendingPathComponent("examples/candidates.csv")), as: UTF8.self)
                    .split(separator: "\n").dropFirst().first?.split(separator: ",").first.map(String.init))
            let forget = try CadenceBinary.run(["forget", person, "--db", url], in: postgresRoot)
            #expect(forget.status == 0, "\(forget.stderr)")
            #expect(forget.stdout.hasPrefix("Erased \(person) and 2 enrolments;"), "\(forget.stdout)")
            #expect(forget.stdout.contains("PostgreSQL keeps the deleted rows' bytes"), "\(forget.stdout)")
            let left = try await PostgresTestServer.database(url).withConnection { connection in
                try await connection.query("SELECT COUNT(*)::int FROM candidate WHERE addressKey = \(person.lowercased())", logger: Logger(label: "test"))
                    .collect().first?.decode(Int.self)
            }
            #expect(left == 0)
        }
    }
}

extension ProcessTests.DbCommandTests {
    @Test(
        "cadence run refuses a PostgreSQL database that was never migrated, and one it cannot reach, saying what to do",
        .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
    func runRefusesUnpreparedPostgres() async throws {
        let root = try Self.projectWithSends()
        defer { try? FileManager.default.removeItem(at: root) }
        try await PostgresTestServer.withScratchDatabase { url in
            let run = try CadenceBinary.run(["run", "--once", "--db", url], in: root, environment: ["CADENCE_NOW": "2026-12-14T15:00:00Z"])
            #expect(run.status == 65)
            #expect(run.stderr.contains("cadence db migrate"), "\(run.stderr)")
            #expect(run.stdout.isEmpty)
        }
        let unreachable = try CadenceBinary.run(["run", "--once", "--db", "postgres://ana:hunter2@127.0.0.1:1/agency?sslmode=disable"], in: root)
        #expect(unreachable.status == 65)
        #expect(unreachable.stderr.hasPrefix("cadence: error: cannot connect to postgres://ana@127.0.0.1:1/agency?sslmode=disable: "), "\(unreachable.stderr)")
        #expect(!unreachable.stderr.contains("hunter2"))
    }
}
