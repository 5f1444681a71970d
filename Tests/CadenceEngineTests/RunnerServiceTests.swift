import CadenceCore
import CadenceEngine
import CadenceStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// A provider whose first send is still out when the service is asked to stop: it finishes only once graceful
/// shutdown has reached the runner's task, so the test can see what the runner does with the send in flight.
final class InFlightSender: MailSender {
    let outbox: OutboxFolderSender
    let calls = Mutex<[String]>([])
    let started = Mutex(false)

    init(root: String) { outbox = OutboxFolderSender(root: root) }

    func send(_ request: SendRequest, from mailbox: Mailbox) async throws(SendFailure) -> SentMessage {
        let first = calls.withLock {
            $0.append(request.key.sendID); return $0.count == 1
        }
        if first {
            started.withLock { $0 = true }
            let deadline = Date().addingTimeInterval(120)
            while !Task.isShuttingDownGracefully, Date() < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        }
        return try await outbox.send(request, from: mailbox)
    }

    func lookUp(_ request: SendRequest, in mailbox: Mailbox) async throws(SendFailure) -> SentMessage? {
        try await outbox.lookUp(request, in: mailbox)
    }
}

/// `cadence run` as a service, driven in process.
@Suite("the runner service")
struct RunnerServiceTests {
    static let files: [String: String] = {
        var files = RunnerTests.files.compactMapValues { $0 }
        files["cadence.json"] = """
            { "mailboxes": [ { "name": "sam", "address": "sam@example.com", "displayName": "Sam", "timeZone": "UTC",
                               "limits": { "dailyCap": 100, "hourlyCap": 100, "minimumGap": "0s" } } ] }
            """
        files["people.csv"] = "email,firstName\n" + (1...5).map { "p\($0)@example.org,P\($0)" }.joined(separator: "\n") + "\n"
        return files
    }()

    static func launched() throws -> (root: String, database: CadenceDatabase, configuration: ProjectConfiguration) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-service-\(UUID().uuidString)").path
        let project = TemporaryProject(root: root)
        for (path, content) in files { try project.write(path, content) }
        let loaded = try LoadedCampaign.load("q1", location: ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: root))
        let database = try CadenceDatabase.open(path: root + "/cadence.sqlite", mode: .create)
        _ = try Launcher.launch(loaded, database: database, options: .init(candidatesPath: "people.csv", now: RunnerTests.tuesday, actor: "t"))
        return (root, database, loaded.configuration)
    }

    static func group(_ service: RunnerService) -> ServiceGroup {
        ServiceGroup(
            configuration: .init(
                services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)], logger: Logger(label: "test")))
    }

    @Test("graceful shutdown lets the send in flight finish and be recorded, then stops without starting the rest of the pass, and frees the lease")
    func gracefulShutdownFinishesTheSendInFlight() async throws {
        let (root, database, configuration) = try Self.launched()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let sender = InFlightSender(root: root)
        let clock = FixedClock(RunnerTests.tuesday)
        let lease = LeaseKeeper(store: database, owner: "service", seconds: 600, clock: clock)
        let runner = Runner(store: database, configuration: configuration, sender: sender, seed: 1, lease: lease)
        let lines = Mutex<[String]>([])
        let group = Self.group(RunnerService(runner: runner, clock: clock, interval: 60, once: false) { line in lines.withLock { $0.append(line) } })
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let deadline = Date().addingTimeInterval(60)
            while !sender.started.withLock({ $0 }), Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(sender.started.withLock { $0 })
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(sender.calls.withLock { $0.count } == 1, "one send was in flight; nothing after it started")
        let sent = try (1...5).filter { if case .active("bump", _)? = try database.candidate("p\($0)@example.org")?.enrollments.first?.state { true } else { false } }
        #expect(sent.count == 1, "the send in flight was recorded and its person moved on")
        #expect(lines.withLock { $0 }.count == 1)
        #expect(lines.withLock { $0 }.first?.contains("Sent 1;") == true)
        #expect(lines.withLock { $0 }.first?.contains("Stopped after the send in flight") == true)
        #expect(try await database.currentLease()?.expiresAt ?? .distantFuture <= RunnerTests.tuesday, "the lease was released")
    }

    @Test("a runner that finds another runner holding the lease at the start of a pass stops with an error, doing nothing")
    func lostLeaseStopsTheService() async throws {
        let (root, database, configuration) = try Self.launched()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let clock = AdjustableClock(RunnerTests.tuesday.addingTimeInterval(-7 * 86_400))  // a Tuesday a week before: nothing is due yet
        let lease = LeaseKeeper(store: database, owner: "first", seconds: 90, clock: clock)
        let runner = Runner(store: database, configuration: configuration, sender: OutboxFolderSender(root: root), seed: 1, lease: lease)
        let lines = Mutex<[String]>([])
        let group = Self.group(RunnerService(runner: runner, clock: clock, interval: 1, once: false) { line in lines.withLock { $0.append(line) } })
        await #expect(throws: RunnerService.Stop.leaseLost) {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let deadline = Date().addingTimeInterval(60)
                while lines.withLock({ $0.isEmpty }), Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
                // The first runner stalls past its lease and a second takes the database over (before the first's
                // clock moves, so the first cannot renew in between); then everything is due.
                let taken = try await database.acquireLease(owner: "second", now: RunnerTests.tuesday, seconds: 90)
                guard case .held(let lease) = taken, lease.owner == "second" else {
                    Issue.record("the second runner could not take the lease: \(taken)")
                    tasks.cancelAll()
                    return
                }
                clock.set(RunnerTests.tuesday)
                try await tasks.waitForAll()
            }
        }
        #expect(try await database.dueSteps(now: RunnerTests.tuesday, limit: 10).count == 5, "nothing was sent after the lease was lost")
        #expect(try await database.currentLease()?.owner == "second")
    }
}
