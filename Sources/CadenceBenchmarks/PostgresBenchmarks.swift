import CadenceCore
import CadenceEngine
import CadenceFakeGmail
import CadenceGmail
import CadencePostgres
import CadenceStore
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Runners on PostgreSQL (see BENCHMARKS.md; `benchmarks/postgres.sh` runs them beside their SQLite peers):
///
/// - `postgres-runners URL MAILBOXES SENDS RUNNERS`: RUNNERS runners, each with its own pool and owner, share the
///   MAILBOXES Gmail mailboxes of the fake (its limits off, Cadence's pacing on a virtual clock) until SENDS
///   messages are sent; prints sends per second and, when the server has `pg_stat_statements`, the statements and
///   the server's execution time per send.
/// - `postgres-claim URL ENROLMENTS DUE [RUNS]`: builds ENROLMENTS active enrolments of which DUE are due (as
///   `claim` does on SQLite) and times claiming the DUE due steps, as `claim` does.
enum PostgresBenchmarks {
    static let start = Date(timeIntervalSince1970: 1_796_115_600)
    static let quiet = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }

    static func main(_ arguments: [String]) async throws -> Bool {
        let numbers = arguments.dropFirst(3).compactMap { Int($0) }
        switch arguments.count >= 3 ? arguments[1] : "" {
        case "postgres-runners" where numbers.count == 3:
            return try await runners(url: arguments[2], mailboxes: numbers[0], sends: numbers[1], runners: numbers[2])
        case "postgres-claim" where numbers.count >= 2:
            return try await claim(url: arguments[2], total: numbers[0], due: numbers[1], runs: numbers.count > 2 ? numbers[2] : 20)
        default:
            FileHandle.standardError.write(
                Data("usage: cadence-benchmarks postgres-runners URL MAILBOXES SENDS RUNNERS | postgres-claim URL ENROLMENTS DUE [RUNS]\n".utf8))
            return false
        }
    }

    static func connector(_ url: String) throws -> PostgresConnector {
        try PostgresConnector(url: url, environment: ProcessInfo.processInfo.environment, login: ProcessInfo.processInfo.userName, home: nil)
    }

    /// Runs `sql` on `url`, one statement at a time, and returns the first column of the last one's first row.
    @discardableResult
    static func run(_ url: String, _ statements: [String]) async throws -> Int64? {
        try await connector(url).withConnection { connection in
            var last: Int64?
            for statement in statements {
                last = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: quiet).collect().first.flatMap { try? $0.decode(Int64.self) }
            }
            return last
        }
    }

    /// The statements the server ran and the milliseconds it spent on them since the last reset, or nil without
    /// `pg_stat_statements`.
    static func statements(_ url: String) async throws -> (calls: Int64, milliseconds: Double)? {
        try await connector(url).withConnection { connection -> (Int64, Double)? in
            let installed =
                try await connection.query("SELECT COUNT(*)::bigint FROM pg_extension WHERE extname = 'pg_stat_statements'", logger: quiet)
                .collect().first?.decode(Int64.self) ?? 0
            guard installed > 0 else { return nil }
            let row = try await connection.query(
                "SELECT COALESCE(SUM(calls), 0)::bigint, COALESCE(SUM(total_exec_time), 0)::float8 FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
                logger: quiet
            ).collect().first
            return try row.map { try $0.decode((Int64, Double).self) }
        }.map { (calls: $0.0, milliseconds: $0.1) }
    }

    static func runners(url: String, mailboxes: Int, sends: Int, runners: Int) async throws -> Bool {
        let clock = AdjustableClock(start)
        return try await withFakeGmail(options: .unlimited, clock: clock) { server in
            try await GoogleHTTP.with(server.endpoints, logger: quiet) { http in
                try await GmailBenchmarks.scene(server: server, clock: clock, mailboxes: mailboxes, people: sends, http: http) { scene in
                    // The launched campaign, copied into the (empty) PostgreSQL database as `db copy` copies it.
                    let database = try connector(url)
                    _ = try await PostgresMigrator.migrate(database, by: "bench")
                    try await database.withConnection { connection in
                        let io = PostgresTableIO(connection: connection, logger: quiet)
                        for table in TableLayout.all {
                            var after: [CellValue]?
                            while true {
                                let page = table.page(try scene.database.rows(of: table, after: after, limit: 5_000))
                                guard let next = page.next else { break }
                                try await io.insert(page.rows, into: table)
                                after = next
                            }
                            try await io.resetSequence(of: table)
                        }
                    }
                    // The launch starts people at the campaign's next opening: the virtual clock goes there.
                    if let first = try scene.database.nextDueTime(), first > clock.now { clock.set(first) }
                    _ = try? await statementsReset(url)
                    let configuration = scene.configuration
                    let names = configuration.mailboxes.map(\.name)
                    let cpuBefore = cpuSeconds()
                    let began = ContinuousClock.now
                    let sent = Counter()
                    let sender = scene.sender
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for index in 0..<runners {
                            group.addTask {
                                try await PostgresStore.withStore(database) { store in
                                    let lease = LeaseKeeper(
                                        store: store, owner: "bench-\(index)", seconds: 600, clock: clock, mailboxes: names, callBound: 0)
                                    var runner = Runner(store: store, configuration: configuration, sender: sender, batch: 100, seed: 1, lease: lease)
                                    var idle = 0
                                    while sent.value.withLock({ $0 }) < sends, idle < 200 {
                                        let report = try await runner.runOnce(now: clock.now)
                                        sent.value.withLock { $0 += report.sent }
                                        idle = report.sent == 0 ? idle + 1 : 0
                                        if report.sent == 0 { try await Task.sleep(for: .milliseconds(20)) }
                                    }
                                    await lease.release()
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                    let elapsed = ContinuousClock.now - began
                    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                    let cpu = cpuSeconds() - cpuBefore
                    let total = sent.value.withLock { $0 }
                    let report = server.gmail.report()
                    print(
                        String(
                            format: "postgres: runners %d, mailboxes %d, sends %d in %.2f s: %.0f sends/s; this process's CPU %.2f ms a send (render, HTTP, the fake, the client side of the database)",
                            runners, mailboxes, total, seconds, Double(total) / seconds, cpu * 1000 / Double(max(1, total))))
                    if let cost = try await statements(url) {
                        print(
                            String(
                                format: "postgres: the server ran %.1f statements a send (each a round trip; BEGIN and COMMIT included) and spent %.3f ms executing them a send",
                                Double(cost.calls) / Double(max(1, total)), cost.milliseconds / Double(max(1, total))))
                    }
                    print("postgres: duplicates \(report.duplicates.count), in Gmail \(report.allSent.count)")
                    return report.duplicates.isEmpty && report.allSent.count == total
                }
            }
        }
    }

    static func statementsReset(_ url: String) async throws {
        try await run(url, ["SELECT pg_stat_statements_reset()::text IS NULL"])
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    static func claim(url: String, total: Int, due: Int, runs: Int) async throws -> Bool {
        let database = try connector(url)
        _ = try await PostgresMigrator.migrate(database, by: "bench")
        let built = ContinuousClock.now
        let now = "to_timestamp(\(Int(start.timeIntervalSince1970)))"
        try await run(
            url,
            [
                "INSERT INTO campaign (id, name, sourcePath, version, state, timeZone, createdAt, updatedAt) VALUES ('bench', 'Bench', 'b.json', 1, 'active', 'UTC', \(now), \(now))",
                """
                INSERT INTO candidate (id, addressKey, address, fields, createdAt, updatedAt)
                SELECT i, 'p' || i || '@example.org', 'p' || i || '@example.org', '{"firstName":"P"}', \(now), \(now) FROM generate_series(1, \(total)) AS i
                """,
                // The first DUE are due an hour ago; the rest spread over the coming year.
                """
                INSERT INTO enrollment (id, campaignId, candidateId, mailbox, fields, variants, launchId, state, stepId, dueAt, createdAt, updatedAt)
                SELECT id, 'bench', id, 'sam', fields, '{}', 'bench', 'active', 'intro',
                       CASE WHEN id <= \(due) THEN \(now) - interval '1 hour' ELSE \(now) + (id % 365 + 1) * interval '1 day' END, \(now), \(now)
                FROM candidate
                """,
                "ANALYZE",
            ])
        let buildSeconds = Double((ContinuousClock.now - built).components.seconds)
        let (measured, claimed) = try await PostgresStore.withStore(database) { store in
            var timings: [Double] = []
            var claimed = 0
            for _ in 0..<runs {
                let began = ContinuousClock.now
                claimed = try await store.dueSteps(now: start, limit: due, mailboxes: ["sam"]).count
                let elapsed = ContinuousClock.now - began
                timings.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
            }
            return (timings, claimed)
        }
        let timings = measured.sorted()
        let plan = try await database.withConnection { connection in
            var lines: [String] = []
            for try await line in try await connection.query(
                """
                EXPLAIN SELECT e.id FROM enrollment e JOIN candidate c ON c.id = e.candidateId
                WHERE e.state = 'active' AND e.dueAt <= \(start) AND e.mailbox = ANY(\(["sam"])) ORDER BY e.dueAt, e.id LIMIT \(due)
                """, logger: quiet
            ).decode(String.self) {
                lines.append(line)
            }
            return lines
        }
        print(
            String(
                format: "postgres claim: enrolments %d, due %d, claimed %d: median %.2f ms, slowest %.2f ms over %d runs (built in %.0f s)", total, due, claimed,
                timings[timings.count / 2], timings.last ?? 0, runs, buildSeconds))
        print("plan: " + plan.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " | "))
        return claimed == due
    }
}

/// A count the runners of a benchmark share.
final class Counter: Sendable {
    let value = Mutex(0)
}
