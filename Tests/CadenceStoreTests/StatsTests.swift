import CadenceCore
import CadenceStore
import Foundation
import GRDB
import Synchronization
import Testing

@Suite("Stats: per step and variant")
struct StatsTests {
    @Test("sent counts per step and per variant, tasks done, where people stand, stopped and finished")
    func counts() throws {
        let database = try CadenceDatabase.inMemory()
        let now = SteeringTests.now
        let json =
            #"{ "id": "s", "name": "S", "mailboxes": ["sam"], "timeZone": "UTC", "steps": [ { "id": "intro", "type": "email", "variants": [ { "id": "a", "template": "a.md", "weight": 50 }, { "id": "b", "template": "b.md", "weight": 50 } ] }, { "id": "call", "type": "task", "delay": "1d", "title": "Call", "instructions": "Ring." } ] }"#
        let campaign = CadenceDatabase.LaunchCampaign(
            id: "s", name: "S", sourcePath: "s.json", digest: "d",
            files: [SnapshotFile(kind: .campaign, path: "s.json", content: Array(json.utf8), digest: "x")])
        let people: [(String, String, EnrollmentState)] = [
            ("a1@example.org", "a", .active(nextStep: "call", dueAt: now)), ("a2@example.org", "a", .active(nextStep: "intro", dueAt: now)),
            ("b1@example.org", "b", .active(nextStep: "call", dueAt: now)), ("b2@example.org", "b", .held(step: "intro", reason: .missingFields(["candidate.x"]))),
        ]
        _ = try database.launch(campaign, actor: "t", now: now, allowConcurrent: true) { session in
            for (index, person) in people.enumerated() {
                _ = try session.enroll(SteeringTests.candidate(person.0, line: index + 2), mailbox: "sam", variants: ["intro": person.1], initial: person.2)
            }
            return ((), true)
        }
        // What the runner will record: a1 and b1 were sent the intro.
        try database.writer.write { db in
            for address in ["a1@example.org", "b1@example.org"] {
                let id = try Int64.fetchOne(db, sql: "SELECT e.id FROM enrollment e JOIN candidate c ON c.id = e.candidateId WHERE c.addressKey = ?", arguments: [address])!
                try db.execute(
                    sql: "INSERT INTO sendRecord (enrollmentId, campaignId, stepId, sendId, mailbox, state, createdAt, sentAt) VALUES (?, 's', 'intro', ?, 'sam', 'sent', ?, ?)",
                    arguments: [id, "s.intro.\(id)", now, now])
            }
        }
        let task = try #require(try database.openTasks(campaign: "s", actor: "t", now: now).first)
        _ = try database.completeTask(task.id, note: nil, actor: "t", now: now)
        _ = try database.stop(.candidate(addressKey: "a2@example.org", campaign: nil), reason: .replied, actor: "t", now: now)
        let stats = try #require(try database.stats(campaign: "s", now: now).first)
        #expect(stats.enrolled == 4)
        #expect(
            stats.rows.map { "\($0.stepID)/\($0.variantID ?? "-"): enrolled \($0.enrolled) sent \($0.sent) done \($0.tasksDone) active \($0.active) held \($0.held)" } == [
                "intro/-: enrolled 4 sent 2 done 0 active 0 held 1",
                "intro/a: enrolled 2 sent 1 done 0 active 0 held 0",
                "intro/b: enrolled 2 sent 1 done 0 active 0 held 1",
                "call/-: enrolled 4 sent 0 done 1 active 0 held 0",  // one done (finished), one waiting on its task
            ])
        #expect(stats.finished == 1)
        #expect(stats.stopped.map { "\($0.kind) \($0.count)" } == ["replied 1"])
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
        // The reader under test: when a read transaction ends, another connection pauses everyone, once. A second
        // read transaction inside `stats` would see the pause; the first would not.
        let armed = OneShot()
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            db.trace(options: .statement) { event in
                let sql = "\(event)".uppercased()
                guard sql.hasPrefix("COMMIT") || sql.hasPrefix("ROLLBACK"), armed.take() else { return }
                _ = try? other.pause(.campaign("s"), note: "meanwhile", actor: "t", now: now)
            }
        }
        let reader = try CadenceDatabase(try DatabasePool(path: path, configuration: configuration), path: path)
        let before = try reader.stats(campaign: "s", now: now)
        armed.arm()
        let during = try reader.stats(campaign: "s", now: now)
        let after = try reader.stats(campaign: "s", now: now)
        #expect(before != after, "the pause happened")
        #expect(during == before || during == after, "\(during.first?.rows.map { "\($0.stepID)/\($0.variantID ?? "-"): active \($0.active) paused \($0.paused)" } ?? [])")
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
