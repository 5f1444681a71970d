import CadenceCore
import CadenceEngine
import CadenceFakeGmail
import CadenceGmail
import CadenceStore
import Foundation
import Synchronization
import Testing

@Suite("sending through Gmail against the fake: threading, quotas, errors, exactly once")
struct GmailSendingTests {
    @Test("an email starts a thread; its follow-up joins it with the Message-ID Gmail actually stored and the thread's subject")
    func threading() async throws {
        var options = FakeGmailOptions.unlimited
        options.replaceMessageIDs = true
        try await SendingScene.with(options: options, people: 2) { (scene: SendingScene) async throws -> Void in
            let first = try await scene.passes(from: 0, to: 60)
            #expect(first.sent == 2)
            let next = try await scene.passes(from: 86_400 + 60, to: 86_400 + 180)
            #expect(next.sent == 2)
            let sent = scene.sent
            #expect(sent.count == 4)
            #expect(scene.fake.report().duplicates.isEmpty)
            for person in ["p1@example.org", "p2@example.org"] {
                let mine = sent.filter { $0.to == [person] }
                let intro = try #require(mine.first { !$0.subject.hasPrefix("Re:") })
                let bump = try #require(mine.first { $0.subject.hasPrefix("Re:") })
                #expect(bump.threadID == intro.threadID)
                #expect(bump.subject == "Re: " + intro.subject)
                let raw = try MailMessage.parse(try #require(scene.fake.rawMessage(bump.id, in: SendingScene.sam)))
                #expect(raw.header("In-Reply-To") == intro.messageID)  // Gmail's, not the one Cadence wrote
                #expect(intro.messageID != intro.originalMessageID)
                let records = try await scene.database.sentRecords(enrollment: try #require(try scene.database.candidate(person)?.enrollments.first?.id))
                #expect(records.first?.storedMessageID == intro.messageID)
                #expect(records.first?.providerThreadID == intro.threadID)
            }
        }
    }

    @Test("Gmail stores the message and answers 500: the outcome is unknown, then found in the mailbox and adopted; nothing is sent twice")
    func storedThen500() async throws {
        var options = FakeGmailOptions.unlimited
        options.replaceMessageIDs = true  // so the lookup must fall back from rfc822msgid: to the recipient search
        try await SendingScene.with(options: options, people: 2) { (scene: SendingScene) async throws -> Void in
            scene.fake.addFault(FaultRule(method: "messages.send", call: 1, fault: .storeThenStatus(500)))
            let first = try await scene.pass(at: 0)
            #expect(first.unknown == 1)
            let later = try await scene.passes(from: 60, to: 240)
            #expect(later.reconciled == 1)
            #expect(scene.fake.report().duplicates.isEmpty)
            #expect(scene.sent.count == 2)
            #expect(scene.fake.calls(of: "messages.send") == 2)
            // Both went out in the first pass; the one confirmed later is dated by Gmail's internalDate, not by then.
            for person in ["p1@example.org", "p2@example.org"] {
                let enrollment = try await #require(try scene.database.candidate(person)?.enrollments.first?.id)
                #expect(try await scene.database.sentRecords(enrollment: enrollment).map(\.sentAt) == [SendingScene.tuesday])
            }
            guard case .active("bump", _)? = try scene.state("p1@example.org") else { Issue.record("p1 did not move on"); return }
        }
    }

    @Test("with a replaced Message-ID and a search index that lags, the lookup reads the mailbox's history and adopts the send")
    func historyLookup() async throws {
        var options = FakeGmailOptions.unlimited
        options.replaceMessageIDs = true
        options.searchIndexLag = 3_600  // search would not see the message for an hour
        try await SendingScene.with(options: options, people: 2) { (scene: SendingScene) async throws -> Void in
            scene.fake.addFault(FaultRule(method: "messages.send", call: 2, fault: .storeThenStatus(503)))
            #expect(try await scene.pass(at: 0).sent == 1)  // p1 goes out; its read-back gives a history position
            #expect(try await scene.pass(at: 30).unknown == 1)  // p2: Gmail stored it, then answered 503
            let later = try await scene.passes(from: 90, to: 300)
            #expect(later.reconciled == 1)
            #expect(later.sent == 0)
            #expect(scene.fake.report().duplicates.isEmpty)
            #expect(scene.fake.calls(of: "history.list") >= 1)
            #expect(scene.sent.count == 2)
        }
    }

    @Test("a connection dropped after Gmail stored the message is an unknown outcome, adopted without a second send")
    func droppedAfterStore() async throws {
        try await SendingScene.with(people: 1) { (scene: SendingScene) async throws -> Void in
            scene.fake.addFault(FaultRule(method: "messages.send", call: 1, fault: .storeThenDrop))
            #expect(try await scene.pass(at: 0).unknown == 1)
            #expect(try await scene.passes(from: 30, to: 150).reconciled == 1)
            #expect(scene.sent.count == 1)
            #expect(scene.fake.report().duplicates.isEmpty)
        }
    }

    @Test("a resend whose own outcome is unclear gets two looks again before anything else is sent")
    func resendThenUnknown() async throws {
        var options = FakeGmailOptions.unlimited
        options.replaceMessageIDs = true
        options.searchIndexLag = 3_600
        try await SendingScene.with(options: options, people: 1) { (scene: SendingScene) async throws -> Void in
            scene.fake.addFault(FaultRule(method: "messages.send", call: 1, fault: .drop))  // not stored
            scene.fake.addFault(FaultRule(method: "messages.send", call: 2, fault: .storeThenStatus(500)))  // stored
            #expect(try await scene.pass(at: 0).unknown == 1)
            _ = try await scene.passes(from: 30, to: 600)
            #expect(scene.fake.calls(of: "messages.send") == 2)
            #expect(scene.sent.count == 1)
            #expect(scene.fake.report().duplicates.isEmpty)
        }
    }

    @Test("an unclear send is not resent to someone who was stopped meanwhile (a reply, an unsubscribe)")
    func noResendAfterStop() async throws {
        try await SendingScene.with(people: 1) { (scene: SendingScene) async throws -> Void in
            scene.fake.addFault(FaultRule(method: "messages.send", call: 1, fault: .drop))
            #expect(try await scene.pass(at: 0).unknown == 1)
            let stopped = try await scene.database.stop(.candidate(addressKey: "p1@example.org", campaign: nil), reason: .replied, actor: "test", now: SendingScene.tuesday.addingTimeInterval(10))
            #expect(stopped == 1)
            _ = try await scene.passes(from: 30, to: 600)
            #expect(scene.sent.isEmpty)
            #expect(scene.fake.calls(of: "messages.send") == 1)
            #expect(try await scene.database.unfinishedSends().isEmpty)
        }
    }

    @Test("when the recorded history position has expired (404), the lookup falls back to the recipient search")
    func historyExpired() async throws {
        var options = FakeGmailOptions.unlimited
        options.replaceMessageIDs = true
        try await SendingScene.with(options: options, people: 2) { (scene: SendingScene) async throws -> Void in
            scene.fake.addFault(FaultRule(method: "messages.send", call: 2, fault: .storeThenStatus(503)))
            #expect(try await scene.pass(at: 0).sent == 1)
            #expect(try await scene.pass(at: 30).unknown == 1)
            scene.fake.expireHistory(of: SendingScene.sam, before: 99_999_999)
            #expect(try await scene.passes(from: 90, to: 300).reconciled == 1)
            #expect(scene.sent.count == 2)
            #expect(scene.fake.report().duplicates.isEmpty)
        }
    }

    @Test("Gmail answering 401 even after a fresh token holds the mailbox's step as needing re-authorisation")
    func persistentUnauthorized() async throws {
        try await SendingScene.with(people: 1) { (scene: SendingScene) async throws -> Void in
            scene.fake.addFault(FaultRule(method: "messages.send", calls: 1...2, fault: .status(401)))
            let report = try await scene.pass(at: 0)
            #expect(report.sent == 0)
            #expect(report.deferred == 1)
            #expect(scene.sent.isEmpty)
            let waiting = try await scene.database.status(campaign: "q1", now: SendingScene.tuesday).first?.steps.first?.waiting ?? [:]
            #expect(waiting.keys.contains { $0.contains("needs re-authorisation") })
        }
    }

    @Test("a dropped connection before Gmail stored anything: two lookups a minute apart find nothing, then it is sent, once")
    func droppedBeforeStore() async throws {
        try await SendingScene.with(people: 1) { (scene: SendingScene) async throws -> Void in
            scene.fake.addFault(FaultRule(method: "messages.send", call: 1, fault: .drop))
            #expect(try await scene.pass(at: 0).unknown == 1)
            let doubt = try await scene.database.status(campaign: "q1", now: SendingScene.tuesday).first?.steps.first?.inDoubt ?? [:]
            #expect(doubt.keys.contains { $0.hasPrefix("no answer from Gmail") })
            #expect(StatusOutput.text(try await scene.database.status(campaign: "q1", now: SendingScene.tuesday)).contains("  in doubt at intro: no answer from Gmail"))
            #expect(StatusOutput.json(try await scene.database.status(campaign: "q1", now: SendingScene.tuesday)).contains("\"inDoubt\" : [\n"))
            #expect(try await scene.pass(at: 20).unknown == 1)  // first miss: wait for Gmail's search to settle
            #expect(try await scene.pass(at: 50).unknown == 1)  // still inside the minute: no resend yet
            #expect(scene.sent.isEmpty)
            #expect(try await scene.pass(at: 90).sent == 1)
            #expect(scene.sent.count == 1)
            #expect(scene.fake.report().duplicates.isEmpty)
        }
    }

    @Test("a timeout after Gmail took the message is an unknown outcome, reconciled without a second send")
    func timeout() async throws {
        // Only the send has the 1-second timeout; the fake answers it 5 seconds later, long after the client gave up
        // even on a loaded machine. The reconciling pass asks Gmail with the ordinary timeout.
        try await SendingScene.with(people: 1, sendTimeout: 1) { (scene: SendingScene) async throws -> Void in
            scene.fake.addFault(FaultRule(method: "messages.send", call: 1, fault: .latency(seconds: 5)))
            #expect(try await scene.pass(at: 0).unknown == 1)
            // The fake finishes storing after its delay: wait for that observable state, never a fixed time.
            #expect(try await Patience.waitUntil { !scene.sent.isEmpty })
            #expect(try await scene.pass(at: 60).reconciled == 1)
            #expect(scene.sent.count == 1)
            #expect(scene.fake.report().duplicates.isEmpty)
        }
    }

    @Test("a storm of 429s is ridden out with backoff (at least the hint, full jitter, bounded) and the message goes once")
    func rateLimitStorm() async throws {
        try await SendingScene.with(people: 1) { (scene: SendingScene) async throws -> Void in
            scene.fake.addFault(FaultRule(method: "messages.send", calls: 1...3, fault: .rateLimited(retryAfterSeconds: 2)))
            #expect(try await scene.pass(at: 0).sent == 1)
            #expect(scene.fake.calls(of: "messages.send") == 4)
            let waits = scene.clockSleeper.waits.withLock { $0 }.filter { $0 >= 2 }
            #expect(waits.count >= 3)
            #expect(scene.sent.count == 1)
        }
        try await SendingScene.with(people: 1) { (scene: SendingScene) async throws -> Void in
            scene.fake.addFault(FaultRule(method: "messages.send", calls: 1...5, fault: .rateLimited(retryAfterSeconds: 1)))
            let first = try await scene.pass(at: 0)
            #expect(first.sent == 0)
            #expect(first.deferred == 1)
            #expect(try await scene.passes(from: 120, to: 180).sent == 1)
            #expect(scene.sent.count == 1)
        }
    }

    @Test("Gmail's daily sending limit pauses the mailbox until its retry time; no step fails, and sending resumes after")
    func dailyLimit() async throws {
        var options = FakeGmailOptions.unlimited
        options.dailySendLimit = 1
        try await SendingScene.with(options: options, people: 3) { (scene: SendingScene) async throws -> Void in
            let first = try await scene.passes(from: 0, to: 120)
            #expect(first.sent == 1)
            #expect(try await scene.database.mailboxPause("sam", now: SendingScene.tuesday.addingTimeInterval(120)) != nil)
            let status = try await scene.database.status(campaign: "q1", now: SendingScene.tuesday.addingTimeInterval(120)).first?.steps.first
            #expect(status?.held.isEmpty == true)
            #expect(status?.waiting.keys.contains { $0.hasPrefix("mailbox sam is paused until 2026-12-02 10:00 UTC: Gmail's sending limit") } == true)
            #expect(scene.fake.calls(of: "messages.send") == 2)  // one refused, then nobody asks again until the time
            let after = try await scene.passes(from: 86_400 + 60, to: 86_400 + 120)
            #expect(after.sent == 1)  // the daily limit of the fake admits one more
        }
    }

    @Test("an access token expiring mid-run is refreshed; a revoked grant holds the mailbox's steps without a retry storm")
    func tokens() async throws {
        try await SendingScene.with(people: 2) { (scene: SendingScene) async throws -> Void in
            #expect(try await scene.pass(at: 0).sent == 1)
            #expect(try await scene.pass(at: 7_200).sent == 1)  // the first access token expired an hour ago
            #expect(scene.fake.calls(of: "token") == 2)
        }
        try await SendingScene.with(people: 2) { (scene: SendingScene) async throws -> Void in
            #expect(try await scene.pass(at: 0).sent == 1)
            scene.fake.revokeGrants(of: SendingScene.sam)
            scene.fake.expireAccessTokens(of: SendingScene.sam)
            let report = try await scene.pass(at: 60)
            #expect(report.sent == 0)
            let tokenCalls = scene.fake.calls(of: "token")
            _ = try await scene.passes(from: 3_700, to: 7_400, step: 600)
            #expect(scene.fake.calls(of: "token") == tokenCalls)
            let waiting = try await scene.database.status(campaign: "q1", now: SendingScene.tuesday.addingTimeInterval(7_400)).first?.steps.first?.waiting ?? [:]
            #expect(waiting.keys.contains { $0.contains("needs re-authorisation") && $0.contains("run `cadence auth login sam`") })
        }
    }

    @Test("a message Gmail refuses for good holds that step with Gmail's message; the others go on")
    func finalError() async throws {
        try await SendingScene.with(people: 2) { (scene: SendingScene) async throws -> Void in
            scene.fake.addFault(FaultRule(method: "messages.send", call: 1, fault: .status(400)))
            let report = try await scene.passes(from: 0, to: 60)
            #expect(report.sent == 1)
            #expect(report.held == 1)
            let held = try await scene.database.status(campaign: "q1", now: SendingScene.tuesday).first?.steps.first?.held ?? [:]
            #expect(held.keys.contains { $0.contains("Gmail refused: Backend Error (400 backendError)") })
        }
    }

    @Test("a message too large for the JSON body goes through the upload endpoint, and its follow-up still joins the thread")
    func upload() async throws {
        try await SendingScene.with(people: 1, attachment: true) { (scene: SendingScene) async throws -> Void in
            #expect(try await scene.pass(at: 0).sent == 1)
            #expect(try await scene.passes(from: 86_400 + 60, to: 86_400 + 60).sent == 1)
            let sent = scene.sent
            #expect(sent.count == 2)
            #expect(sent[1].threadID == sent[0].threadID)
            #expect((scene.fake.rawMessage(sent[0].id, in: SendingScene.sam)?.count ?? 0) > GmailSender.uploadThreshold)
        }
    }

    @Test("a message over 5 MB goes through a resumable upload session, and still joins its thread")
    func resumable() async throws {
        try await SendingScene.with(people: 1) { (scene: SendingScene) async throws -> Void in
            let sender = scene.sender()
            let mailbox = try #require(scene.configuration.mailbox(named: "sam"))
            func message(_ id: String, subject: String, extra: String = "", size: Int) -> SendRequest {
                let text =
                    "From: \(SendingScene.sam)\r\nTo: ana@example.org\r\nSubject: \(subject)\r\nMessage-ID: <\(id)@northwind.example.com>\r\nX-Cadence-Send-Id: \(id)\r\n\(extra)\r\n"
                    + String(repeating: "z", count: size) + "\r\n"
                return SendRequest(bytes: Array(text.utf8), key: SendKey(sendID: id, messageID: "\(id)@northwind.example.com"), recipient: "ana@example.org", recordedAt: scene.clock.now)
            }
            let first = try await sender.send(message("big1", subject: "Deck", size: 6 * 1024 * 1024), from: mailbox)
            var reply = message("big2", subject: "Re: Deck", extra: "In-Reply-To: <big1@northwind.example.com>\r\nReferences: <big1@northwind.example.com>\r\n", size: 5_500_000)
            reply.threadID = first.threadID
            let second = try await sender.send(reply, from: mailbox)
            #expect(second.threadID == first.threadID)
            #expect(scene.fake.calls(of: "upload.put") == 2)
            #expect(scene.sent.count == 2)
        }
    }

    @Test("Cadence paces itself to Gmail's per-user quota: a burst provokes no 429 from a fake enforcing the real limits")
    func pacing() async throws {
        try await SendingScene.with(options: FakeGmailOptions(), people: 1) { (scene: SendingScene) async throws -> Void in
            let sender = scene.sender()
            let mailbox = try #require(scene.configuration.mailbox(named: "sam"))
            for index in 0..<12 {
                let message = "From: \(SendingScene.sam)\r\nTo: r\(index)@example.org\r\nSubject: hi\r\nMessage-ID: <m\(index)@northwind.example.com>\r\nX-Cadence-Send-Id: s\(index)\r\n\r\nHello\r\n"
                let key = SendKey(sendID: "s\(index)", messageID: "m\(index)@northwind.example.com")
                _ = try await sender.send(SendRequest(bytes: Array(message.utf8), key: key, recipient: "r\(index)@example.org", recordedAt: scene.clock.now), from: mailbox)
            }
            #expect(scene.sent.count == 12)
            #expect(scene.fake.calls(of: "messages.send") == 12)  // none refused with a 429 and retried
            let use = try #require(await sender.budgetUse("sam"))
            #expect(use.spent == 12 * 105)  // a send and the Message-ID read back, each
            #expect(use.waited > 0)  // the budget waited for room: 250 units a second fit two sends
        }
    }
}
