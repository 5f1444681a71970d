import CadenceStore
import Foundation
import GRDB

/// `cadence-benchmarks stats-scale DB PEOPLE [RUNS]`: builds (once, kept at DB) a database of PEOPLE enrolments in
/// ten campaigns with about ten events per person (sends, pixel fetches, clicks, replies, bounces, out-of-office,
/// tasks), then times `stats` of one campaign and of all campaigns from the counters, beside the peer: the same
/// numbers recounted with `GROUP BY` over the raw fact tables (`recount`), in the same run. It checks first that
/// both give the same numbers.
///
/// The facts are written with bulk SQL, not through the runner (which would take hours for ten million events);
/// the counters are then summed from them in SQL, and the check against `recount` is what says they are right.
enum StatsBenchmarks {
    static let campaigns = 10
    static let start = Date(timeIntervalSince1970: 1_790_000_000)

    static func main(_ arguments: [String]) async throws -> Bool {
        guard arguments.count >= 4, let people = Int(arguments[3]) else {
            FileHandle.standardError.write(Data("usage: cadence-benchmarks stats-scale DB PEOPLE [RUNS]\n".utf8))
            return false
        }
        let path = arguments[2]
        let runs = arguments.count > 4 ? Int(arguments[4]) ?? 20 : 20
        if !FileManager.default.fileExists(atPath: path) {
            let clock = ContinuousClock()
            let took = try clock.measure { try build(path: path, people: people) }
            print("built \(path) in \(took)")
        }
        let database = try CadenceDatabase.open(path: path, mode: .readOnly)
        let counts: [Int] = try await database.writer.read { db in
            try ["enrollment", "sendRecord", "trackingEvent", "incomingMessage", "task", "stepTally", "stepTotal"].map { table -> Int in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0
            }
        }
        print(
            "enrolments \(counts[0]); events \(counts[1] + counts[2] + counts[3] + counts[4]) (sends \(counts[1]), pixel fetches and clicks \(counts[2]), incoming \(counts[3]), tasks \(counts[4])); counter rows \(counts[5]) by day, \(counts[6]) all told"
        )
        let now = start.addingTimeInterval(120 * 86_400)
        let one = StatsQuery(campaign: "c0")
        let all = StatsQuery()
        // Same numbers first: a fast wrong answer is no answer.
        for query in [one, all] {
            let counted = try await database.stats(query, now: now)
            let recounted = try database.recount(query, now: now)
            guard counted == recounted else {
                print("MISMATCH between the counters and the recount for \(query.campaign ?? "all campaigns")")
                return false
            }
        }
        func time(_ runs: Int, _ body: () throws -> Void) rethrows -> (median: Double, slowest: Double) {
            var timings: [Double] = []
            for _ in 0..<runs {
                let started = DispatchTime.now().uptimeNanoseconds
                try body()
                timings.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000_000)
            }
            timings.sort()
            return (timings[timings.count / 2], timings.last ?? 0)
        }
        let peerRuns = max(3, runs / 5)
        // Interleaved, so both see the same machine.
        let statsOne = try time(runs) { _ = try database.stats(one, now: now) }
        let recountOne = try time(peerRuns) { _ = try database.recount(one, now: now) }
        let statsAll = try time(runs) { _ = try database.stats(all, now: now) }
        let recountAll = try time(peerRuns) { _ = try database.recount(all, now: now) }
        print(
            String(
                format: "stats, one campaign:   counters median %.1f ms (slowest %.1f) over %d runs; recount median %.0f ms (slowest %.0f) over %d runs", statsOne.median, statsOne.slowest, runs,
                recountOne.median, recountOne.slowest, peerRuns))
        print(
            String(
                format: "stats, all campaigns:  counters median %.1f ms (slowest %.1f) over %d runs; recount median %.0f ms (slowest %.0f) over %d runs", statsAll.median, statsAll.slowest, runs,
                recountAll.median, recountAll.slowest, peerRuns))
        print(String(format: "peak memory %.1f MiB", peakMemoryMiB()))
        return true
    }

    static func campaignJSON(_ id: String) -> String {
        """
        { "id": "\(id)", "name": "Campaign \(id)", "mailboxes": ["m0"], "timeZone": "UTC",
          "steps": [
            { "id": "intro", "type": "email", "variants": [ { "id": "a", "template": "a.md", "weight": 50 }, { "id": "b", "template": "b.md", "weight": 50 } ] },
            { "id": "call", "type": "task", "delay": "2d", "title": "Call", "instructions": "Ring them." },
            { "id": "bump", "type": "reply", "delay": "3d", "inThreadOf": "intro", "template": "bump.md" },
            { "id": "breakup", "type": "email", "delay": "7d", "template": "breakup.md" } ] }
        """
    }

    static func build(path: String, people: Int) throws {
        let database = try CadenceDatabase.open(path: path, mode: .create)
        try database.writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = OFF")
            try db.inTransaction {
                for index in 0..<campaigns {
                    let id = "c\(index)"
                    try db.execute(
                        sql: "INSERT INTO campaign (id, name, sourcePath, version, createdAt, updatedAt, timeZone) VALUES (?, ?, ?, 1, ?, ?, 'UTC')",
                        arguments: [id, "Campaign \(id)", "\(id).json", start, start])
                    try db.execute(sql: "INSERT INTO campaignVersion (campaignId, version, digest, createdAt) VALUES (?, 1, 'd', ?)", arguments: [id, start])
                    try db.execute(
                        sql: "INSERT INTO snapshotFile (campaignId, version, kind, path, content, digest) VALUES (?, 1, 'campaign', ?, ?, 'd')",
                        arguments: [id, "\(id).json", Data(campaignJSON(id).utf8)])
                }
                // People: campaign i % 10, mailbox i % 20, launch (i / 10) % 5 a week apart, variant by parity.
                try db.execute(
                    sql: """
                        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                        INSERT INTO candidate (id, addressKey, address, fields, createdAt, updatedAt)
                        SELECT i, 'p' || i || '@example.org', 'p' || i || '@example.org', '{}', ?, ? FROM n
                        """, arguments: [people, start, start])
                try db.execute(
                    sql: """
                        INSERT INTO enrollment (id, campaignId, candidateId, mailbox, fields, variants, launchId, state, createdAt, updatedAt)
                        SELECT id, 'c' || (id % 10), id, 'm' || (id % 20) || '@example.com', '{}',
                            '{"intro":"' || CASE WHEN (id / 10) % 2 = 0 THEN 'a' ELSE 'b' END || '"}', 'L' || ((id / 10) % 5), 'finished',
                            strftime('%Y-%m-%d %H:%M:%f', ?, '+' || (((id / 10) % 5) * 7) || ' days'), ?
                        FROM candidate
                        """, arguments: [start, start])
                // Sends: the intro to everyone, the bump to 80%, the breakup to 60%. A mailbox sends about 250 a day
                // (its cap), so a launch's sends spread over 200 days, as they would: that, not the number of
                // people, is what makes counter rows.
                for (step, offsetDays, share) in [("intro", 0, 100), ("bump", 3, 80), ("breakup", 10, 60)] {
                    try db.execute(
                        sql: """
                            INSERT INTO sendRecord (enrollmentId, campaignId, stepId, variantId, sendId, mailbox, state, createdAt, sentAt, trackingId)
                            SELECT id, campaignId, ?, CASE WHEN ? = 'intro' THEN json_extract(variants, '$.intro') ELSE '' END, ? || '.' || id, mailbox, 'sent',
                                createdAt, strftime('%Y-%m-%d %H:%M:%f', createdAt, '+' || (? + (id / 50) % 200) || ' days', '+' || (id % 36000) || ' seconds'), ? || id
                            FROM enrollment WHERE id % 100 < ?
                            """, arguments: [step, step, step, offsetDays, String(step.prefix(1)), share])
                }
                // Pixel fetches: 0 to 4 per send (a third by machines); clicks on a third of sends, a fifth of those
                // a scanner's.
                try db.execute(
                    sql: """
                        WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 4)
                        INSERT INTO trackingEvent (sendRecordId, kind, link, class, isRepeat, at)
                        SELECT s.id, 'open', NULL, CASE WHEN (s.id + k.n) % 3 = 0 THEN 'machine' ELSE 'human' END, k.n > 1,
                            strftime('%Y-%m-%d %H:%M:%f', s.sentAt, '+' || (k.n * 3600) || ' seconds')
                        FROM sendRecord s JOIN k ON k.n <= (s.id * 2654435761) % 5
                        """)
                try db.execute(
                    sql: """
                        WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 3)
                        INSERT INTO trackingEvent (sendRecordId, kind, link, class, isRepeat, at)
                        SELECT s.id, 'click', k.n, CASE WHEN (s.id * 40503) % 5 = 0 THEN 'scanner' ELSE 'human' END, 0,
                            strftime('%Y-%m-%d %H:%M:%f', s.sentAt, '+' || (k.n * 600) || ' seconds')
                        FROM sendRecord s JOIN k WHERE (s.id * 2246822519) % 3 = 0
                        """)
                // Mail back, to the last step sent: replies from 6% (a third labelled interested), bounces 2%,
                // out-of-office 3%.
                try db.execute(
                    sql: """
                        INSERT INTO incomingMessage (mailbox, providerMessageId, enrollmentId, class, snippet, receivedAt, rule, label)
                        SELECT e.mailbox, 'in' || e.id, e.id,
                            CASE WHEN e.id % 100 < 6 THEN 'reply' WHEN e.id % 100 < 8 THEN 'bounce' ELSE 'out-of-office' END, '',
                            strftime('%Y-%m-%d %H:%M:%f', (SELECT MAX(sentAt) FROM sendRecord WHERE enrollmentId = e.id), '+' || (1 + e.id % 47) || ' hours'),
                            'bench', CASE WHEN e.id % 100 < 2 THEN 'interested' END
                        FROM enrollment e WHERE e.id % 100 < 11
                        """)
                // The call task, done by half.
                try db.execute(
                    sql: """
                        INSERT INTO task (enrollmentId, stepId, openedAt, dueAt, doneAt, doneBy)
                        SELECT id, 'call', createdAt, createdAt, CASE WHEN id % 2 = 0 THEN createdAt END, CASE WHEN id % 2 = 0 THEN 'bench' END
                        FROM enrollment
                        """)
                try fillCounters(db)
                return .commit
            }
            try db.execute(sql: "ANALYZE")
        }
    }

    /// The counters and reply latencies the write paths would have kept, summed from the facts in SQL (zone UTC).
    static func fillCounters(_ db: Database) throws {
        let human = "('human', 'gmail-proxy')"
        let insert = """
            INSERT INTO stepTally (campaignId, stepId, variantId, mailbox, launchId, day, %@) %@
            ON CONFLICT (campaignId, stepId, variantId, mailbox, launchId, day) DO UPDATE SET %@
            """
        func add(_ columns: [String], _ select: String) throws {
            let update = columns.map { "\($0) = \($0) + excluded.\($0)" }.joined(separator: ", ")
            try db.execute(sql: String(format: insert, columns.joined(separator: ", "), select, update))
        }
        try add(["enrolled"], "SELECT campaignId, '', '', mailbox, launchId, date(createdAt), COUNT(*) FROM enrollment GROUP BY 1, 4, 5, 6")
        try add(
            ["enrolled"],
            "SELECT campaignId, 'intro', json_extract(variants, '$.intro'), mailbox, launchId, date(createdAt), COUNT(*) FROM enrollment GROUP BY 1, 3, 4, 5, 6")
        try add(
            ["sent"],
            "SELECT s.campaignId, s.stepId, s.variantId, s.mailbox, e.launchId, date(s.sentAt), COUNT(*) FROM sendRecord s JOIN enrollment e ON e.id = s.enrollmentId GROUP BY 1, 2, 3, 4, 5, 6"
        )
        // Per send: its first fetch, first human fetch, first click, first human click, on their days.
        for (kind, column, filter) in [
            ("open", "opened", ""), ("open", "openedHuman", " AND t.class IN \(human)"), ("click", "clicked", ""), ("click", "clickedHuman", " AND t.class IN \(human)"),
        ] {
            try add(
                [column],
                """
                SELECT s.campaignId, s.stepId, s.variantId, s.mailbox, e.launchId, date(f.at), COUNT(*) FROM (
                    SELECT t.sendRecordId, MIN(t.at) AS at FROM trackingEvent t WHERE t.kind = '\(kind)'\(filter) GROUP BY t.sendRecordId) f
                JOIN sendRecord s ON s.id = f.sendRecordId JOIN enrollment e ON e.id = s.enrollmentId GROUP BY 1, 2, 3, 4, 5, 6
                """)
        }
        let attributed = """
            FROM incomingMessage i JOIN enrollment e ON e.id = i.enrollmentId
            JOIN sendRecord s ON s.id = (SELECT id FROM sendRecord WHERE enrollmentId = i.enrollmentId AND state = 'sent' AND sentAt <= i.receivedAt ORDER BY sentAt DESC, id DESC LIMIT 1)
            """
        for (column, filter) in [
            ("replied", "i.class = 'reply'"), ("bounced", "i.class = 'bounce'"), ("outOfOffice", "i.class = 'out-of-office'"),
            ("positive", "i.class = 'reply' AND i.label = 'interested'"),
        ] {
            try add([column], "SELECT s.campaignId, s.stepId, s.variantId, s.mailbox, e.launchId, date(i.receivedAt), COUNT(*) \(attributed) WHERE \(filter) GROUP BY 1, 2, 3, 4, 5, 6")
        }
        try add(
            ["repliedEventually"],
            """
            SELECT s.campaignId, s.stepId, s.variantId, s.mailbox, e.launchId, date(i.receivedAt), COUNT(*) FROM incomingMessage i JOIN enrollment e ON e.id = i.enrollmentId
            JOIN sendRecord s ON s.enrollmentId = i.enrollmentId AND s.state = 'sent' AND s.sentAt <= i.receivedAt WHERE i.class = 'reply' GROUP BY 1, 2, 3, 4, 5, 6
            """)
        try add(
            ["tasksDone"],
            "SELECT e.campaignId, t.stepId, '', e.mailbox, e.launchId, date(t.doneAt), COUNT(*) FROM task t JOIN enrollment e ON e.id = t.enrollmentId WHERE t.doneAt IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6"
        )
        let columns = [
            "enrolled", "sent", "bounced", "replied", "repliedEventually", "positive", "unsubscribed", "outOfOffice", "opened", "openedHuman", "clicked", "clickedHuman", "unsubscribedByLink",
            "tasksDone",
        ]
        try db.execute(
            sql: """
                INSERT INTO stepTotal (campaignId, stepId, variantId, mailbox, launchId, \(columns.joined(separator: ", ")))
                SELECT campaignId, stepId, variantId, mailbox, launchId, \(columns.map { "SUM(\($0))" }.joined(separator: ", ")) FROM stepTally GROUP BY 1, 2, 3, 4, 5
                """)
        try db.execute(
            sql: """
                INSERT INTO stepOutcome (enrollmentId, campaignId, stepId, variantId, mailbox, launchId, day, kind, seconds)
                SELECT e.id, s.campaignId, s.stepId, s.variantId, s.mailbox, e.launchId, date(i.receivedAt), 'replied',
                    round((julianday(i.receivedAt) - julianday(s.sentAt)) * 86400000) / 1000 \(attributed) WHERE i.class = 'reply'
                """)
    }
}
