import CadenceCore
import CadencePostgres
import CadenceStore
import Foundation
import Logging
import PostgresNIO
import Testing

/// A hot-lead task that a recruiter marks done while a late burst of clicks withdraws it: the done task, and its
/// note, must stay.
@Suite("Hot leads on PostgreSQL beside `tasks done`", .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
struct HotLeadRaceTests {
    static let now = StoreBackend.now
    static let campaignJSON = """
        { "id": "q1", "name": "Q1", "mailboxes": ["sam"], "timeZone": "UTC", "tracking": { "hotLeads": true },
          "steps": [
            { "id": "intro", "type": "email", "template": "intro.md" },
            { "id": "bump", "type": "reply", "delay": "2d", "inThreadOf": "intro", "template": "bump.md" } ] }
        """

    /// A store with Ana sent to and her hot-lead task open from a click an hour later; `body` gets the store, the
    /// connector, her send, the click's time and the task.
    static func withOpenHotLead(
        _ body: @Sendable (PostgresStore, PostgresConnector, _ send: Int64, _ clicked: Date, _ task: OpenTask) async throws -> Void
    ) async throws {
        try await PostgresTestServer.withScratchDatabase { url in
            let connector = try PostgresTestServer.database(url)
            _ = try await PostgresMigrator.migrate(connector, by: "test")
            try await PostgresStore.withStore(connector) { store in
                let campaign = CadenceDatabase.LaunchCampaign(
                    id: "q1", name: "Q1", sourcePath: "sequences/q1.json", digest: "d",
                    files: [SnapshotFile(kind: .campaign, path: "sequences/q1.json", content: Array(Self.campaignJSON.utf8), digest: "x")])
                let ana = Candidate(line: 2, email: try EmailAddress.parse("ana@example.org").get(), fields: ["email": "ana@example.org"])
                try await store.launch(campaign, actor: "test", now: Self.now, allowConcurrent: false, launchID: "first", firstStep: "intro") { session in
                    try await session.prepare([ana])
                    _ = try session.enroll(ana, mailbox: "sam", variants: [:], initial: .active(nextStep: "intro", dueAt: Self.now))
                    return ((), true)
                }
                let lease = try await StoreContractTests.lease(store)
                let step = try await StoreContractTests.due(store, "ana@example.org")
                guard case .recorded(let send) = try await store.recordIntent(step, key: StoreContractTests.key, bytes: [1], fence: lease.fence, now: Self.now) else {
                    Issue.record("not recorded")
                    return
                }
                try await store.recordSent(
                    send, sent: StoreContractTests.sent, next: .active(nextStep: "bump", dueAt: Self.now.addingTimeInterval(2 * 86_400)), recipientDomain: "example.org",
                    fence: lease.fence, now: Self.now)
                // Ana clicks; once the burst window has passed, her hot-lead task opens.
                let clicked = Self.now.addingTimeInterval(3_600)
                try await store.recordTrackingEvents([.init(sendRecordID: send, kind: .click, link: 1, eventClass: .likelyHuman, at: clicked)])
                let tasks = try await store.openTasks(campaign: "q1", actor: "runner", now: clicked.addingTimeInterval(60))
                let task = try #require(tasks.first { $0.stepID == CadenceDatabase.hotLeadStep })
                try await body(store, connector, send, clicked, task)
            }
        }
    }

    @Test("a late-written second click makes the first a scanner's burst: the hot-lead task is withdrawn, and show says why")
    func withdrawn() async throws {
        try await Self.withOpenHotLead { store, _, send, clicked, _ in
            try await store.recordTrackingEvents([.init(sendRecordID: send, kind: .click, link: 2, eventClass: .likelyHuman, at: clicked.addingTimeInterval(1))])
            #expect(try await store.listOpenTasks(campaign: "q1").isEmpty)
            let events = try #require(try await store.candidate("ana@example.org")).enrollments.first?.events.map(\.detail) ?? []
            #expect(events.contains { $0.contains("hot lead withdrawn") }, "\(events)")
        }
    }

    @Test("a hot-lead task marked done while a burst is withdrawing it stays done, with its note (the withdrawal waits for the person)")
    func doneWhileWithdrawn() async throws {
        try await Self.withOpenHotLead { store, connector, send, clicked, task in
            let logger = Logger(label: "test")
            // The recruiter's `tasks done` holds the task while a late-written second click (a scanner's burst)
            // reclassifies the first and withdraws the task; the recruiter commits first.
            try await connector.withConnection { recruiter in
                try await recruiter.query("BEGIN", logger: logger)
                _ = try await recruiter.query("SELECT id FROM task WHERE id = \(task.id) FOR NO KEY UPDATE", logger: logger).collect()
                let burst = try await LaunchConcurrencyTests.whileLaunchIsOpen(connector) {
                    try await store.recordTrackingEvents([.init(sendRecordID: send, kind: .click, link: 2, eventClass: .likelyHuman, at: clicked.addingTimeInterval(1))])
                }
                try await recruiter.query(
                    "UPDATE task SET doneAt = \(clicked.addingTimeInterval(120)), doneBy = 'sam', note = 'called her' WHERE id = \(task.id)", logger: logger)
                try await recruiter.query("COMMIT", logger: logger)
                try await burst.value
            }
            let left = try await connector.withConnection { connection in
                try await connection.query("SELECT note FROM task WHERE id = \(task.id)", logger: logger).collect().first?.decode(String?.self)
            }
            #expect(left == .some("called her"), "the done task was deleted by the withdrawal")
        }
    }
}
