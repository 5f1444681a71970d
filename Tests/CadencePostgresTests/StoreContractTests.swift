import CadenceCore
import CadenceStore
import Foundation
import Testing

/// The promises every `CadenceStore` keeps, asserted through the protocol alone, so that a second implementation
/// (the PostgreSQL store) runs the same suite: add it to `stores`, with a way to enrol the same people.
@Suite("The store's contract, through the CadenceStore protocol")
struct StoreContractTests {
    static let now = SteeringTests.now

    /// Each implementation under test, with Ana and Bo active at `intro` (due now) in campaign q1, from mailbox sam.
    static func stores() throws -> [any CadenceStore] {
        let database = try CadenceDatabase.inMemory()
        try SteeringTests.launch(database, [("ana@example.org", SteeringTests.active), ("bo@example.org", SteeringTests.active)])
        return [database]
    }

    static func lease(_ store: any CadenceStore, owner: String = "runner") async throws -> RunnerLease {
        guard case .held(let lease) = try await store.acquireLease(owner: owner, now: now, seconds: 60) else {
            Issue.record("the lease was not free")
            throw StoreError.leaseLost
        }
        return lease
    }

    static func due(_ store: any CadenceStore, _ address: String) async throws -> DueStep {
        try #require(try await store.dueSteps(now: now, limit: 10).first { $0.address == address })
    }

    static let key = SendKey(sendID: "q1.intro.ana", messageID: "m1@example.com")
    static let sent = SentMessage(providerMessageID: "p1", threadID: "t1")

    @Test("a step is recorded once: a second intent for it is skipped while the first is open; sent, the enrolment moves on")
    func intentOnce() async throws {
        for store in try Self.stores() {
            let lease = try await Self.lease(store)
            let step = try await Self.due(store, "ana@example.org")
            guard case .recorded(let id) = try await store.recordIntent(step, key: Self.key, bytes: [1, 2], fence: lease.fence, now: Self.now) else {
                Issue.record("not recorded")
                continue
            }
            #expect(try await store.recordIntent(step, key: Self.key, bytes: [1, 2], fence: lease.fence, now: Self.now) == .skipped("an earlier send of this step is being reconciled"))
            #expect(try await store.unfinishedSends().map(\.recordID) == [id])
            #expect(try await store.unfinishedSends().first?.bytes == [1, 2])
            let next = EnrollmentState.active(nextStep: "call", dueAt: Self.now.addingTimeInterval(86_400))
            try await store.recordSent(id, sent: Self.sent, next: next, recipientDomain: "example.org", fence: lease.fence, now: Self.now)
            // Recording it again changes nothing: the ledger counts it once.
            try await store.recordSent(id, sent: Self.sent, next: next, recipientDomain: "example.org", fence: lease.fence, now: Self.now)
            #expect(try await store.unfinishedSends().isEmpty)
            #expect(try await store.sentRecords(enrollment: step.enrollmentID).map(\.providerThreadID) == ["t1"])
            #expect(try await store.sendTimes(mailbox: "sam", since: .distantPast) == [Self.now])
            #expect(try await store.dueSteps(now: Self.now, limit: 10).map(\.address) == ["bo@example.org"])
        }
    }

    @Test("the last step sent while the person was paused finishes them: recording it never fails")
    func lastStepWhilePaused() async throws {
        for store in try Self.stores() {
            guard let database = store as? CadenceDatabase else { continue }
            let lease = try await Self.lease(store)
            let step = try await Self.due(store, "ana@example.org")
            guard case .recorded(let id) = try await store.recordIntent(step, key: Self.key, bytes: [1], fence: lease.fence, now: Self.now) else {
                Issue.record("not recorded")
                continue
            }
            // Paused by hand (or by an out-of-office read) while the send was out.
            #expect(try await database.pause(.candidate(addressKey: "ana@example.org", campaign: nil), note: nil, actor: "sam", now: Self.now) == 1)
            try await store.recordSent(id, sent: Self.sent, next: .finished, recipientDomain: "example.org", fence: lease.fence, now: Self.now)
            #expect(try await store.sendTimes(mailbox: "sam", since: .distantPast) == [Self.now])
            #expect(try await store.unfinishedSends().isEmpty)
            // Finished: nothing left to pause or resume.
            #expect(try await database.resume(.candidate(addressKey: "ana@example.org", campaign: nil), note: nil, actor: "sam", now: Self.now) == 0)
            #expect(try await database.pause(.candidate(addressKey: "ana@example.org", campaign: nil), note: nil, actor: "sam", now: Self.now) == 0)
        }
    }

    @Test("a runner whose lease moved on records nothing: no outcome, no resend, no lookup miss, no new intent")
    func fence() async throws {
        for store in try Self.stores() {
            let first = try await Self.lease(store, owner: "first")
            let step = try await Self.due(store, "ana@example.org")
            guard case .recorded(let id) = try await store.recordIntent(step, key: Self.key, bytes: [1], fence: first.fence, now: Self.now) else {
                Issue.record("not recorded")
                continue
            }
            guard case .held(let second) = try await store.acquireLease(owner: "second", now: Self.now.addingTimeInterval(61), seconds: 60) else {
                Issue.record("the expired lease was not taken")
                continue
            }
            #expect(second.fence > first.fence)
            await #expect(throws: StoreError.leaseLost) {
                try await store.recordSent(id, sent: Self.sent, next: .finished, recipientDomain: "example.org", fence: first.fence, now: Self.now)
            }
            await #expect(throws: StoreError.leaseLost) { try await store.recordOutcomeUnknown(id, reason: "timeout", fence: first.fence) }
            await #expect(throws: StoreError.leaseLost) { try await store.beginResend(id, fence: first.fence, now: Self.now) }
            await #expect(throws: StoreError.leaseLost) { try await store.recordLookupMiss(id, fence: first.fence, now: Self.now) }
            let bo = try await Self.due(store, "bo@example.org")
            await #expect(throws: StoreError.leaseLost) {
                try await store.recordIntent(bo, key: SendKey(sendID: "q1.intro.bo", messageID: "m2@example.com"), bytes: [2], fence: first.fence, now: Self.now)
            }
            // The new holder confirms the intent.
            #expect(try await store.beginResend(id, fence: second.fence, now: Self.now) == .resend)
            try await store.recordSent(id, sent: Self.sent, next: .finished, recipientDomain: "example.org", fence: second.fence, now: Self.now)
            #expect(try await store.unfinishedSends().isEmpty)
        }
    }

    @Test("a send certainly not sent is discarded and due again; a resend after a stop is abandoned")
    func discardAndAbandon() async throws {
        for store in try Self.stores() {
            let lease = try await Self.lease(store)
            let ana = try await Self.due(store, "ana@example.org")
            guard case .recorded(let id) = try await store.recordIntent(ana, key: Self.key, bytes: [1], fence: lease.fence, now: Self.now) else {
                Issue.record("not recorded")
                continue
            }
            let later = Self.now.addingTimeInterval(300)
            try await store.discardIntent(id, retryAt: later, reason: "not sent", fence: lease.fence, now: Self.now)
            #expect(try await store.unfinishedSends().isEmpty)
            #expect(try await store.dueSteps(now: later, limit: 10).first { $0.address == "ana@example.org" }?.dueAt == later)

            let bo = try await Self.due(store, "bo@example.org")
            guard case .recorded(let boID) = try await store.recordIntent(bo, key: SendKey(sendID: "q1.intro.bo", messageID: "m2@example.com"), bytes: [2], fence: lease.fence, now: Self.now)
            else {
                Issue.record("not recorded")
                continue
            }
            try await store.recordOutcomeUnknown(boID, reason: "timeout", fence: lease.fence)
            // Bo answers meanwhile: the resend is abandoned, and the record closed.
            let reply = IncomingMessage(
                mailbox: "sam", providerMessageID: "r1", providerThreadID: nil, from: "bo@example.org", references: [],
                incomingClass: .reply, snippet: "Thanks", receivedAt: Self.now)
            guard case .applied(_, _, let stopped, _, _) = try await store.applyIncoming(reply, now: Self.now) else {
                Issue.record("the reply was not matched to Bo")
                continue
            }
            #expect(stopped == 1)
            guard case .abandoned = try await store.beginResend(boID, fence: lease.fence, now: Self.now) else {
                Issue.record("a resend to a person who replied was not abandoned")
                continue
            }
            #expect(try await store.unfinishedSends().isEmpty)
        }
    }

    @Test("postpone and hold move only an active enrolment at that step")
    func postponeAndHold() async throws {
        for store in try Self.stores() {
            let ana = try await Self.due(store, "ana@example.org")
            let later = Self.now.addingTimeInterval(3_600)
            try await store.postpone(ana.enrollmentID, step: "other", until: later, reason: "wrong step", now: Self.now)
            #expect(try await store.dueSteps(now: Self.now, limit: 10).contains { $0.address == "ana@example.org" })
            try await store.postpone(ana.enrollmentID, step: "intro", until: later, reason: "outside the send window", now: Self.now)
            #expect(try await store.dueSteps(now: Self.now, limit: 10).map(\.address) == ["bo@example.org"])
            let bo = try await Self.due(store, "bo@example.org")
            try await store.hold(bo.enrollmentID, step: "intro", reason: .missingFields(["candidate.company"]), now: Self.now)
            #expect(try await store.dueSteps(now: later, limit: 10).map(\.address) == ["ana@example.org"])
        }
    }

    @Test("the lease: renewed by its owner with the same fence, refused to others until it ends, released at once")
    func lease() async throws {
        for store in try Self.stores() {
            let t = Self.now
            let first = try await Self.lease(store, owner: "a")
            #expect(try await store.acquireLease(owner: "a", now: t.addingTimeInterval(30), seconds: 60) == .held(RunnerLease(owner: "a", fence: first.fence, expiresAt: t.addingTimeInterval(90))))
            #expect(try await store.acquireLease(owner: "b", now: t.addingTimeInterval(31), seconds: 60) == .busy(owner: "a", until: t.addingTimeInterval(90)))
            #expect(try await store.takeOverLease(from: "someone else", owner: "b", now: t, seconds: 60) == nil)
            let taken = try #require(try await store.takeOverLease(from: "a", owner: "b", now: t.addingTimeInterval(32), seconds: 60))
            #expect(taken.fence == first.fence + 1)
            try await store.releaseLease(owner: "b")
            #expect(try await store.currentLease()?.fence == taken.fence)
            #expect(try await store.acquireLease(owner: "c", now: t.addingTimeInterval(33), seconds: 60) == .held(RunnerLease(owner: "c", fence: taken.fence + 1, expiresAt: t.addingTimeInterval(93))))
        }
    }

    @Test("a mailbox's checkpoint only moves forward; a push is queued once and a stale one not at all")
    func checkpointsAndPushes() async throws {
        for store in try Self.stores() {
            #expect(try await store.syncCheckpoint("sam") == nil)
            try await store.advanceCheckpoint("sam", to: "200", now: Self.now)
            try await store.advanceCheckpoint("sam", to: "150", now: Self.now)
            #expect(try await store.syncCheckpoint("sam") == "200")
            #expect(try await store.enqueuePush(messageID: "m1", mailbox: "sam", historyID: "199", now: Self.now) == .stale)
            #expect(try await store.enqueuePush(messageID: "m2", mailbox: "sam", historyID: "201", now: Self.now) == .queued)
            #expect(try await store.enqueuePush(messageID: "m2", mailbox: "sam", historyID: "201", now: Self.now) == .duplicate)
            let queued = try await store.queuedPushes()
            #expect(queued.map(\.mailbox) == ["sam"])
            #expect(try await store.freshness("sam").queuedUpTo == queued.first?.upTo)
            try await store.markPushesHandled(mailbox: "sam", upTo: try #require(queued.first?.upTo), now: Self.now)
            #expect(try await store.queuedPushes().isEmpty)
            #expect(try await store.freshness("sam").queuedUpTo == nil)
        }
    }

    @Test("an incoming message is applied once; an out-of-office pauses until the person is back")
    func incomingOnce() async throws {
        for store in try Self.stores() {
            // No return date: away for the policy's default number of days.
            let policy = IncomingPolicy(outOfOfficeDefaultDays: 7)
            let until = policy.pauseUntil(returns: nil, received: Self.now)
            let away = IncomingMessage(
                mailbox: "sam", providerMessageID: "o1", providerThreadID: nil, from: "ana@example.org", references: [],
                incomingClass: .outOfOffice(returns: nil), snippet: "Away", receivedAt: Self.now)
            guard case .applied(let candidate, "q1", 0, 1, false) = try await store.applyIncoming(away, policy: policy, now: Self.now) else {
                Issue.record("the out-of-office did not pause Ana")
                continue
            }
            #expect(candidate == "ana@example.org")
            #expect(try await store.applyIncoming(away, policy: policy, now: Self.now) == .alreadyProcessed)
            #expect(try await store.recordedIncoming(mailbox: "sam").map(\.providerMessageID) == ["o1"])
            #expect(try await store.dueSteps(now: Self.now, limit: 10).map(\.address) == ["bo@example.org"])
            #expect(try await store.resumeReturned(now: until.addingTimeInterval(-1)) == 0)
            #expect(try await store.resumeReturned(now: until) == 1)
            #expect(try await store.dueSteps(now: until, limit: 10).map(\.address).sorted() == ["ana@example.org", "bo@example.org"])
        }
    }
}
