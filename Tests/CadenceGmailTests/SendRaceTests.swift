import CadenceCore
import CadenceEngine
import CadenceFakeGmail
import CadenceGmail
import CadenceStore
import Foundation
import Synchronization
import Testing

/// No email goes out after a reply Cadence could have seen: the mailbox is read again right before a send when
/// its last read is older than `maxSyncAge` (or pushes wait), and the send's transaction re-checks the enrolment.
@Suite("a reply arriving while a send is prepared")
struct SendRaceTests {
    static func reply(_ scene: SendingScene) throws -> [UInt8] {
        let intro = try #require(scene.sent.first { $0.to == ["p1@example.org"] })
        return Array("From: p1@example.org\r\nTo: \(SendingScene.sam)\r\nSubject: Re: \(intro.subject)\r\nIn-Reply-To: \(intro.messageID ?? "")\r\n\r\nPlease hold off, replying now.\r\n".utf8)
    }

    @Test("a reply landing after the pass's read is found by the staleness check before the send, and nothing is sent")
    func staleMailboxIsReadBeforeTheSend() async throws {
        try await SendingScene.with(people: 1) { (scene: SendingScene) async throws -> Void in
            _ = try await scene.pass(at: 0)
            let raw = try Self.reply(scene)
            let thread = try #require(scene.sent.first?.threadID)
            let delivered = Mutex(false)
            let fake = scene.fake, clock = scene.clock
            scene.runner.clock = clock
            // Called right before the send's intent is recorded: the reply lands now, and two minutes pass (the
            // pass was slowed by Gmail's pacing), so the read at the start of the pass is stale.
            let lease = scene.lease
            let checks = Mutex(0)
            // The lease is checked before everything done for a mailbox: at the first check, the send's, the reply lands.
            scene.runner.leaseCheck = { (mailbox: String) async throws(StoreError) -> RunnerLease? in
                if checks.withLock({
                    $0 += 1; return $0
                }) == 1, !delivered.withLock({ $0 }) {
                    delivered.withLock { $0 = true }
                    _ = try? fake.deliver(raw, to: SendingScene.sam, threadID: thread)
                    clock.advance(by: 120)
                }
                return try await lease.current(for: mailbox)
            }
            let report = try await scene.pass(at: 86_400 + 60)
            #expect(delivered.withLock { $0 })
            #expect(report.sent == 0)
            #expect(report.incoming == 1)
            #expect(try scene.state("p1@example.org") == .stopped(.replied))
            #expect(scene.sent.count == 1)
        }
    }

    @Test("a reply applied by another sync while the send is prepared is seen by the send's transaction: skipped, not sent")
    func sendTransactionRechecks() async throws {
        try await SendingScene.with(people: 1) { (scene: SendingScene) async throws -> Void in
            _ = try await scene.pass(at: 0)
            let thread = try #require(scene.sent.first?.threadID)
            let database = scene.database
            let now = SendingScene.tuesday.addingTimeInterval(86_400 + 60)
            let lease = scene.lease
            let checks = Mutex(0)
            scene.runner.leaseCheck = { (mailbox: String) async throws(StoreError) -> RunnerLease? in
                guard
                    checks.withLock({
                        $0 += 1; return $0
                    }) == 1
                else { return try await lease.current(for: mailbox) }
                _ = try await database.applyIncoming(
                    IncomingMessage(
                        mailbox: "sam", providerMessageID: "elsewhere-1", providerThreadID: thread, from: "p1@example.org", references: [],
                        incomingClass: .reply, snippet: "Not interested", receivedAt: now),
                    now: now)
                return try await lease.current(for: mailbox)
            }
            let report = try await scene.pass(at: 86_400 + 60)
            #expect(report.sent == 0)
            #expect(report.skipped == 1)
            #expect(try scene.state("p1@example.org") == .stopped(.replied))
            #expect(scene.sent.count == 1)
        }
    }

    @Test("the first read of a mailbox starts before Cadence's first send from it, so an early reply is not missed")
    func firstSyncStartsBeforeTheFirstSend() async throws {
        try await SendingScene.with(people: 1) { (scene: SendingScene) async throws -> Void in
            let watch = scene.runner.watch
            scene.runner.watch = nil  // watching starts later (e.g. an upgrade, or Gmail was unreachable)
            _ = try await scene.pass(at: 0)
            try scene.fake.deliver(try Self.reply(scene), to: SendingScene.sam, threadID: scene.sent.first?.threadID)
            #expect(try await scene.database.syncCheckpoint("sam") == nil)
            scene.runner.watch = watch
            let report = try await scene.pass(at: 600)
            #expect(report.incoming == 1)
            #expect(try scene.state("p1@example.org") == .stopped(.replied))
        }
    }
}
