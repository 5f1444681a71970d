import CadenceCore
import CadenceStore
import Foundation
import GRDB
import Synchronization
import Testing

@Suite("Stats: per step and variant")
struct StatsTests {
    @Test("sent counts per step and per variant, tasks done and open, through the store's own writes")
    func counts() async throws {
        let database = try CadenceDatabase.inMemory()
        let now = SteeringTests.now
        let json =
            #"{ "id": "s", "name": "S", "mailboxes": ["sam"], "timeZone": "UTC", "steps": [ { "id": "intro", "type": "email", "variants": [ { "id": "a", "template": "a.md", "weight": 50 }, { "id": "b", "template": "b.md", "weight": 50 } ] }, { "id": "call", "type": "task", "delay": "1d", "title": "Call", "instructions": "Ring." } ] }"#
        let campaign = CadenceDatabase.LaunchCampaign(
            id: "s", name: "S", sourcePath: "s.json", digest: "d",
            files: [SnapshotFile(kind: .campaign, path: "s.json", content: Array(json.utf8), digest: "x")])
        let people: [(String, String, EnrollmentState)] = [
            ("a1@example.org", "a", .active(nextStep: "intro", dueAt: now)), ("a2@example.org", "a", .held(step: "intro", reason: .missingFields(["candidate.x"]))),
            ("b1@example.org", "b", .active(nextStep: "intro", dueAt: now)), ("b2@example.org", "b", .held(step: "intro", reason: .missingFields(["candidate.x"]))),
        ]
        _ = try database.launch(campaign, actor: "t", now: now, allowConcurrent: true) { session in
            for (index, person) in people.enumerated() {
                _ = try session.enroll(SteeringTests.candidate(person.0, line: index + 2), mailbox: "sam", variants: ["intro": person.1], initial: person.2)
            }
            return ((), true)
        }
        // What the runner records: a1 and b1 were sent the intro.
        guard case .held(let lease) = try await database.acquireLease(owner: "t", now: now, seconds: 600) else { return }
        for address in ["a1@example.org", "b1@example.org"] {
            let due = try await database.dueSteps(now: now, limit: 10)
            let step = try #require(due.first { $0.address == address })
            guard case .recorded(let id) = try await database.recordIntent(step, key: SendKey(sendID: "s.intro.\(address)", messageID: "\(address)m"), bytes: [1], fence: lease.fence, now: now)
            else { Issue.record("not recorded"); return }
            try await database.recordSent(
                id, sent: SentMessage(providerMessageID: address, threadID: address), next: .active(nextStep: "call", dueAt: now), recipientDomain: "example.org", fence: lease.fence, now: now)
        }
        let tasks = try await database.openTasks(campaign: "s", actor: "t", now: now)
        #expect(tasks.count == 2)
        _ = try await database.completeTask(try #require(tasks.first).id, note: nil, actor: "t", now: now)
        let stats = try #require(try database.stats(campaign: "s", now: now.addingTimeInterval(3 * 86_400)).first)
        #expect(stats.enrolled == 4)
        #expect(
            stats.rows.map { "\($0.stepID)/\($0.variantID ?? "-"): enrolled \($0.enrolled) sent \($0.sent) done \($0.tasksDone) open \($0.tasksOpen) overdue \($0.tasksOverdue)" } == [
                "intro/-: enrolled 4 sent 2 done 0 open 0 overdue 0",
                "intro/a: enrolled 2 sent 1 done 0 open 0 overdue 0",
                "intro/b: enrolled 2 sent 1 done 0 open 0 overdue 0",
                "call/-: enrolled 4 sent 0 done 1 open 1 overdue 1",  // one done, one still open, past its business day
            ])
        let fresh = try #require(try database.stats(campaign: "s", now: now).first)
        #expect(fresh.rows.first { $0.stepID == "call" }?.tasksOverdue == 0)
    }

    @Test("stats is one snapshot: a write that commits while it reads shows up in all of its numbers or in none")
    func oneSnapshot() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-stats-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let other = try CadenceDatabase.open(path: path, mode: .create)
        let now = SteeringTests.now
        let json =
            #"{ "id": "s", "name": "S", "mailboxes": ["sam"], "timeZone": "UTC", "steps": [ { "id": "intro", "type": "email", "variants": [ { "id": "a", "template": "a.md", "weight": 50 }, { "id": "b", "template": "b.md", "weight": 50 } ] } ] }"#
        let campaign = CadenceDatabase.LaunchCampaign(
            id: "s", name: "S", sourcePath: "s.json", digest: "d",
            files: [SnapshotFile(kind: .campaign, path: "s.json", content: Array(json.utf8), digest: "x")])
        _ = try other.launch(campaign, actor: "t", now: now, allowConcurrent: true) { session in
            for (index, variant) in ["a", "a", "b", "b"].enumerated() {
                _ = try session.enroll(
                    SteeringTests.candidate("p\(index)@example.org", line: index + 2), mailbox: "sam", variants: ["intro": variant],
                    initial: .active(nextStep: "intro", dueAt: now))
            }
            return ((), true)
        }
        // The reader under test: when a read transaction ends, another connection enrols two more people, once. A
        // second read transaction inside `stats` would see them; the first would not.
        let armed = OneShot()
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            db.trace(options: .statement) { event in
                let sql = "\(event)".uppercased()
                guard sql.hasPrefix("COMMIT") || sql.hasPrefix("ROLLBACK"), armed.take() else { return }
                _ = try? other.launch(campaign, actor: "t", now: now, allowConcurrent: true) { session in
                    for index in 4..<6 {
                        _ = try session.enroll(
                            SteeringTests.candidate("p\(index)@example.org", line: index + 2), mailbox: "sam", variants: ["intro": "b"],
                            initial: .active(nextStep: "intro", dueAt: now))
                    }
                    return ((), true)
                }
            }
        }
        let reader = try CadenceDatabase(try DatabasePool(path: path, configuration: configuration), path: path)
        let before = try reader.stats(campaign: "s", now: now)
        armed.arm()
        let during = try reader.stats(campaign: "s", now: now)
        let after = try reader.stats(campaign: "s", now: now)
        #expect(before != after, "the launch happened")
        #expect(during == before || during == after, "\(during.first?.rows.map { "\($0.stepID)/\($0.variantID ?? "-"): enrolled \($0.enrolled)" } ?? [])")
    }
}

/// A flag that fires once after it is armed, shared with SQLite's trace callback.
final class OneShot: Sendable {
    private let state = Mutex(false)
    func arm() { state.withLock { $0 = true } }
    func take() -> Bool {
        state.withLock {
            let was = $0; $0 = false; return was
        }
    }
}
