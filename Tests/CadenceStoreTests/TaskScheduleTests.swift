import CadenceCore
import CadenceStore
import Foundation
import Testing

/// After a task is done, the next step is scheduled by the same rule as after a send.
@Suite("The store: the step after a task")
struct TaskScheduleTests {
    /// Tuesday 2026-12-01 09:00 UTC.
    static let now = Date(timeIntervalSince1970: 1_796_115_600)

    @Test("the step after a task is due in the candidate's own send window, as after a send")
    func afterTaskFollowsTheWindowInTheCandidatesZone() throws {
        let json = """
            { "id": "q1", "name": "Q1", "mailboxes": ["sam"], "timeZone": "UTC",
              "sendWindow": { "days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00" },
              "steps": [
                { "id": "call", "type": "task", "title": "Call", "instructions": "Ring them." },
                { "id": "note", "type": "email", "delay": "1h", "template": "note.md" } ] }
            """
        let campaign = CadenceDatabase.LaunchCampaign(
            id: "q1", name: "Q1", sourcePath: "sequences/q1.json", digest: "d",
            files: [SnapshotFile(kind: .campaign, path: "sequences/q1.json", content: Array(json.utf8), digest: "x")])
        let database = try CadenceDatabase.inMemory()
        _ = try database.launch(campaign, actor: "test", now: Self.now, allowConcurrent: false) { session in
            let aki = Candidate(line: 2, email: try EmailAddress.parse("aki@example.jp").get(), fields: ["email": "aki@example.jp"], timeZone: "Asia/Tokyo")
            return ([try session.enroll(aki, mailbox: "sam", variants: [:], initial: .active(nextStep: "call", dueAt: Self.now))], true)
        }
        let task = try #require(try database.openTasks(campaign: "q1", actor: "t", now: Self.now).first)
        // Done at 09:10 UTC, 18:10 in Tokyo: an hour later is after Aki's working day, so the note waits for
        // Wednesday 09:00 in Tokyo (00:00 UTC).
        let next = try database.completeTask(task.id, note: nil, actor: "sam", now: Self.now.addingTimeInterval(600))
        #expect(next == .active(nextStep: "note", dueAt: Date(timeIntervalSince1970: 1_796_169_600)))
    }
}
