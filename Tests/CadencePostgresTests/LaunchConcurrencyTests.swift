import CadenceCore
import CadencePostgres
import CadenceStore
import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing

/// A launch on PostgreSQL runs beside runners, `serve` and commands, which SQLite's single writer never allowed:
/// what they do while it runs must not be undone when it commits.
@Suite("A launch on PostgreSQL beside other writers", .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
struct LaunchConcurrencyTests {
    static let now = StoreBackend.now
    static let campaign = CadenceDatabase.LaunchCampaign(
        id: "q1", name: "q1", sourcePath: "sequences/q1.json", digest: "d-q1",
        files: [SnapshotFile(kind: .campaign, path: "sequences/q1.json", content: Array(StoreBackend.campaignJSON.utf8), digest: "x")])

    static func person(_ address: String, line: Int = 2) throws -> Candidate {
        Candidate(line: line, email: try EmailAddress.parse(address).get(), fields: ["email": address])
    }

    /// A new migrated database with q1 launched (Ana in it), and a store on it.
    static func withStore<T: Sendable>(_ body: @Sendable (PostgresStore, PostgresConnector) async throws -> T) async throws -> T {
        try await PostgresTestServer.withScratchDatabase { url in
            let connector = try PostgresTestServer.database(url)
            _ = try await PostgresMigrator.migrate(connector, by: "test")
            return try await PostgresStore.withStore(connector) { store in
                try await store.launch(campaign, actor: "test", now: now, allowConcurrent: false, launchID: "first", firstStep: "intro") { session in
                    try await session.prepare([try person("ana@example.org")])
                    _ = try session.enroll(try person("ana@example.org"), mailbox: "sam", variants: [:], initial: .active(nextStep: "intro", dueAt: now))
                    return ((), true)
                }
                // Bo is known from another campaign's launch (not enrolled in q1).
                var other = campaign
                other.id = "q2"
                try await store.launch(other, actor: "test", now: now, allowConcurrent: false, launchID: "other", firstStep: "intro") { session in
                    try await session.prepare([try person("bo@example.org")])
                    _ = try session.enroll(try person("bo@example.org"), mailbox: "sam", variants: [:], initial: .active(nextStep: "intro", dueAt: now))
                    return ((), true)
                }
                return try await body(store, connector)
            }
        }
    }

    /// Runs `other` beside an open launch and returns once it has either finished or is waiting for a lock the
    /// launch holds (as seen in `pg_stat_activity`, not guessed from time).
    static func whileLaunchIsOpen<T: Sendable>(
        _ connector: PostgresConnector, _ other: @escaping @Sendable () async throws -> T
    ) async throws -> Task<T, any Error> {
        let done = Mutex(false)
        let task = Task {
            defer { done.withLock { $0 = true } }
            return try await other()
        }
        let settled = try await PushListenerTests.eventually {
            if done.withLock({ $0 }) { return true }
            return try await connector.withConnection { connection in
                try await connection.query(
                    "SELECT COUNT(*)::int FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", logger: Logger(label: "test")
                ).collect().first?.decode(Int.self) ?? 0 > 0
            }
        }
        #expect(settled)
        return task
    }

    @Test("a campaign paused while a launch runs pauses the people that launch adds")
    func pauseDuringLaunch() async throws {
        try await Self.withStore { store, connector in
            let pause = Mutex<Task<Int, any Error>?>(nil)
            try await store.launch(Self.campaign, actor: "test", now: Self.now, allowConcurrent: false, launchID: "second", firstStep: "intro") { session in
                let carl = try Self.person("carl@example.org")
                try await session.prepare([carl])
                _ = try session.enroll(carl, mailbox: "sam", variants: [:], initial: .active(nextStep: "intro", dueAt: Self.now))
                try await session.flush()
                let task = try await Self.whileLaunchIsOpen(connector) { try await store.pause(.campaign("q1"), note: nil, actor: "test", now: Self.now) }
                pause.withLock { $0 = task }
                return ((), true)
            }
            _ = try await pause.withLock { $0! }.value
            let states = try await connector.withConnection { connection in
                var states: [String] = []
                for try await (key, state) in try await connection.query(
                    "SELECT c.addressKey, e.state FROM enrollment e JOIN candidate c ON c.id = e.candidateId WHERE e.campaignId = 'q1' ORDER BY c.addressKey",
                    logger: Logger(label: "test")
                ).decode((String, String).self) {
                    states.append("\(key) \(state)")
                }
                return states
            }
            #expect(states == ["ana@example.org paused", "carl@example.org paused"])
        }
    }

    @Test("an erasure asked for while a launch adds the person erases them once the launch commits")
    func forgetDuringLaunch() async throws {
        try await Self.withStore { store, connector in
            let forget = Mutex<Task<Erasure, any Error>?>(nil)
            try await store.launch(Self.campaign, actor: "test", now: Self.now, allowConcurrent: false, launchID: "second", firstStep: "intro") { session in
                let carl = try Self.person("carl@example.org")
                try await session.prepare([carl])
                _ = try session.enroll(carl, mailbox: "sam", variants: [:], initial: .active(nextStep: "intro", dueAt: Self.now))
                try await session.flush()
                let task = try await Self.whileLaunchIsOpen(connector) { try await store.forget(addressKey: "carl@example.org", actor: "test", now: Self.now) }
                forget.withLock { $0 = task }
                return ((), true)
            }
            let erasure = try await forget.withLock { $0! }.value
            #expect(erasure.found)
            let left = try await connector.withConnection { connection in
                try await connection.query("SELECT COUNT(*)::int FROM candidate WHERE addressKey = 'carl@example.org'", logger: Logger(label: "test")).collect().first?
                    .decode(Int.self)
            }
            #expect(left == 0)
        }
    }

    @Test("an address suppressed while a launch runs is skipped in the launch's later batches")
    func suppressedDuringLaunch() async throws {
        try await Self.withStore { store, connector in
            let outcome = try await store.launch(Self.campaign, actor: "test", now: Self.now, allowConcurrent: false, launchID: "second", firstStep: "intro") {
                session in
                let carl = try Self.person("carl@example.org")
                try await session.prepare([carl])
                _ = try session.enroll(carl, mailbox: "sam", variants: [:], initial: .active(nextStep: "intro", dueAt: Self.now))
                try await session.flush()
                // An unsubscribe applied by a runner meanwhile (another connection, committed).
                try await connector.withConnection { connection in
                    try await connection.query(
                        "INSERT INTO suppression (kind, value, reason, actor, createdAt) VALUES ('address', 'dee@example.org', 'unsubscribed', 'runner', now())",
                        logger: Logger(label: "test"))
                }
                let dee = try Self.person("dee@example.org", line: 3)
                try await session.prepare([dee])
                let outcome = try session.enroll(dee, mailbox: "sam", variants: [:], initial: .active(nextStep: "intro", dueAt: Self.now))
                return (outcome, true)
            }
            #expect(outcome == .skipped(.suppressedAddress))
        }
    }

    @Test("a launch that meets another transaction's locks in the other order (a deadlock) gives up, writes nothing, and says it can run again")
    func deadlock() async throws {
        try await Self.withStore { store, connector in
            let logger = Logger(label: "test")
            // Another writer that locks several people in one transaction: Bo first, then Ana. Its deadlock check
            // waits 30 s, so PostgreSQL's choice falls on the launch, which waits for only the default second.
            let holdsBo = Mutex(false)
            let launchHoldsAna = Mutex(false)
            let other = Task {
                try await connector.withConnection { connection in
                    _ = try await connection.query("BEGIN", logger: logger).collect()
                    _ = try await connection.query("SET LOCAL deadlock_timeout = '30s'", logger: logger).collect()
                    _ = try await connection.query("SELECT id FROM candidate WHERE addressKey = 'bo@example.org' FOR NO KEY UPDATE", logger: logger).collect()
                    holdsBo.withLock { $0 = true }
                    _ = try await PushListenerTests.eventually { launchHoldsAna.withLock { $0 } }
                    // Waits until the launch lets go of Ana.
                    _ = try await connection.query("SELECT id FROM candidate WHERE addressKey = 'ana@example.org' FOR NO KEY UPDATE", logger: logger).collect()
                    _ = try await connection.query("COMMIT", logger: logger).collect()
                }
            }
            await #expect(throws: PostgresStore.LaunchConflict.self) {
                try await store.launch(Self.campaign, actor: "test", now: Self.now, allowConcurrent: false, launchID: "second", firstStep: "intro") { session in
                    let ana = try Self.person("ana@example.org")
                    try await session.prepare([ana])
                    launchHoldsAna.withLock { $0 = true }
                    _ = try session.enroll(ana, mailbox: "sam", variants: [:], initial: .active(nextStep: "intro", dueAt: Self.now))
                    let carl = try Self.person("carl@example.org", line: 3)
                    try await session.prepare([carl])
                    _ = try session.enroll(carl, mailbox: "sam", variants: [:], initial: .active(nextStep: "intro", dueAt: Self.now))
                    try await session.flush()
                    // The other writer holds Bo and waits for Ana, whom this launch holds.
                    #expect(try await PushListenerTests.eventually { holdsBo.withLock { $0 } })
                    #expect(
                        try await PushListenerTests.eventually {
                            try await connector.withConnection { connection in
                                try await connection.query(
                                    "SELECT COUNT(*)::int FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", logger: logger
                                ).collect().first?.decode(Int.self) ?? 0 > 0
                            }
                        })
                    try await session.prepare([try Self.person("bo@example.org", line: 4)])
                    return ((), true)
                }
            }
            try await other.value
            let carl = try await connector.withConnection { connection in
                try await connection.query("SELECT COUNT(*)::int FROM candidate WHERE addressKey = 'carl@example.org'", logger: logger).collect().first?.decode(Int.self)
            }
            #expect(carl == 0, "nothing of the launch was kept")
        }
    }
}
