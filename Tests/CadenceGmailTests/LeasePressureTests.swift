import CadenceCore
import CadenceEngine
import CadenceFakeGmail
import CadenceGmail
import CadenceStore
import Foundation
import NIOHTTP1
import Synchronization
import Testing

/// Waiting that moves the shared clock and, once, lets something else happen while this runner waits (another
/// runner's passes, a reply arriving): how a long backoff looks from the outside.
final class InterleavingSleeper: Sleeper, Sendable {
    let clock: AdjustableClock
    let meanwhile: Mutex<(@Sendable (Date) async throws -> Bool)?>
    init(_ clock: AdjustableClock, meanwhile: @escaping @Sendable (Date) async throws -> Bool) {
        self.clock = clock
        self.meanwhile = Mutex(meanwhile)
    }
    /// `meanwhile` runs after each wait until it returns true.
    func sleep(seconds: Double) async throws {
        clock.advance(by: seconds)
        guard let body = meanwhile.withLock({ $0 }) else { return }
        if try await body(clock.now) { meanwhile.withLock { $0 = nil } }
    }
}

/// A runner's passes behind a lock, so a test can run them from inside another runner's wait.
final class RunnerBox: @unchecked Sendable {
    var runner: Runner
    init(_ runner: Runner) { self.runner = runner }
}

@Suite("the runner under pressure: long waits, lost leases, replies during a resend")
struct LeasePressureTests {
    @Test("a 429 storm outlasts the lease and a second runner takes over and sends: the first runner does not send it too")
    func stormOutlastsTheLease() async throws {
        try await SendingScene.with(people: 1) { (scene: SendingScene) async throws -> Void in
            scene.fake.addFault(FaultRule(method: "messages.send", calls: 1...4, fault: .rateLimited(retryAfterSeconds: 60)))
            let t0 = SendingScene.tuesday
            scene.clock.set(t0)
            let database = scene.database, clock = scene.clock
            func runner(owner: String, sleeper: any Sleeper) -> Runner {
                let access = GmailAccess(store: scene.project.store, clock: clock, sleeper: sleeper, logger: scene.project.logs.logger)
                let lease = LeaseKeeper(store: database, owner: owner, seconds: 150, clock: clock)
                return Runner(
                    store: database, configuration: scene.configuration,
                    sender: ProviderRouter(outbox: OutboxFolderSender(root: scene.project.root), gmail: access.sender(http: scene.http)), seed: 5, lease: lease)
            }
            let second = RunnerBox(runner(owner: "b", sleeper: ClockSleeper(clock)))
            // While the first runner backs off past its lease, the second one takes over, looks for the send twice a
            // minute apart, and sends it.
            let sleeper = InterleavingSleeper(clock) { now in
                guard now > t0.addingTimeInterval(150) else { return false }
                _ = try await second.runner.runOnce(now: now)
                clock.advance(by: 80)
                _ = try await second.runner.runOnce(now: clock.now)
                return true
            }
            var first = runner(owner: "a", sleeper: sleeper)
            _ = try await first.runOnce(now: t0)
            // Afterwards the second runner carries on until nothing is left to send.
            for _ in 0..<6 {
                clock.advance(by: 90)
                _ = try await second.runner.runOnce(now: clock.now)
            }
            #expect(scene.fake.report().duplicates.isEmpty, "sent twice: \(scene.fake.report().duplicates)")
            #expect(scene.sent.filter { $0.to == ["p1@example.org"] }.count == 1)
        }
    }

    @Test("a 429 whose Retry-After is longer than the backoff cap defers the step instead of retrying at once")
    func longRetryAfterDefers() async throws {
        try await SendingScene.with(people: 1) { (scene: SendingScene) async throws -> Void in
            scene.fake.addFault(FaultRule(method: "messages.send", calls: 1...5, fault: .rateLimited(retryAfterSeconds: 120)))
            let report = try await scene.pass(at: 0)
            #expect(scene.fake.calls(of: "messages.send") == 1)
            #expect(report.deferred == 1)
            guard case .active("intro", let due)? = try scene.state("p1@example.org") else { Issue.record("p1 is not waiting at intro"); return }
            #expect(due >= SendingScene.tuesday.addingTimeInterval(120))
        }
    }

    @Test("a reply that lands while reconciliation prepares a resend stops the resend")
    func replyBeforeResend() async throws {
        try await SendingScene.with(people: 1) { (scene: SendingScene) async throws -> Void in
            scene.fake.addFault(FaultRule(method: "messages.send", call: 1, fault: .drop))
            let fake = scene.fake, clock = scene.clock
            scene.runner.clock = clock
            #expect(try await scene.pass(at: 0).unknown == 1)
            let delivered = Mutex(false)
            let reply = Array("From: p1@example.org\r\nTo: \(SendingScene.sam)\r\nSubject: Re: Quick question, P1\r\n\r\nPlease stop writing to me.\r\n".utf8)
            let lease = scene.lease
            scene.runner.leaseCheck = { (mailbox: String) async throws(StoreError) -> RunnerLease? in
                // Right before the resend: the reply arrives, and the read at the start of the pass is two minutes old.
                if clock.now >= SendingScene.tuesday.addingTimeInterval(130), !delivered.withLock({ $0 }) {
                    delivered.withLock { $0 = true }
                    _ = try? fake.deliver(reply, to: SendingScene.sam)
                    clock.advance(by: 120)
                }
                return try await lease.current(for: mailbox)
            }
            _ = try await scene.pass(at: 60)
            _ = try await scene.pass(at: 130)
            #expect(delivered.withLock { $0 })
            #expect(scene.sent.isEmpty, "resent after the reply: \(scene.sent.map(\.to))")
            #expect(try scene.state("p1@example.org") == .stopped(.replied))
        }
    }

    @Test("Retry-After values that are not a sane number of seconds are bounded, never infinite or centuries away")
    func retryAfterIsBounded() {
        let now = SendingScene.tuesday
        for header in ["inf", "Infinity", "nan", "1e400", "99999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT"] {
            let hint = RetryPolicy.hint(retryAfter: header, message: nil, now: now)
            #expect(hint.map { $0.isFinite && $0 >= 0 && $0 <= 86_400 } ?? true, "Retry-After: \(header) gave \(String(describing: hint))")
        }
        let message = RetryPolicy.hint(retryAfter: nil, message: "User-rate limit exceeded. Retry after 9999-12-31T23:59:59.000Z", now: now)
        #expect(message.map { $0.isFinite && $0 <= 86_400 } ?? true)
    }
}

extension LeasePressureTests {
    @Test("no request to Google starts when it could not be answered before the call's deadline: a token refresh and the retry after a 401 included")
    func noRequestPastTheDeadline() async throws {
        try await SendingScene.with(people: 1) { (scene: SendingScene) async throws -> Void in
            let clock = scene.clock
            let before = scene.fake.calls(of: "getProfile")
            // 30 s left; one request may take 10 s to connect and 60 s to answer.
            let limit = CallDeadline(at: clock.now.addingTimeInterval(30), clock: clock)
            let outcome: Result<GoogleHTTP.Response, TransportError> = await CallDeadline.$current.withValue(limit) {
                do {
                    return .success(try await scene.http.perform(.GET, scene.project.endpoints.apiURL + "/gmail/v1/users/me/profile", label: "getProfile"))
                } catch {
                    return .failure(error as? TransportError ?? .noAnswer("\(error)"))
                }
            }
            guard case .failure(.notSent) = outcome else { Issue.record("the request was made: \(outcome)"); return }
            #expect(scene.fake.calls(of: "getProfile") == before, "Google saw the request")
        }
    }
}

/// A provider that, once a send has gone through, lets something happen before the runner hears back: here,
/// another runner taking the database over.
final class AfterSendHook: MailSender, @unchecked Sendable {
    let inner: any MailSender
    var after: (@Sendable () async throws -> Void)?
    init(_ inner: any MailSender) { self.inner = inner }

    func send(_ request: SendRequest, from mailbox: Mailbox) async throws(SendFailure) -> SentMessage {
        let sent = try await inner.send(request, from: mailbox)
        if let hook = after {
            after = nil
            try? await hook()
        }
        return sent
    }
    func lookUp(_ request: SendRequest, in mailbox: Mailbox) async throws(SendFailure) -> SentMessage? { try await inner.lookUp(request, in: mailbox) }
    func recheckDelay(for mailbox: Mailbox) -> TimeInterval { inner.recheckDelay(for: mailbox) }
    func storedMessageID(of providerMessageID: String, in mailbox: Mailbox) async throws(SendFailure) -> String? {
        try await inner.storedMessageID(of: providerMessageID, in: mailbox)
    }
    func historyPosition(of mailbox: Mailbox) async throws(SendFailure) -> String? { try await inner.historyPosition(of: mailbox) }
}

extension LeasePressureTests {
    @Test("a runner whose send comes back after another runner took the database over records nothing: the fence refuses it, the new holder adopts the send")
    func fenceRefusesTheOverrunRunner() async throws {
        try await SendingScene.with(people: 1) { (scene: SendingScene) async throws -> Void in
            let t0 = SendingScene.tuesday
            let database = scene.database, clock = scene.clock
            clock.set(t0)
            func runner(owner: String, sender: any MailSender) -> Runner {
                Runner(store: database, configuration: scene.configuration, sender: sender, seed: 5, lease: LeaseKeeper(store: database, owner: owner, seconds: 150, clock: clock))
            }
            let access = GmailAccess(store: scene.project.store, clock: clock, sleeper: ClockSleeper(clock), logger: scene.project.logs.logger)
            let router = ProviderRouter(outbox: OutboxFolderSender(root: scene.project.root), gmail: access.sender(http: scene.http))
            let hooked = AfterSendHook(router)
            let second = RunnerBox(runner(owner: "b", sender: router))
            let reports = RunnerReports()
            // Gmail took the message, and the first runner stalls (a suspended machine) past its lease before it
            // hears back; the second runner takes over and confirms the send by looking it up.
            hooked.after = {
                clock.advance(by: 200)
                reports.append(try await second.runner.runOnce(now: clock.now))
            }
            var first = runner(owner: "a", sender: hooked)
            let report = try await first.runOnce(now: t0)
            #expect(report.leaseLost, "the first runner recorded its outcome after losing the lease")
            #expect(report.sent == 0)
            #expect(reports.all.first?.reconciled == 1, "the new holder adopts the send")
            #expect(scene.sent.filter { $0.to == ["p1@example.org"] }.count == 1)
            #expect(scene.fake.report().duplicates.isEmpty)
            guard case .active("bump", _)? = try scene.state("p1@example.org") else { Issue.record("p1 did not move on"); return }
        }
    }
}

final class RunnerReports: Sendable {
    private let reports = Mutex<[Runner.Report]>([])
    func append(_ report: Runner.Report) { reports.withLock { $0.append(report) } }
    var all: [Runner.Report] { reports.withLock { $0 } }
}
