import CadenceCore
import CadenceEngine
import CadenceStore
import Foundation
import Synchronization
import Testing

/// Provider that hands the message to the outbox and then reports an unknown outcome: "Gmail took it, then timed out".
final class SentThenUnknownSender: MailSender {
    let outbox: OutboxFolderSender
    let unknownFor = Mutex<Set<String>>([])
    let calls = Mutex<[String]>([])

    init(root: String) { outbox = OutboxFolderSender(root: root) }

    func send(_ request: SendRequest, from mailbox: Mailbox) async throws(SendFailure) -> SentMessage {
        calls.withLock { $0.append(request.key.sendID) }
        let sent = try await outbox.send(request, from: mailbox)
        if unknownFor.withLock({ $0.contains(request.recipient) }) { throw .outcomeUnknown(reason: "timed out after the provider took it") }
        return sent
    }

    func lookUp(_ request: SendRequest, in mailbox: Mailbox) async throws(SendFailure) -> SentMessage? {
        try await outbox.lookUp(request, in: mailbox)
    }
}

/// The runner's promises where a step cannot go now: nothing stays stuck at the front of the queue, nothing is
/// stranded by a pause, and the pass reports what it did.
@Suite("The runner keeps its promises")
struct RunnerPromiseTests {
    static let tuesday = RunnerTests.tuesday

    static func project(_ files: [String: String]) throws -> (TemporaryProject, ProjectLocation) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-promise-\(UUID().uuidString)").path
        let project = TemporaryProject(root: root)
        for (path, content) in files { try project.write(path, content) }
        return (project, ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: root))
    }

    static let twoMailboxes: [String: String] = [
        "cadence.json": """
        { "mailboxes": [ { "name": "sam", "address": "sam@example.com", "displayName": "Sam", "timeZone": "UTC",
                           "limits": { "dailyCap": 100, "hourlyCap": 100, "minimumGap": "0s" } },
                         { "name": "gone", "address": "gone@example.com", "displayName": "Gone", "timeZone": "UTC",
                           "limits": { "dailyCap": 100, "hourlyCap": 100, "minimumGap": "0s" } } ] }
        """,
        "sequences/old.json": """
        { "id": "old", "name": "Old", "mailboxes": ["gone"], "timeZone": "UTC",
          "steps": [ { "id": "intro", "type": "email", "template": "intro.md" } ] }
        """,
        "sequences/q1.json": """
        { "id": "q1", "name": "Q1", "mailboxes": ["sam"], "timeZone": "UTC",
          "steps": [ { "id": "intro", "type": "email", "template": "intro.md" } ] }
        """,
        "templates/intro.md": "Subject: Hello <<candidate.firstName>>\n\nHi <<candidate.firstName>>.\n",
        "old.csv": "email,firstName\nx1@example.org,X1\nx2@example.org,X2\nx3@example.org,X3\n",
        "q1.csv": "email,firstName\nana@example.org,Ana\n",
    ]

    @Test("steps that cannot be sent (their mailbox left cadence.json) wait with a reason instead of blocking the steps behind them")
    func noHeadOfLineBlocking() async throws {
        let (project, location) = try Self.project(Self.twoMailboxes)
        defer { try? FileManager.default.removeItem(atPath: project.root) }
        let database = try CadenceDatabase.open(path: project.root + "/cadence.sqlite", mode: .create)
        _ = try Launcher.launch(try LoadedCampaign.load("old", location: location), database: database, options: .init(candidatesPath: "old.csv", now: Self.tuesday, actor: "t"))
        let q1 = try LoadedCampaign.load("q1", location: location)
        _ = try Launcher.launch(q1, database: database, options: .init(candidatesPath: "q1.csv", now: Self.tuesday.addingTimeInterval(1), actor: "t"))
        var configuration = q1.configuration
        configuration.mailboxes.removeAll { $0.name == "gone" }  // removed from cadence.json after the launch
        var runner = Runner(store: database, configuration: configuration, sender: OutboxFolderSender(root: project.root), batch: 2, seed: 1, lease: RunnerTests.lease(database))
        var sent = 0
        for minute in 0..<5 { sent += try await runner.runOnce(now: Self.tuesday.addingTimeInterval(60 + Double(minute) * 60)).sent }
        #expect(sent == 1)
        guard case .active(_, let due)? = try await database.candidate("x1@example.org")?.enrollments.first?.state else { Issue.record("x1 is not active"); return }
        #expect(due > Self.tuesday.addingTimeInterval(300))
        let waiting = try await database.status(campaign: "old", now: Self.tuesday.addingTimeInterval(300)).first?.steps.first?.waiting ?? [:]
        #expect(waiting.keys.contains { $0.contains("gone") }, "status says why: \(waiting)")
    }

    @Test("a person paused while their send's outcome is unknown is not stranded: once the send is confirmed and they are resumed, the next step follows")
    func pauseDuringUnknownOutcome() async throws {
        var files = RunnerTests.files.compactMapValues { $0 }
        files["people.csv"] = "email,firstName\nana@example.org,Ana\n"
        let (project, location) = try Self.project(files)
        defer { try? FileManager.default.removeItem(atPath: project.root) }
        let database = try CadenceDatabase.open(path: project.root + "/cadence.sqlite", mode: .create)
        let loaded = try LoadedCampaign.load("q1", location: location)
        _ = try Launcher.launch(loaded, database: database, options: .init(candidatesPath: "people.csv", now: Self.tuesday, actor: "t"))
        let sender = SentThenUnknownSender(root: project.root)
        sender.unknownFor.withLock { $0 = ["ana@example.org"] }
        var runner = Runner(store: database, configuration: loaded.configuration, sender: sender, seed: 1, lease: RunnerTests.lease(database))
        #expect(try await runner.runOnce(now: Self.tuesday).unknown == 1)
        sender.unknownFor.withLock { $0 = [] }
        // `cadence pause` while the send is in doubt.
        #expect(try await database.pause(.candidate(addressKey: "ana@example.org", campaign: nil), note: nil, actor: "sam", now: Self.tuesday.addingTimeInterval(10)) == 1)
        #expect(try await runner.runOnce(now: Self.tuesday.addingTimeInterval(60)).reconciled == 1)
        #expect(try await database.resume(.candidate(addressKey: "ana@example.org", campaign: nil), note: nil, actor: "sam", now: Self.tuesday.addingTimeInterval(120)) == 1)
        var sent = 0
        var now = Self.tuesday.addingTimeInterval(180)
        while now < Self.tuesday.addingTimeInterval(3 * 86_400) {
            sent += try await runner.runOnce(now: now).sent
            now = now.addingTimeInterval(3_600)
        }
        #expect(sent == 1, "the bump goes out once")
        #expect(sender.calls.withLock { $0.count } == 2, "intro once, bump once")
        #expect(try await database.candidate("ana@example.org")?.enrollments.first?.state == .finished)
    }

    @Test("a pass reports the tasks it opened even when the clock has sub-millisecond precision")
    func tasksOpenedAreCounted() async throws {
        let files: [String: String] = [
            "cadence.json": RunnerTests.files["cadence.json"]!!,
            "sequences/q1.json": """
            { "id": "q1", "name": "Q1", "mailboxes": ["sam"], "timeZone": "UTC",
              "steps": [ { "id": "call", "type": "task", "title": "Call them", "instructions": "Say hello." } ] }
            """,
            "people.csv": "email,firstName\nana@example.org,Ana\n",
        ]
        let (project, location) = try Self.project(files)
        defer { try? FileManager.default.removeItem(atPath: project.root) }
        let database = try CadenceDatabase.open(path: project.root + "/cadence.sqlite", mode: .create)
        let loaded = try LoadedCampaign.load("q1", location: location)
        _ = try Launcher.launch(loaded, database: database, options: .init(candidatesPath: "people.csv", now: Self.tuesday, actor: "t"))
        var runner = Runner(store: database, configuration: loaded.configuration, sender: OutboxFolderSender(root: project.root), seed: 1, lease: RunnerTests.lease(database))
        let report = try await runner.runOnce(now: Self.tuesday.addingTimeInterval(60.000_4))
        #expect(report.tasksOpened == 1)
    }
}
