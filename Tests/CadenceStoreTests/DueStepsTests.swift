import CadenceCore
import CadenceStore
import Foundation
import Testing

@Suite("Claiming due steps")
struct DueStepsTests {
    @Test("only active enrolments due by now, oldest first, at most the limit, with what rendering needs")
    func due() async throws {
        let database = try CadenceDatabase.inMemory()
        let now = SteeringTests.now
        try SteeringTests.launch(
            database,
            [
                ("late@example.org", .active(nextStep: "intro", dueAt: now.addingTimeInterval(60))),
                ("b@example.org", .active(nextStep: "intro", dueAt: now.addingTimeInterval(-60))),
                ("a@example.org", .active(nextStep: "intro", dueAt: now.addingTimeInterval(-120))),
                ("c@example.org", .active(nextStep: "intro", dueAt: now)),
                ("held@example.org", .held(step: "intro", reason: .missingFields(["candidate.company"]))),
            ])
        _ = try await database.pause(.candidate(addressKey: "c@example.org", campaign: nil), note: nil, actor: "t", now: now)
        let store: any CadenceStore = database
        let due = try await store.dueSteps(now: now, limit: 10)
        #expect(due.map(\.address) == ["a@example.org", "b@example.org"])
        #expect(due.first?.stepID == "intro")
        #expect(due.first?.mailbox == "sam")
        #expect(due.first?.fields["email"] == "a@example.org")
        #expect(try await store.dueSteps(now: now, limit: 1).map(\.address) == ["a@example.org"])
    }

    @Test("the due query reads the partial index on dueAt, never the whole table")
    func plan() throws {
        let plan = try CadenceDatabase.inMemory().dueQueryPlan().joined(separator: "\n")
        #expect(plan.contains("USING INDEX enrollmentDue"), "\(plan)")
        #expect(!plan.contains("SCAN e\n") && !plan.hasSuffix("SCAN e"), "\(plan)")
    }
}
