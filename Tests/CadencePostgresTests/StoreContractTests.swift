import CadenceCore
import CadenceStore
import Foundation
import Testing

/// The promises every store keeps, asserted through the store protocols alone and run on each backend
/// (`StoreBackend`): the SQLite store and the PostgreSQL store answer the same calls the same way.
@Suite("The store's contract, on every backend")
struct StoreContractTests {
    static let now = StoreBackend.now

    /// `owner`'s lease on mailbox sam, for `seconds` (0: it runs out at once, for the next runner to take).
    static func lease(_ store: any SendingStore, owner: String = "runner", seconds: TimeInterval = 60) async throws -> MailboxLease {
        let share = try await store.shareMailboxes(owner: owner, mailboxes: ["sam"], now: now, seconds: seconds, callBound: 0)
        guard let lease = share.leases.first(where: { $0.mailbox == "sam" }) else {
            Issue.record("mailbox sam was not free: \(share)")
            throw StoreError.leaseLost
        }
        return lease
    }

    static func due(_ store: any SendingStore, _ address: String, at time: Date = now) async throws -> DueStep {
        try #require(try await store.dueSteps(now: time, limit: 10).first { $0.address == address })
    }

    static let key = SendKey(sendID: "q1.intro.ana", messageID: "m1@example.com")
    static let sent = SentMessage(providerMessageID: "p1", threadID: "t1")

    @Test("a step is recorded once: a second intent for it is skipped while the first is open; sent, the enrolment moves on", arguments: StoreBackend.available)
    func intentOnce(_ backend: StoreBackend) async throws {
        try await backend.withSeededStore { seeded in
            let store = seeded.store
            let lease = try await Self.lease(store)
            let step = try await Self.due(store, "ana@example.org")
            guard case .recorded(let id) = try await store.recordIntent(step, key: Self.key, bytes: [1, 2], fence: lease.fence, now: Self.now) else {
                Issue.record("not recorded")
                return
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

    @Test("the last step sent while the person was paused finishes them: recording it never fails", arguments: StoreBackend.available)
    func lastStepWhilePaused(_ backend: StoreBackend) async throws {
        try await backend.withSeededStore { seeded in
            let store = seeded.store
            let lease = try await Self.lease(store)
            let step = try await Self.due(store, "ana@example.org")
            guard case .recorded(let id) = try await store.recordIntent(step, key: Self.key, bytes: [1], fence: lease.fence, now: Self.now) else {
                Issue.record("not recorded")
                return
            }
            // Paused by hand (or by an out-of-office read) while the send was out.
            #expect(try await store.pause(.candidate(addressKey: "ana@example.org", campaign: nil), note: nil, actor: "sam", now: Self.now) == 1)
            try await store.recordSent(id, sent: Self.sent, next: .finished, recipientDomain: "example.org", fence: lease.fence, now: Self.now)
            #expect(try await store.sendTimes(mailbox: "sam", since: .distantPast) == [Self.now])
            #expect(try await store.unfinishedSends().isEmpty)
            // Finished: nothing left to pause or resume.
            #expect(try await store.pause(.candidate(addressKey: "ana@example.org", campaign: nil), note: nil, actor: "sam", now: Self.now) == 0)
            if let database = store as? CadenceDatabase {
                #expect(try await database.resume(.candidate(addressKey: "ana@example.org", campaign: nil), note: nil, actor: "sam", now: Self.now) == 0)
            }
        }
    }

    @Test("a runner whose lease moved on records nothing: no outcome, no resend, no lookup miss, no new intent", arguments: StoreBackend.available)
    func fence(_ backend: StoreBackend) async throws {
        try await backend.withSeededStore { seeded in
            let store = seeded.store
            let first = try await Self.lease(store, owner: "first", seconds: 0)
            let step = try await Self.due(store, "ana@example.org")
            guard case .recorded(let id) = try await store.recordIntent(step, key: Self.key, bytes: [1], fence: first.fence, now: Self.now) else {
                Issue.record("not recorded")
                return
            }
            // The first runner's lease ran out: the second takes the mailbox, with a larger fence.
            let second = try await Self.lease(store, owner: "second")
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

    @Test("a send certainly not sent is discarded and due again", arguments: StoreBackend.available)
    func discard(_ backend: StoreBackend) async throws {
        try await backend.withSeededStore { seeded in
            let store = seeded.store
            let lease = try await Self.lease(store)
            let ana = try await Self.due(store, "ana@example.org")
            guard case .recorded(let id) = try await store.recordIntent(ana, key: Self.key, bytes: [1], fence: lease.fence, now: Self.now) else {
                Issue.record("not recorded")
                return
            }
            let later = Self.now.addingTimeInterval(300)
            try await store.discardIntent(id, retryAt: later, reason: "not sent", fence: lease.fence, now: Self.now)
            #expect(try await store.unfinishedSends().isEmpty)
            #expect(try await store.dueSteps(now: later, limit: 10).first { $0.address == "ana@example.org" }?.dueAt == later)
        }
    }

    @Test("a resend to a person who replied meanwhile is abandoned", arguments: StoreBackend.available)
    func abandonAfterReply(_ backend: StoreBackend) async throws {
        try await backend.withSeededStore { seeded in
            let store = seeded.store
            let lease = try await Self.lease(store)
            let bo = try await Self.due(store, "bo@example.org")
            guard case .recorded(let boID) = try await store.recordIntent(bo, key: SendKey(sendID: "q1.intro.bo", messageID: "m2@example.com"), bytes: [2], fence: lease.fence, now: Self.now)
            else {
                Issue.record("not recorded")
                return
            }
            try await store.recordOutcomeUnknown(boID, reason: "timeout", fence: lease.fence)
            // Bo answers meanwhile: the resend is abandoned, and the record closed.
            let reply = IncomingMessage(
                mailbox: "sam", providerMessageID: "r1", providerThreadID: nil, from: "bo@example.org", references: [],
                incomingClass: .reply, snippet: "Thanks", receivedAt: Self.now)
            guard case .applied(_, _, let stopped, _, _) = try await store.applyIncoming(reply, now: Self.now) else {
                Issue.record("the reply was not matched to Bo")
                return
            }
            #expect(stopped == 1)
            guard case .abandoned = try await store.beginResend(boID, fence: lease.fence, now: Self.now) else {
                Issue.record("a resend to a person who replied was not abandoned")
                return
            }
            #expect(try await store.unfinishedSends().isEmpty)
        }
    }

    @Test("postpone and hold move only an active enrolment at that step", arguments: StoreBackend.available)
    func postponeAndHold(_ backend: StoreBackend) async throws {
        try await backend.withSeededStore { seeded in
            let store = seeded.store
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

    @Test("an update decided against a version another update has since replaced is refused, and changes nothing", arguments: StoreBackend.available)
    func staleUpdate(_ backend: StoreBackend) async throws {
        try await backend.withSeededStore { seeded in
            let store = seeded.store
            let stored = try #require(try await store.storedCampaign("q1"))
            let files = [SnapshotFile(kind: .campaign, path: "sequences/q1.json", content: Array(StoreBackend.campaignJSON.utf8), digest: "y")]
            let campaign = CadenceDatabase.LaunchCampaign(id: "q1", name: "q1", sourcePath: "sequences/q1.json", digest: "d-q1-2", files: files)
            // Two hosts read version 1 and update at once: the first one wins.
            let first = try await store.update(campaign, replacing: stored.version, actor: "one", now: Self.now) { _ in (.finished, [:]) }
            #expect(first == (version: stored.version + 1, changed: 2))
            let before = try await Self.tables(seeded)
            await #expect(throws: StoreError.self) {
                _ = try await store.update(campaign, replacing: stored.version, actor: "two", now: Self.now) { _ in (.held(step: "intro", reason: .missingFields(["x"])), [:]) }
            }
            #expect(try await Self.tables(seeded) == before)
            #expect(try await store.storedCampaign("q1")?.version == stored.version + 1)
        }
    }

    @Test("the lease: renewed by its owner with the same fence, refused to others until it ends, released at once", arguments: StoreBackend.available)
    func lease(_ backend: StoreBackend) async throws {
        try await backend.withSeededStore { seeded in
            let store = seeded.store
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

    @Test("runners sharing a store split the mailboxes fairly and hand back what is over their share; a SQLite file is held whole by one", arguments: StoreBackend.available)
    func sharing(_ backend: StoreBackend) async throws {
        try await backend.withSeededStore { seeded in
            let store = seeded.store
            let boxes = ["m1", "m2", "m3", "m4", "m5"]
            func share(_ owner: String, callBound: TimeInterval = 0) async throws -> MailboxShare {
                try await store.shareMailboxes(owner: owner, mailboxes: boxes, now: Self.now, seconds: 60, callBound: callBound)
            }
            let a = try await share("a")
            #expect(a.leases.map(\.mailbox) == boxes, "alone, a runner holds every mailbox")
            if a.whole != nil {
                // One lease for the whole file: every mailbox has its fence, and a second runner is turned away.
                #expect(Set(a.leases.map(\.fence)).count == 1)
                let b = try await share("b")
                #expect(b.leases.isEmpty && b.busy?.owner == "a")
                try await store.releaseMailboxes(owner: "a")
                let taken = try await share("b")
                #expect(taken.leases.map(\.mailbox) == boxes && taken.leases.allSatisfy { $0.fence == a.leases[0].fence + 1 })
                return
            }
            // b joins: nothing is free yet, and a hands back what is over its share (3 of 5) when it renews.
            #expect(try await share("b").leases.isEmpty)
            let renewed = try await share("a")
            #expect(renewed.leases.map(\.mailbox) == ["m1", "m2", "m3"])
            #expect(renewed.leases.map(\.fence) == a.leases.prefix(3).map(\.fence), "renewing keeps the fence")
            // Handed back, m4 is no longer a's, even before another runner takes it: a runner that renews in the
            // middle of a pass must not record, under the fence it held before, a send the next holder will
            // confirm (and perhaps send again) as soon as it takes the mailbox.
            let bo = try await Self.due(store, "bo@example.org")
            let boFromM4 = DueStep(
                enrollmentID: bo.enrollmentID, campaignID: bo.campaignID, stepID: bo.stepID, dueAt: bo.dueAt, mailbox: "m4", address: bo.address,
                fields: bo.fields, timeZone: bo.timeZone, variants: bo.variants)
            await #expect(throws: StoreError.leaseLost) {
                try await store.recordIntent(
                    boFromM4, key: SendKey(sendID: "q1.intro.bo", messageID: "m9@example.com"), bytes: [1], fence: a.leases[3].fence, now: Self.now)
            }
            let b = try await share("b", callBound: 30)
            #expect(b.leases.map(\.mailbox) == ["m4", "m5"])
            #expect(b.leases.allSatisfy { lease in lease.fence > a.leases.first { $0.mailbox == lease.mailbox }!.fence }, "changing hands moves the fence on")
            // Handed back between two passes, with no call in flight: b may confirm a's sends in doubt at once.
            #expect(b.leases.allSatisfy { $0.reconcileFrom <= b.now })
            // Under the old fence, a still can record nothing about m4.
            await #expect(throws: StoreError.leaseLost) {
                try await store.recordIntent(
                    boFromM4, key: SendKey(sendID: "q1.intro.bo", messageID: "m9@example.com"), bytes: [1], fence: a.leases[3].fence, now: Self.now)
            }
            // A third runner: shares of 2, so a hands m3 over.
            #expect(try await share("c").leases.isEmpty)
            #expect(try await share("a").leases.map(\.mailbox) == ["m1", "m2"])
            #expect(try await share("c").leases.map(\.mailbox) == ["m3"])
            #expect(try await share("b").leases.map(\.mailbox) == ["m4", "m5"])
            // a stops cleanly: its mailboxes are free at once, and the two left share them.
            try await store.releaseMailboxes(owner: "a")
            let c = try await share("c")
            #expect(c.leases.map(\.mailbox) == ["m1", "m2", "m3"])
            #expect(c.leases.allSatisfy { $0.reconcileFrom <= c.now }, "a released them with no call in flight")
            #expect(try await share("b").leases.map(\.mailbox) == ["m4", "m5"])
            // A lease that runs out (its holder died or stalled, perhaps mid-call): the next holder confirms the
            // sends in doubt only once the longest call and the margin have passed after the lease's end.
            let stalled = try await store.shareMailboxes(owner: "d", mailboxes: ["m9"], now: Self.now, seconds: 0, callBound: 0)
            let ended = try #require(stalled.leases.first)
            let next = try await store.shareMailboxes(owner: "e", mailboxes: ["m9"], now: Self.now, seconds: 60, callBound: 30)
            let taken = try #require(next.leases.first)
            #expect(taken.fence == ended.fence + 1)
            #expect(abs(taken.reconcileFrom.timeIntervalSince(max(next.now, ended.expiresAt.addingTimeInterval(30)))) < 0.01)
        }
    }

    @Test("a campaign's caps count the sends in flight: an intent over the daily or the domain cap waits, with the time its place frees", arguments: StoreBackend.available)
    func campaignCaps(_ backend: StoreBackend) async throws {
        try await backend.withSeededStore { seeded in
            let store = seeded.store
            let lease = try await Self.lease(store)
            let ana = try await Self.due(store, "ana@example.org")
            let bo = try await Self.due(store, "bo@example.org")
            let boKey = SendKey(sendID: "q1.intro.bo", messageID: "m2@example.com")
            for limits in [CampaignLimits(dailyCap: 1), CampaignLimits(perDomainDailyCap: 1)] {
                guard
                    case .recorded(let id) = try await store.recordIntent(
                        ana, key: Self.key, bytes: [1], links: [], trackingKeyID: nil, historyCursor: nil, limits: limits, fence: lease.fence, now: Self.now)
                else {
                    Issue.record("Ana's intent was not recorded under \(limits)")
                    return
                }
                // Ana's send is in flight: it holds the only place until a day after it began.
                let later = Self.now.addingTimeInterval(60)
                guard
                    case .deferred(let until, let reason) = try await store.recordIntent(
                        bo, key: boKey, bytes: [2], links: [], trackingKeyID: nil, historyCursor: nil, limits: limits, fence: lease.fence, now: later)
                else {
                    Issue.record("Bo's intent was not deferred under \(limits)")
                    return
                }
                #expect(until == Self.now.addingTimeInterval(86_400))
                #expect(reason == (limits.dailyCap != nil ? "campaign daily cap (1)" : "daily cap for example.org (1)"))
                // Certainly not sent: the place is free again.
                try await store.discardIntent(id, retryAt: Self.now, reason: "not sent", fence: lease.fence, now: later)
            }
            guard
                case .recorded = try await store.recordIntent(
                    bo, key: boKey, bytes: [2], links: [], trackingKeyID: nil, historyCursor: nil, limits: CampaignLimits(dailyCap: 1), fence: lease.fence,
                    now: Self.now)
            else {
                Issue.record("Bo's intent was not recorded once the place was free")
                return
            }
        }
    }

    @Test("two runners from different mailboxes of one campaign, 24 intents at once under a cap of 5: exactly 5 are recorded", arguments: StoreBackend.available)
    func capAcrossRunners(_ backend: StoreBackend) async throws {
        var people: [String: String] = [:]
        for index in 0..<24 { people["p\(index)@acme.example"] = index % 2 == 0 ? "m1" : "m2" }
        let seed = try StoreBackend.rows(of: try StoreBackend.seed(people))
        let recorded = try await backend.withSeededStore(seed) { seeded in
            let store = seeded.store
            let first = try await store.shareMailboxes(owner: "a", mailboxes: ["m1"], now: Self.now, seconds: 60, callBound: 0)
            let second = try await store.shareMailboxes(owner: "b", mailboxes: ["m2"], now: Self.now, seconds: 60, callBound: 0)
            let fences = Dictionary(uniqueKeysWithValues: (first.leases + second.leases).map { ($0.mailbox, $0.fence) })
            let whole = first.whole?.fence
            let steps = try await store.dueSteps(now: Self.now, limit: 100)
            #expect(steps.count == 24)
            return try await withThrowingTaskGroup(of: Bool.self) { group in
                for step in steps {
                    group.addTask {
                        let outcome = try await store.recordIntent(
                            step, key: SendKey(sendID: "q1.intro.\(step.enrollmentID)", messageID: "m\(step.enrollmentID)@example.com"), bytes: [1], links: [],
                            trackingKeyID: nil, historyCursor: nil, limits: CampaignLimits(dailyCap: 5), fence: whole ?? fences[step.mailbox] ?? -1, now: Self.now)
                        if case .recorded = outcome { return true }
                        return false
                    }
                }
                var count = 0
                for try await wasRecorded in group where wasRecorded { count += 1 }
                return count
            }
        }
        #expect(recorded == 5)
    }

    @Test("forget erases a person from every table, keeping only a hash of the address; their links answer that they were erased", arguments: StoreBackend.available)
    func forget(_ backend: StoreBackend) async throws {
        try await backend.withSeededStore { seeded in
            let store = seeded.store
            let lease = try await Self.lease(store)
            let ana = try await Self.due(store, "ana@example.org")
            guard
                case .recorded(let id) = try await store.recordIntent(
                    ana, key: SendKey(sendID: "q1.intro.ana-t1", messageID: "m1@example.com"), bytes: Array("Hi Ana, a role for you".utf8),
                    links: ["https://example.com/roles?for=ana@example.org"], trackingKeyID: 1, historyCursor: nil, fence: lease.fence, now: Self.now)
            else {
                Issue.record("not recorded")
                return
            }
            try await store.recordSent(id, sent: Self.sent, next: .finished, recipientDomain: "example.org", fence: lease.fence, now: Self.now)
            try await store.recordTrackingEvents([
                TrackingEventRecord(sendRecordID: id, kind: .open, link: nil, eventClass: .likelyHuman, at: Self.now.addingTimeInterval(60))
            ])
            let reply = IncomingMessage(
                mailbox: "sam", providerMessageID: "r1", providerThreadID: "t1", from: "ana@example.org", references: [], incomingClass: .reply,
                snippet: "Ana here, call me on 555-0100", receivedAt: Self.now.addingTimeInterval(120))
            _ = try await store.applyIncoming(reply, now: Self.now.addingTimeInterval(120))

            let erasure = try await store.forget(addressKey: "ana@example.org", actor: "dpo", now: Self.now.addingTimeInterval(180))
            #expect(erasure.found && erasure.enrollments == 1)
            #expect(erasure.storage == (backend == .sqlite ? .cleared : .untilVacuumAndBackups))
            // Not a table holds her address, what Cadence wrote her or what she wrote back.
            for table in TableLayout.all {
                for row in try await seeded.rows(table) {
                    let text = row.map { cell -> String in
                        switch cell {
                        case .text(let text): text
                        case .blob(let bytes): String(decoding: bytes, as: UTF8.self)
                        default: ""
                        }
                    }.joined(separator: " ")
                    #expect(!text.contains("ana@example.org") && !text.contains("Hi Ana") && !text.contains("555-0100"), "\(table.name): \(text)")
                }
            }
            #expect(try await seeded.rows(try #require(TableLayout.all.first { $0.name == "suppression" })).contains { $0.contains(.text(AddressKey.hash("ana@example.org"))) })
            #expect(try await store.isErased(trackingID: "ana-t1"))
            #expect(try await store.erasedTrackingCount() == 1)
            #expect(try await store.trackedSend(trackingID: "ana-t1") == nil)
            #expect(try await store.unsubscribe(trackingID: "ana-t1", reason: nil, policy: IncomingPolicy(), now: Self.now) == .erased)
            // The message she sent is still known as processed: read again, it is not recorded again.
            #expect(try await store.applyIncoming(reply, now: Self.now.addingTimeInterval(240)) == .alreadyProcessed)
            // Bo is untouched; someone never stored is suppressed all the same.
            #expect(try await store.dueSteps(now: Self.now, limit: 10).map(\.address) == ["bo@example.org"])
            #expect(try await store.forget(addressKey: "zed@example.org", actor: "dpo", now: Self.now).found == false)
        }
    }

    @Test("a mailbox's checkpoint only moves forward, and only under its lease; a push is queued once and a stale one not at all", arguments: StoreBackend.available)
    func checkpointsAndPushes(_ backend: StoreBackend) async throws {
        try await backend.withSeededStore { seeded in
            let store = seeded.store
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
            // A runner moves a mailbox's position under its lease: once the mailbox is another runner's, it cannot.
            let first = try await Self.lease(store, owner: "first", seconds: 0)
            try await store.advanceCheckpoint("sam", to: "210", fence: first.fence, now: Self.now)
            let second = try await Self.lease(store, owner: "second")
            await #expect(throws: StoreError.leaseLost) { try await store.advanceCheckpoint("sam", to: "220", fence: first.fence, now: Self.now) }
            try await store.advanceCheckpoint("sam", to: "230", fence: second.fence, now: Self.now)
            #expect(try await store.syncCheckpoint("sam") == "230")
        }
    }

    @Test("an incoming message is applied once; an out-of-office pauses until the person is back", arguments: StoreBackend.available)
    func incomingOnce(_ backend: StoreBackend) async throws {
        try await backend.withSeededStore { seeded in
            let store = seeded.store
            // No return date: away for the policy's default number of days.
            let policy = IncomingPolicy(outOfOfficeDefaultDays: 7)
            let until = policy.pauseUntil(returns: nil, received: Self.now)
            let away = IncomingMessage(
                mailbox: "sam", providerMessageID: "o1", providerThreadID: nil, from: "ana@example.org", references: [],
                incomingClass: .outOfOffice(returns: nil), snippet: "Away", receivedAt: Self.now)
            guard case .applied(let candidate, "q1", 0, 1, false) = try await store.applyIncoming(away, policy: policy, now: Self.now) else {
                Issue.record("the out-of-office did not pause Ana")
                return
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

    /// A table's rows as the two stores must agree on them. A counted outcome's id is left out: PostgreSQL's
    /// sequence spends a number on an insert that found its row already there (`ON CONFLICT DO NOTHING`), which
    /// SQLite does not, and nothing refers to that id.
    ///
    /// The leases are compared through what the runners were given (their fences), not as rows: a SQLite file has
    /// the one lease of its one runner, PostgreSQL a lease per mailbox in a table of its own.
    ///
    /// So are the fences stamped on send records: a SQLite file's one lease moves its fence on when it changes
    /// hands, PostgreSQL's mailbox leases also when a runner hands a mailbox back or stops, so the numbers differ
    /// while each store refuses exactly the writes of a runner that no longer holds the mailbox (tested above).
    static func comparable(_ table: TableLayout, _ rows: [[CellValue]]?) -> [[CellValue]]? {
        switch table.name {
        case "stepOutcome": return rows?.map { Array($0.dropFirst()) }
        case "runnerLease": return []
        case "sendRecord":
            guard let fence = table.columns.firstIndex(where: { $0.name == "fence" }) else { return rows }
            return rows?.map { row in
                var row = row
                row[fence] = .null
                return row
            }
        default: return rows
        }
    }

    /// What `script` saw and what it left in every table.
    struct Run: Sendable, Equatable {
        var answers: [String]
        var tables: [String: [[CellValue]]]
    }

    /// Every table's rows now, for a script's `Run`.
    static func tables(_ seeded: StoreBackend.Seeded) async throws -> [String: [[CellValue]]] {
        var tables: [String: [[CellValue]]] = [:]
        for table in TableLayout.all { tables[table.name] = try await seeded.rows(table) }
        return tables
    }

    /// Runs `script` on SQLite and on PostgreSQL from the same rows, and expects the same answers, call by call,
    /// and the same rows in every table; and that the script reached each table in `reached`.
    static func expectSameOnEveryBackend(reached: [String], _ script: @escaping @Sendable (StoreBackend.Seeded) async throws -> Run) async throws {
        let seed = try StoreBackend.seedRows()
        let reference = try await StoreBackend.sqlite.withSeededStore(seed) { try await script($0) }
        let postgres = try await StoreBackend.postgres.withSeededStore(seed) { try await script($0) }
        for (index, answer) in reference.answers.enumerated() {
            #expect(postgres.answers.count > index && postgres.answers[index] == answer, "answer \(index)")
        }
        #expect(postgres.answers.count == reference.answers.count)
        for table in TableLayout.all {
            #expect(comparable(table, postgres.tables[table.name]) == comparable(table, reference.tables[table.name]), "table \(table.name)")
        }
        for name in reached {
            #expect(reference.tables[name]?.isEmpty == false, "\(name) is empty")
        }
    }

    /// Every method of the sending contract, called with the outcomes a runner meets: sent, unknown then looked
    /// up and resent, refused, discarded, postponed, held, a mailbox paused, the lease changing hands.
    static func script(_ seeded: StoreBackend.Seeded) async throws -> Run {
        let store = seeded.store
        var answers: [String] = []
        func note(_ value: Any) { answers.append(String(describing: value)) }
        let lease = try await lease(store, owner: "r1")
        let ana = try await due(store, "ana@example.org")
        let bo = try await due(store, "bo@example.org")
        note(
            try await store.recordIntent(
                ana, key: SendKey(sendID: "q1.intro.ana-7f3a", messageID: "m1@example.com"), bytes: [1, 2, 3],
                links: ["https://example.com/a", "https://example.com/b?x=1"], trackingKeyID: 3, historyCursor: "100", fence: lease.fence, now: now))
        let anaRecord = try #require(try await store.unfinishedSends().first { $0.recipient == "ana@example.org" })
        note(anaRecord)
        try await store.recordSent(
            anaRecord.recordID,
            sent: SentMessage(providerMessageID: "p1", threadID: "t1", storedMessageID: "<m1@example.com>", historyID: "101", sentAt: now.addingTimeInterval(10)),
            next: .active(nextStep: "bump", dueAt: now.addingTimeInterval(2 * 86_400)), recipientDomain: "example.org", fence: lease.fence,
            now: now.addingTimeInterval(30))
        try await store.setStoredMessageID(anaRecord.recordID, "<m1-stored@example.com>")
        note(try await store.recordIntent(bo, key: SendKey(sendID: "q1.intro.bo", messageID: "m2@example.com"), bytes: [4], fence: lease.fence, now: now))
        let boRecord = try #require(try await store.unfinishedSends().first { $0.recipient == "bo@example.org" })
        try await store.recordOutcomeUnknown(boRecord.recordID, reason: "timeout", fence: lease.fence)
        try await store.recordLookupMiss(boRecord.recordID, fence: lease.fence, now: now.addingTimeInterval(60))
        note(try await store.unfinishedSends())
        note(try await store.beginResend(boRecord.recordID, fence: lease.fence, now: now.addingTimeInterval(120)))
        try await store.recordSent(
            boRecord.recordID, sent: SentMessage(providerMessageID: "p2", threadID: "t2", historyID: "105"),
            next: .active(nextStep: "bump", dueAt: now.addingTimeInterval(2 * 86_400)), recipientDomain: "example.org", fence: lease.fence,
            now: now.addingTimeInterval(130))
        note(try await store.latestHistoryID(mailbox: "sam") as Any)
        note(try await store.sentRecords(enrollment: ana.enrollmentID))
        note(try await store.sendTimes(mailbox: "sam", since: .distantPast))
        note(try await store.sendTimes(campaign: "q1", domain: "example.org", since: now.addingTimeInterval(20)))
        note(try await store.sendTimes(campaign: "q2", since: .distantPast))

        // A new runner after the first one's lease ran out.
        let later = now.addingTimeInterval(3 * 86_400)
        try await store.releaseMailboxes(owner: "r1")
        let second = try await Self.lease(store, owner: "r2")
        try await store.postpone(ana.enrollmentID, step: "bump", until: later.addingTimeInterval(3_600), reason: "outside the send window", now: later)
        let boBump = try await due(store, "bo@example.org", at: later)
        note(try await store.recordIntent(boBump, key: SendKey(sendID: "q1.bump.bo", messageID: "m3@example.com"), bytes: [5], fence: second.fence, now: later))
        let boBumpRecord = try #require(try await store.unfinishedSends().first)
        try await store.recordRejected(boBumpRecord.recordID, reason: "invalid To header", fence: second.fence, now: later)
        try await store.pauseMailbox("sam", until: later.addingTimeInterval(86_400), reason: "rate limited")
        note(try await store.mailboxPause("sam", now: later).map { "\($0.until) \($0.reason)" } as Any)
        note(try await store.mailboxPause("sam", now: later.addingTimeInterval(86_400)).map { "\($0.until) \($0.reason)" } as Any)
        let anaBump = try await due(store, "ana@example.org", at: later.addingTimeInterval(3_600))
        note(
            try await store.recordIntent(
                anaBump, key: SendKey(sendID: "q1.bump.ana", messageID: "m4@example.com"), bytes: [6], fence: second.fence, now: later.addingTimeInterval(3_600)))
        let anaBumpRecord = try #require(try await store.unfinishedSends().first)
        try await store.discardIntent(
            anaBumpRecord.recordID, retryAt: later.addingTimeInterval(7_200), reason: "Gmail said 503", fence: second.fence, now: later.addingTimeInterval(3_600))
        try await store.hold(ana.enrollmentID, step: "bump", reason: .missingFields(["candidate.company"]), now: later.addingTimeInterval(3_700))
        try await store.releaseMailboxes(owner: "r2")
        let third = try await Self.lease(store, owner: "r3")
        note(third.fence > second.fence)
        note(try await store.dueSteps(now: later.addingTimeInterval(86_400), limit: 10))

        return Run(answers: answers, tables: try await tables(seeded))
    }

    @Test(
        "the same calls give the same answers and leave the same rows, table by table, on PostgreSQL as on SQLite",
        .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
    func sameRowsOnEveryBackend() async throws {
        // The script reaches sends, links, the ledger, events, counters and pauses.
        try await Self.expectSameOnEveryBackend(
            reached: ["sendRecord", "trackedLink", "mailboxLedger", "event", "stepTally", "stepTotal", "mailboxPause"], Self.script)
    }

    @Test(
        "a send confirmed after the person's reply to it counts that reply, the same on PostgreSQL as on SQLite",
        .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
    func lateConfirmationCountsTheReply() async throws {
        // Set up on SQLite, where incoming mail is kept so far: Ana's intro went out with its outcome unknown, and
        // her reply came in before the send was confirmed.
        let database = try StoreBackend.seed()
        let first = try await Self.lease(database, owner: "r0", seconds: 0)
        let ana = try await Self.due(database, "ana@example.org")
        guard case .recorded(let id) = try await database.recordIntent(ana, key: Self.key, bytes: [1], fence: first.fence, now: Self.now) else {
            Issue.record("not recorded")
            return
        }
        try await database.recordOutcomeUnknown(id, reason: "timeout", fence: first.fence)
        let reply = IncomingMessage(
            mailbox: "sam", providerMessageID: "r1", providerThreadID: nil, from: "ana@example.org", references: [], incomingClass: .reply,
            snippet: "Tell me more", receivedAt: Self.now.addingTimeInterval(5))
        guard case .applied = try await database.applyIncoming(reply, now: Self.now.addingTimeInterval(5)) else {
            Issue.record("the reply was not matched to Ana")
            return
        }
        let seed = try StoreBackend.rows(of: database)
        // The next runner finds the send in the mailbox, dated before the reply.
        let confirm: @Sendable (StoreBackend.Seeded) async throws -> [String: [[CellValue]]] = { seeded in
            let later = Self.now.addingTimeInterval(120)
            let lease = try await Self.lease(seeded.store, owner: "r1")
            try await seeded.store.recordSent(
                id, sent: SentMessage(providerMessageID: "p1", threadID: "t1", sentAt: Self.now.addingTimeInterval(1)), next: .finished,
                recipientDomain: "example.org", fence: lease.fence, now: later)
            var tables: [String: [[CellValue]]] = [:]
            for name in ["stepOutcome", "stepTally", "stepTotal", "enrollment", "mailboxLedger", "event"] {
                tables[name] = try await seeded.rows(try #require(TableLayout.all.first { $0.name == name }))
            }
            return tables
        }
        let reference = try await StoreBackend.sqlite.withSeededStore(seed, confirm)
        let postgres = try await StoreBackend.postgres.withSeededStore(seed, confirm)
        #expect(reference["stepOutcome"]?.count == 2, "replied and replied eventually, for the intro")
        for (name, rows) in reference { #expect(postgres[name] == rows, "table \(name)") }
    }

    /// Reply watching, pushes, watches, tracking, unsubscribes, tasks, the forecast and a campaign pause, after two
    /// sends: every method of `CadenceStore` beyond sending, with the outcomes the runner and `serve` meet.
    static func incomingScript(_ seeded: StoreBackend.Seeded) async throws -> Run {
        let store = seeded.store
        var answers: [String] = []
        func note(_ value: Any) { answers.append(String(describing: value)) }
        let lease = try await lease(store, owner: "r1")
        let ana = try await due(store, "ana@example.org")
        let bo = try await due(store, "bo@example.org")
        guard
            case .recorded(let anaSend) = try await store.recordIntent(
                ana, key: SendKey(sendID: "q1.intro.ana-7f3a", messageID: "m1@example.com"), bytes: Array("Hi Ana".utf8),
                links: ["https://example.com/a", "https://example.com/b"], trackingKeyID: 3, historyCursor: "100", fence: lease.fence, now: now),
            case .recorded(let boSend) = try await store.recordIntent(
                bo, key: SendKey(sendID: "q1.intro.bo-99", messageID: "m2@example.com"), bytes: Array("Hi Bo".utf8), links: ["https://example.com/c"],
                trackingKeyID: 3, historyCursor: "104", fence: lease.fence, now: now)
        else { throw StoreError.leaseLost }
        try await store.recordSent(
            anaSend, sent: SentMessage(providerMessageID: "p1", threadID: "t1", historyID: "101"), next: .active(nextStep: "call", dueAt: now.addingTimeInterval(86_400)),
            recipientDomain: "example.org", fence: lease.fence, now: now)
        try await store.recordSent(
            boSend, sent: SentMessage(providerMessageID: "p2", threadID: "t2", historyID: "105"),
            next: .active(nextStep: "bump", dueAt: now.addingTimeInterval(2 * 86_400)), recipientDomain: "example.org", fence: lease.fence, now: now)

        // Checkpoints and the push queue.
        note(try await store.firstSyncStart("sam") as Any)
        note(try await store.firstSyncStart("other") as Any)
        try await store.advanceCheckpoint("sam", to: "110", now: now)
        try await store.advanceCheckpoint("sam", to: "90", now: now.addingTimeInterval(5))
        try await store.recordResync("sam", now: now.addingTimeInterval(6))
        note(try await store.syncCheckpoint("sam") as Any)
        for (id, position) in [("m1", "105"), ("m2", "120"), ("m2", "120"), ("m3", "130"), ("m4", "140")] {
            note(try await store.enqueuePush(messageID: id, mailbox: id == "m4" ? "zed" : "sam", historyID: position, now: now))
        }
        let queued = try await store.queuedPushes()
        note(queued.map { "\($0.mailbox) \($0.upTo)" })
        note(try await store.freshness("sam"))
        try await store.markPushesHandled(mailbox: "sam", upTo: try #require(queued.first?.upTo) - 1, now: now)
        note(try await store.queuedPushes().map { "\($0.mailbox) \($0.upTo)" })
        try await store.recordWatch("sam", topic: "projects/p/topics/t", expiresAt: now.addingTimeInterval(7 * 86_400), now: now)
        try await store.recordWatch("zed", topic: "projects/p/topics/t", expiresAt: now.addingTimeInterval(86_400), now: now)
        try await store.recordWatch("sam", topic: "projects/p/topics/u", expiresAt: now.addingTimeInterval(8 * 86_400), now: now.addingTimeInterval(60))
        try await store.removeWatch("zed")
        note(try await store.watchRegistrations())

        // Opens and clicks: a repeat, a person's click, then a second link within seconds (a scanner's burst).
        try await store.recordTrackingEvents([
            TrackingEventRecord(sendRecordID: anaSend, kind: .open, link: nil, eventClass: .gmailProxy, at: now.addingTimeInterval(100)),
            TrackingEventRecord(sendRecordID: anaSend, kind: .open, link: nil, eventClass: .likelyHuman, at: now.addingTimeInterval(200)),
            TrackingEventRecord(sendRecordID: anaSend, kind: .click, link: 1, eventClass: .likelyHuman, at: now.addingTimeInterval(300)),
            TrackingEventRecord(sendRecordID: boSend, kind: .click, link: 1, eventClass: .likelyHuman, at: now.addingTimeInterval(300)),
            TrackingEventRecord(sendRecordID: anaSend, kind: .click, link: 2, eventClass: .likelyHuman, at: now.addingTimeInterval(302)),
            TrackingEventRecord(sendRecordID: 999, kind: .open, link: nil, eventClass: .likelyHuman, at: now.addingTimeInterval(302)),
        ])
        note(try await store.clickTarget(trackingID: "ana-7f3a", link: 2) as Any)
        note(try await store.clickTarget(trackingID: "ana-7f3a", link: 9) as Any)
        note(try await store.clickTarget(trackingID: "nobody", link: 1) as Any)
        note(try await store.trackedSend(trackingID: "bo-99") as Any)

        // Ana's task falls due; Bo is away; Ana replies in her thread; a stranger writes; a message is read twice.
        note(try await store.openDueTasks(actor: "runner", now: now.addingTimeInterval(86_400)))
        let policy = IncomingPolicy(outOfOfficeDefaultDays: 7)
        let away = IncomingMessage(
            mailbox: "sam", providerMessageID: "i1", providerThreadID: "t2", from: "bo@example.org", references: [], incomingClass: .outOfOffice(returns: nil),
            snippet: "Away", receivedAt: now.addingTimeInterval(3_600))
        note(try await store.applyIncoming(away, policy: policy, now: now.addingTimeInterval(3_600)))
        note(try await store.applyIncoming(away, policy: policy, now: now.addingTimeInterval(3_700)))
        let reply = IncomingMessage(
            mailbox: "sam", providerMessageID: "i2", providerThreadID: "t1", from: "ana@example.org", references: ["<m1@example.com>"], incomingClass: .reply,
            snippet: "Yes, let's talk", receivedAt: now.addingTimeInterval(90_000))
        note(try await store.applyIncoming(reply, policy: policy, now: now.addingTimeInterval(90_000)))
        let stranger = IncomingMessage(
            mailbox: "sam", providerMessageID: "i3", providerThreadID: "t9", from: "news@example.net", references: [], incomingClass: .reply,
            snippet: "Our newsletter", receivedAt: now.addingTimeInterval(90_001))
        note(try await store.applyIncoming(stranger, policy: policy, now: now.addingTimeInterval(90_001)))
        note(try await store.sentToMatch(mailbox: "sam", thread: "t2", messageIDs: [], addresses: []))
        note(try await store.sentToMatch(mailbox: "sam", thread: nil, messageIDs: ["<m1@example.com>"], addresses: []))
        note(try await store.sentToMatch(mailbox: "sam", thread: nil, messageIDs: [], addresses: ["Bo <BO@example.org>"]))
        note(try await store.recordedIncoming(mailbox: "sam"))
        note(try await store.bounceCounts(campaign: "q1"))
        let back = policy.pauseUntil(returns: nil, received: now.addingTimeInterval(3_600))
        note(try await store.resumeReturned(now: back.addingTimeInterval(-1)))
        note(try await store.resumeReturned(now: back))

        // Bo unsubscribes by link, twice; a link signed with another key, and one naming no send, change nothing.
        note(try await store.unsubscribeRotated(trackingID: "bo-99", keyID: 4, address: nil, reason: nil, policy: policy, now: back))
        note(try await store.unsubscribe(trackingID: "bo-99", reason: nil, policy: policy, now: back))
        note(try await store.unsubscribe(trackingID: "bo-99", reason: "Not looking", policy: policy, now: back.addingTimeInterval(10)))
        note(try await store.unsubscribe(trackingID: "nobody", reason: nil, policy: policy, now: back))
        note(try await store.isErased(trackingID: "nobody"))
        note(try await store.erasedTrackingCount())

        note(try await store.pause(.campaign("q1"), note: "too many bounces", actor: "runner", now: back))
        await #expect(throws: StoreError.self) { try await store.pause(.campaign("q9"), note: nil, actor: "runner", now: back) }
        let forecast = try await store.forecastSnapshot(now: back)
        note(forecast.people.map { "\($0.campaign) \($0.mailbox) \($0.step) \($0.due)" })
        note(forecast.pastSends.map { "\($0.mailbox) \($0.campaign) \($0.domain) \($0.at)" })
        note(forecast.held.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" })
        note(forecast.paused.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" })
        note(forecast.campaigns)
        let stored = try #require(try await store.storedCampaign("q1"))
        note(stored)
        note(try await store.storedCampaign("q9") as Any)

        return Run(answers: answers, tables: try await tables(seeded))
    }

    @Test(
        "reply watching, pushes, tracking and unsubscribes give the same answers and leave the same rows on PostgreSQL as on SQLite",
        .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
    func sameIncomingOnEveryBackend() async throws {
        try await Self.expectSameOnEveryBackend(
            reached: ["incomingMessage", "pushNotification", "mailboxWatch", "mailboxSync", "trackingEvent", "task", "suppression", "stepOutcome"],
            Self.incomingScript)
    }
}
