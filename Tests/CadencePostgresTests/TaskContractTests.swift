import CadenceCore
import CadenceStore
import Foundation
import Testing

extension StoreContractTests {
    /// Ana's intro sent; her call task opened two days on, listed, done (and refused when done again, or unknown);
    /// Bo's task listed only for his campaign.
    static func taskScript(_ seeded: StoreBackend.Seeded) async throws -> Run {
        let store = seeded.store
        var answers: [String] = []
        func note(_ value: Any) { answers.append(String(describing: value)) }
        let lease = try await lease(store)
        for address in ["ana@example.org", "bo@example.org"] {
            let step = try await due(store, address)
            guard
                case .recorded(let id) = try await store.recordIntent(
                    step, key: SendKey(sendID: "q1.intro.\(address)", messageID: "\(address).m@example.com"), bytes: [1], fence: lease.fence, now: now)
            else { throw StoreError.other("no intent for \(address)") }
            let next = EnrollmentState.active(nextStep: "call", dueAt: now.addingTimeInterval(86_400))
            try await store.recordSent(id, sent: SentMessage(providerMessageID: "p-\(address)", threadID: "t-\(address)"), next: next, recipientDomain: "example.org", fence: lease.fence, now: now)
        }
        let later = now.addingTimeInterval(2 * 86_400)
        note(try await store.openTasks(campaign: nil, actor: "test", now: now))
        let open = try await store.openTasks(campaign: "q1", actor: "test", now: later)
        note(open)
        let first = try #require(open.first)
        note(try await store.completeTask(first.id, note: "connected", actor: "sam", now: later))
        for id in [first.id, 9_999] {
            do {
                note(try await store.completeTask(id, note: nil, actor: "sam", now: later))
            } catch {
                note(error)
            }
        }
        do {
            note(try await store.openTasks(campaign: "nope", actor: "test", now: later))
        } catch {
            note(error)
        }
        note(try await store.openTasks(campaign: nil, actor: "test", now: later))
        return Run(answers: answers, tables: try await tables(seeded))
    }

    @Test(
        "tasks are opened, listed and done the same on PostgreSQL as on SQLite, with the same refusals",
        .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
    func sameTasksOnEveryBackend() async throws {
        try await Self.expectSameOnEveryBackend(reached: ["task", "event", "stepTally", "stepTotal"], Self.taskScript)
    }
}
