import CadenceCore
import Foundation
import GRDB
import Testing

@testable import CadenceStore

@Suite("The store: file, migrations, failures")
struct CadenceDatabaseTests {
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("cadence-\(UUID().uuidString).sqlite").path
    }

    @Test("a database made by the previous release (v1) gains v2 when opened, keeping its rows")
    func upgradeFromV1() async throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try CadenceDatabase.open(path: path, mode: .create)
        // Turn the file back into what v1 made: no v2 table, no v2 columns, no v2 migration row.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO mailboxLedger (mailbox, sentAt, recipientDomain, campaignId) VALUES ('sam', '2026-11-30 10:00:00.000', 'example.org', 'q1');
                    DROP TABLE mailboxPause;
                    DROP INDEX sendRecordHistory;
                    ALTER TABLE sendRecord DROP COLUMN storedMessageId;
                    ALTER TABLE sendRecord DROP COLUMN lookupMisses;
                    ALTER TABLE sendRecord DROP COLUMN lookedUpAt;
                    ALTER TABLE sendRecord DROP COLUMN historyId;
                    ALTER TABLE sendRecord DROP COLUMN historyCursor;
                    DELETE FROM grdb_migrations WHERE identifier = 'v2-gmail-sending';
                    """)
        }
        try queue.close()
        let upgraded: any CadenceStore = try CadenceDatabase.open(path: path, mode: .existing)
        #expect(try await upgraded.sendTimes(mailbox: "sam", since: .distantPast).count == 1)
        #expect(try await upgraded.mailboxPause("sam", now: .distantPast) == nil)
        try await upgraded.pauseMailbox("sam", until: .distantFuture, reason: "test")
        #expect(try await upgraded.mailboxPause("sam", now: Date())?.reason == "test")
    }

    @Test(
        "a click's burst check reads that send's clicks through the send's index, not every click of those seconds (fails on 9af964f: the planner took the (kind, at) index, and under a saturated click route each recorded click scanned the clicks of every send)"
    )
    func burstCheckUsesTheSendIndex() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try CadenceDatabase.open(path: path, mode: .create)
        let now = Date()
        let plan = try database.writer.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + CadenceDatabase.recentClicksSQL, arguments: [1, now, now]).map { $0["detail"] as String }
        }
        #expect(plan.contains { $0.contains("trackingEventSend") }, "\(plan)")
        // The burst's reclassing too (fails on 5d4f02e: it still took the (kind, at) index).
        let update = try database.writer.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + CadenceDatabase.reclassBurstSQL, arguments: ["scanner", 1, now, now, "scanner"]).map { $0["detail"] as String }
        }
        #expect(update.contains { $0.contains("trackingEventSend") }, "\(update)")
    }

    @Test(
        "a person's incoming mail is read through an index, as every send, message and label re-derives what they count for (fails on 7eca46d: each send scanned every incoming message)"
    )
    func personIncomingUsesAnIndex() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try CadenceDatabase.open(path: path, mode: .create)
        for sql in [CadenceDatabase.personIncomingSQL, CadenceDatabase.hasIncomingSQL] {
            let plan = try database.writer.read { db in try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: [1]).map { $0["detail"] as String } }
            #expect(!plan.contains { $0.hasPrefix("SCAN incomingMessage") }, "\(sql): \(plan)")
        }
    }

    @Test(
        "a v12 database whose campaign file starts with a byte-order mark opens and migrates (fails on 14f6f1d: the v13 migration's json_extract rejected the file, so nothing could open the database)"
    )
    func migrateCampaignWithByteOrderMark() async throws {
        let path = Self.temporaryPath()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let queue = try DatabaseQueue(path: path)
        try CadenceDatabase.migrator.migrate(queue, upTo: "v12-reply-label")
        let json =
            [0xEF, 0xBB, 0xBF] + Array(#"{ "id": "q1", "name": "Q1", "mailboxes": ["sam"], "timeZone": "America/Chicago", "steps": [ { "id": "intro", "type": "email", "template": "a.md" } ] }"#.utf8)
        try await queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO campaign (id, name, sourcePath, version, createdAt, updatedAt) VALUES ('q1', 'Q1', 'q1.json', 1, '2026-11-30 10:00:00.000', '2026-11-30 10:00:00.000');
                    INSERT INTO campaignVersion (campaignId, version, digest, createdAt) VALUES ('q1', 1, 'd', '2026-11-30 10:00:00.000');
                    """)
            try db.execute(
                sql: "INSERT INTO snapshotFile (campaignId, version, kind, path, content, digest) VALUES ('q1', 1, 'campaign', 'q1.json', ?, 'd')",
                arguments: [Data(json)])
        }
        try queue.close()
        let database = try CadenceDatabase.open(path: path, mode: .existing)
        #expect(try database.stats(campaign: "q1", now: Date()).first?.timeZone == "America/Chicago")
    }

    @Test("a new file is WAL, foreign keys on, synchronous FULL, and migrated")
    func pragmas() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try CadenceDatabase.open(path: path, mode: .create)
        let settings = try database.writer.read { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA foreign_keys"),
                try Int.fetchOne(db, sql: "PRAGMA synchronous"), try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            )
        }
        // The writer connection is the one that commits: it must sync every commit.
        let writerSynchronous = try database.writer.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(writerSynchronous == 2)
        #expect(settings.0 == "wal")
        #expect(settings.1 == 1)
        #expect(settings.2 == 2)
        #expect(
            settings.3 == [
                "v1-initial", "v2-gmail-sending", "v3-reply-watching", "v4-push", "v5-lease-fence", "v6-incoming-rule", "v7-tracking", "v8-tracking-events", "v9-erased-tracking", "v10-tracking-key",
                "v11-hot-leads", "v12-reply-label", "v13-stats", "v14-runner-metrics", "v15-enrolled-inline",
            ])
    }

    @Test("commands that only read or steer refuse a missing file and create nothing")
    func missing() {
        let path = Self.temporaryPath()
        #expect(throws: StoreError.missing(path)) { try CadenceDatabase.open(path: path, mode: .existing) }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(StoreError.missing(path).description == "no database at \(path); launch a campaign first (cadence launch), or point --db or CADENCE_DB at yours")
    }

    @Test("a database from a newer Cadence is refused and left as it was")
    func newer() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try CadenceDatabase.open(path: path, mode: .create)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')") }
        try queue.close()
        #expect(throws: StoreError.newerVersion(path)) { try CadenceDatabase.open(path: path, mode: .existing) }
        #expect(StoreError.newerVersion(path).description.hasSuffix("was written by a newer version of Cadence; upgrade Cadence to use it (nothing was changed)"))
    }

    @Test("a file that is not a database is named as such")
    func corrupt() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        #expect(throws: StoreError.corrupt(path)) { try CadenceDatabase.open(path: path, mode: .existing) }
    }

    @Test("a database locked by another writer gives up with a clear message, changing nothing")
    func locked() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try CadenceDatabase.open(path: path, mode: .create)
        let other = try DatabaseQueue(path: path)
        // Another writer holds the write lock for as long as this closure runs.
        try other.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                #expect(throws: StoreError.locked(path)) {
                    try database.suppress([(.domain, "example.com")], reason: "r", actor: "test", now: Date())
                }
                return .rollback
            }
        }
        #expect(try database.suppressions().isEmpty)
    }

    @Test("a full disk is reported as such and the transaction is rolled back")
    func full() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try CadenceDatabase.open(path: path, mode: .create)
        // SQLite's own page limit stands in for a full disk: it fails the write with SQLITE_FULL the same way.
        let pool = try DatabasePool(path: path)
        let database = try CadenceDatabase(pool, path: path)
        try pool.barrierWriteWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 1
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
        let entries = (0..<2_000).map { (kind: Suppression.Kind.domain, value: "d\($0).example.com") }
        #expect(throws: StoreError.full(path)) { try database.suppress(entries, reason: "r", actor: "test", now: Date()) }
        #expect(try database.suppressions().isEmpty)
    }
}
