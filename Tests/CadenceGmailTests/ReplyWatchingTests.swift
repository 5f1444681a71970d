import CadenceCore
import CadenceEngine
import CadenceFakeGmail
import CadenceGmail
import CadenceStore
import Foundation
import Testing

@Suite("reply watching by polling, against the fake: replies, bounces, unsubscribes and out-of-office")
struct ReplyWatchingTests {
    /// Sends both intros (p1 at 0 s, p2 at 30 s) and returns p1's thread and stored Message-ID.
    func sendIntros(_ scene: SendingScene) async throws -> (thread: String, messageID: String) {
        _ = try await scene.passes(from: 0, to: 30)
        let intro = try #require(scene.sent.first { $0.to == ["p1@example.org"] })
        return (intro.threadID, try #require(intro.messageID))
    }

    func deliver(_ scene: SendingScene, _ text: String, thread: String? = nil, labels: [String] = ["INBOX", "UNREAD"]) throws {
        try scene.fake.deliver(Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8), to: SendingScene.sam, labelIDs: labels, threadID: thread)
    }

    @Test("a reply in the thread stops that person before the follow-up; the other candidate gets theirs")
    func replyStops() async throws {
        try await SendingScene.with(people: 2) { (scene: SendingScene) async throws -> Void in
            let (thread, messageID) = try await sendIntros(scene)
            try deliver(scene, "From: P1 <p1@example.org>\nTo: \(SendingScene.sam)\nSubject: Re: Quick question, P1\nIn-Reply-To: \(messageID)\n\nYes, let's talk Thursday.\n", thread: thread)
            let next = try await scene.passes(from: 86_400 + 60, to: 86_400 + 120)
            #expect(next.incoming == 1)
            #expect(next.stoppedByIncoming == 1)
            #expect(next.sent == 1)  // only p2's follow-up
            #expect(try scene.state("p1@example.org") == .stopped(.replied))
            #expect(scene.sent.filter { $0.to == ["p1@example.org"] }.count == 1)
            let events = try await scene.database.candidate("p1@example.org")?.enrollments.first?.events.map(\.detail) ?? []
            #expect(events.contains { $0.hasPrefix("reply (Gmail message ") && $0.hasSuffix("Yes, let's talk Thursday.") })
            // Stats attribute the reply to the last step p1 was sent, out of that step's sends.
            let intro = try #require(try scene.database.stats(campaign: "q1", now: SendingScene.tuesday).first?.rows.first { $0.stepID == "intro" })
            #expect(intro.sent == 2)
            #expect(intro.replied == 1)
            #expect(StatsOutput.text(try scene.database.stats(campaign: "q1", now: SendingScene.tuesday)).contains("1 (50%)"))
        }
    }

    @Test("cadence label: the latest reply labelled interested counts as positive in stats (text, JSON, CSV) and in show; relabelling replaces it; no reply, no label")
    func labelReply() async throws {
        try await SendingScene.with(people: 2) { (scene: SendingScene) async throws -> Void in
            let (thread, messageID) = try await sendIntros(scene)
            try deliver(scene, "From: P1 <p1@example.org>\nTo: \(SendingScene.sam)\nSubject: Re: Quick question, P1\nIn-Reply-To: \(messageID)\n\nYes, let's talk Thursday.\n", thread: thread)
            _ = try await scene.passes(from: 86_400 + 60, to: 86_400 + 120)
            let now = scene.clock.now
            // p2 never replied: nothing to label, and nothing changes.
            #expect(throws: StoreError.self) { try scene.database.label(addressKey: "p2@example.org", campaign: nil, as: .interested, actor: "t", now: now) }
            #expect(throws: StoreError.self) { try scene.database.label(addressKey: "p1@example.org", campaign: "nope", as: .interested, actor: "t", now: now) }
            let first = try await scene.database.label(addressKey: "p1@example.org", campaign: nil, as: .notNow, actor: "t", now: now)
            #expect(first.campaignID == "q1" && first.previous == nil)
            var stats = try scene.database.stats(campaign: "q1", now: now)
            #expect(stats.first?.rows.first { $0.stepID == "intro" }?.positiveReplies == 0)
            #expect(!StatsOutput.text(stats).contains("positive"))
            let second = try await scene.database.label(addressKey: "p1@example.org", campaign: "q1", as: .interested, actor: "t", now: now)
            #expect(second.previous == .notNow && second.label == .interested)
            stats = try scene.database.stats(campaign: "q1", now: now)
            #expect(stats.first?.rows.first { $0.stepID == "intro" }?.positiveReplies == 1)
            let text = StatsOutput.text(stats)
            #expect(text.contains("replied  eventually  positive  bounced"))
            #expect(text.contains("Positive: replies labelled interested"))
            #expect(StatsOutput.json(stats).contains(#""positiveReplies" : 1"#))
            let csv = StatsOutput.csv(stats).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            let column = try #require(csv[0].firstIndex(of: "positiveReplies"))
            #expect(csv[1][column] == "1")
            // show lists each labelling in the person's timeline.
            let shown = await StatusOutput.text(try #require(try scene.database.candidate("p1@example.org")))
            #expect(shown.contains("labelled interested (was not-now)"))
        }
    }

    @Test("a permanent bounce stops and suppresses; a delay notice is only recorded")
    func bounces() async throws {
        try await SendingScene.with(people: 2) { (scene: SendingScene) async throws -> Void in
            let (thread, _) = try await sendIntros(scene)
            try deliver(
                scene,
                """
                From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
                To: \(SendingScene.sam)
                Subject: Delivery Status Notification (Failure)
                Content-Type: multipart/report; report-type=delivery-status; boundary="r1"

                --r1
                Content-Type: text/plain

                Address not found
                --r1
                Content-Type: message/delivery-status

                Reporting-MTA: dns; googlemail.com

                Final-Recipient: rfc822; p1@example.org
                Action: failed
                Status: 5.1.1
                --r1--
                """, thread: thread)
            try deliver(
                scene,
                """
                From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
                To: \(SendingScene.sam)
                Subject: Delivery Status Notification (Delay)
                Content-Type: multipart/report; report-type=delivery-status; boundary="d1"

                --d1
                Content-Type: message/delivery-status

                Reporting-MTA: dns; googlemail.com

                Final-Recipient: rfc822; p2@example.org
                Action: delayed
                Status: 4.4.1
                --d1--
                """)
            let next = try await scene.pass(at: 60)
            #expect(next.incoming == 2)
            #expect(try scene.state("p1@example.org") == .stopped(.bounced))
            #expect(try await scene.database.suppressions().contains { $0.value == "p1@example.org" })
            guard case .active? = try scene.state("p2@example.org") else { Issue.record("a delay stopped p2"); return }
        }
    }

    @Test("an unsubscribe request stops and suppresses; an out-of-office is recorded and never counts as a reply")
    func unsubscribeAndOutOfOffice() async throws {
        try await SendingScene.with(people: 2) { (scene: SendingScene) async throws -> Void in
            _ = try await sendIntros(scene)
            try deliver(scene, "From: p1@example.org\nTo: \(SendingScene.sam)\nSubject: Re: Quick question\n\nPlease remove me from your list.\n")
            try deliver(scene, "From: p2@example.org\nTo: \(SendingScene.sam)\nSubject: Automatic reply: Quick question\nAuto-Submitted: auto-replied\n\nI am out of the office until December 3.\n")
            _ = try await scene.pass(at: 60)
            #expect(try scene.state("p1@example.org") == .stopped(.unsubscribed))
            #expect(try await scene.database.suppressions().contains { $0.value == "p1@example.org" })
            // Out until Thursday 3 December: paused until one business day later, Friday 09:00 UTC.
            let friday = Date(timeIntervalSince1970: 1_796_374_800)  // 2026-12-04 09:00 UTC
            #expect(try scene.state("p2@example.org") == .paused(step: "bump", reason: .outOfOffice(until: friday)))
            let events = try await scene.database.candidate("p2@example.org")?.enrollments.first?.events.map(\.detail) ?? []
            #expect(events.contains { $0.hasPrefix("out-of-office (Gmail message ") })
            // While away, no follow-up; back on Friday, the step resumes with the day of delay it still had.
            #expect(try await scene.passes(from: 86_400 + 60, to: 86_400 + 120).sent == 0)
            _ = try await scene.pass(at: friday.timeIntervalSince(SendingScene.tuesday) + 60)
            guard case .active("bump", let due)? = try scene.state("p2@example.org") else { Issue.record("p2 did not resume"); return }
            #expect(due >= friday.addingTimeInterval(86_000))
        }
    }

    @Test("an out-of-office told only by its wording (no automatic header, a plain Re:) holds the person, and status says it is a guess")
    func outOfOfficeByWordingIsAGuess() async throws {
        try await SendingScene.with(people: 2) { (scene: SendingScene) async throws -> Void in
            _ = try await sendIntros(scene)
            try deliver(scene, "From: p1@example.org\nTo: \(SendingScene.sam)\nSubject: Re: Quick question\n\nI am out of the office until December 3.\n")
            try deliver(scene, "From: p2@example.org\nTo: \(SendingScene.sam)\nSubject: Automatic reply: Quick question\nAuto-Submitted: auto-replied\n\nI am out of the office until December 3.\n")
            _ = try await scene.pass(at: 60)
            let friday = Date(timeIntervalSince1970: 1_796_374_800)  // 2026-12-04 09:00 UTC
            #expect(try scene.state("p1@example.org") == .paused(step: "bump", reason: .outOfOffice(until: friday, guessed: true)))
            #expect(try scene.state("p2@example.org") == .paused(step: "bump", reason: .outOfOffice(until: friday, guessed: false)))
            let status = StatusOutput.text(try await scene.database.status(campaign: "q1", now: SendingScene.tuesday))
            #expect(status.contains("paused at bump: out of office until 2026-12-04 09:00 UTC, going by its wording alone"))
            #expect(status.contains("paused at bump: out of office until 2026-12-04 09:00 UTC (1)"))
            let json = StatusOutput.json(try await scene.database.status(campaign: "q1", now: SendingScene.tuesday))
            #expect(json.contains("going by its wording alone"))
            let events = try await scene.database.candidate("p1@example.org")?.enrollments.first?.events.map(\.detail) ?? []
            #expect(events.contains { $0.contains("rule out-of-office.wording:en") })
            #expect(events.contains { $0.contains("going by its wording alone") && $0.contains("`cadence stop`") })
        }
    }

    @Test("a reply that carries the campaign's own lines along unquoted is read without them: 'reply remove me' in our footer is not a request")
    func ownLinesDoNotCount() async throws {
        try await SendingScene.with(people: 2) { (scene: SendingScene) async throws -> Void in
            let (thread, messageID) = try await sendIntros(scene)
            // A client that pastes the message it answers below the reply, with no quote marks and no attribution.
            try deliver(
                scene,
                "From: P1 <p1@example.org>\nTo: \(SendingScene.sam)\nSubject: Re: Quick question, P1\nIn-Reply-To: \(messageID)\n\nYes, let's talk Thursday.\n\n"
                    + "Hi P1, are you open to a chat?\n\nNot interested? Reply \"remove me\" and I will not write again.\n",
                thread: thread)
            // The same footer line, as the person's own words after a real request, still counts: only our lines go.
            try deliver(scene, "From: p2@example.org\nTo: \(SendingScene.sam)\nSubject: Re: Quick question, P2\n\nPlease remove me from your list.\n")
            _ = try await scene.pass(at: 60)
            #expect(try scene.state("p1@example.org") == .stopped(.replied))
            #expect(try await !scene.database.suppressions().contains { $0.value == "p1@example.org" })
            let events = try await scene.database.candidate("p1@example.org")?.enrollments.first?.events.map(\.detail) ?? []
            #expect(events.contains { $0.hasPrefix("reply (Gmail message ") && $0.hasSuffix("rule reply.default): Yes, let's talk Thursday.") })
            #expect(try scene.state("p2@example.org") == .stopped(.unsubscribed))
        }
    }

    @Test("a colleague's reply follows the campaign's colleagueReply rule: stop by default")
    func colleagueReply() async throws {
        try await SendingScene.with(people: 2) { (scene: SendingScene) async throws -> Void in
            let (thread, messageID) = try await sendIntros(scene)
            try deliver(scene, "From: Boss <boss@example.org>\nTo: \(SendingScene.sam)\nSubject: Re: Quick question, P1\nIn-Reply-To: \(messageID)\n\nP1 has moved on; talk to me.\n", thread: thread)
            _ = try await scene.pass(at: 60)
            #expect(try scene.state("p1@example.org") == .stopped(.replied))
        }
        try await SendingScene.with(people: 2, colleagueReply: "record") { (scene: SendingScene) async throws -> Void in
            let (thread, messageID) = try await sendIntros(scene)
            try deliver(scene, "From: Boss <boss@example.org>\nTo: \(SendingScene.sam)\nSubject: Re: Quick question, P1\nIn-Reply-To: \(messageID)\n\nForwarding internally.\n", thread: thread)
            _ = try await scene.pass(at: 60)
            guard case .active? = try scene.state("p1@example.org") else { Issue.record("a recorded colleague reply stopped p1"); return }
            let events = try await scene.database.candidate("p1@example.org")?.enrollments.first?.events.map(\.detail) ?? []
            #expect(events.contains { $0.contains("a colleague (boss@example.org) replied; the campaign records colleague replies") })
        }
    }

    @Test("a campaign whose hard-bounce rate passes 5 % after 20 sends is paused with that reason")
    func bounceRatePausesCampaign() async throws {
        try await SendingScene.with(people: 22) { (scene: SendingScene) async throws -> Void in
            _ = try await scene.passes(from: 0, to: 22 * 30)
            #expect(scene.sent.count >= 20)
            for person in ["p1@example.org", "p2@example.org"] {
                try deliver(
                    scene,
                    "From: MAILER-DAEMON@mx.example.org\nTo: \(SendingScene.sam)\nSubject: Undelivered Mail Returned to Sender\nX-Failed-Recipients: \(person)\n\n<\(person)>: 550 5.1.1 user unknown\n"
                )
            }
            _ = try await scene.pass(at: 23 * 30)
            let status = try await #require(try scene.database.status(campaign: "q1", now: SendingScene.tuesday).first)
            #expect(status.paused)
            let events = try await scene.database.candidate("p3@example.org")?.enrollments.first?.events.map(\.detail) ?? []
            #expect(events.contains { $0.contains("hard-bounce rate") && $0.contains("check the list before resuming") })
        }
    }

    @Test("a rep's own message in the thread does not stop anyone; each message is applied once, even when re-read after a failure")
    func ownMailAndReReads() async throws {
        try await SendingScene.with(people: 2) { (scene: SendingScene) async throws -> Void in
            let (thread, messageID) = try await sendIntros(scene)
            try deliver(scene, "From: \(SendingScene.sam)\nTo: p1@example.org\nSubject: Re: Quick question, P1\nIn-Reply-To: \(messageID)\n\nOne more thing.\n", thread: thread, labels: ["SENT"])
            try deliver(scene, "From: p2@example.org\nTo: \(SendingScene.sam)\nSubject: Re: Quick question\n\nThanks, not now.\n")
            try deliver(scene, "From: p1@example.org\nTo: \(SendingScene.sam)\nSubject: Re: Quick question, P1\nIn-Reply-To: \(messageID)\n\nSounds good.\n", thread: thread)
            // The second message cannot be fetched this time: the sync stops there and keeps its position.
            let gets = scene.fake.calls(of: "messages.get")
            scene.fake.addFault(FaultRule(method: "messages.get", call: gets + 2, fault: .status(503)))
            let first = try await scene.pass(at: 60)
            #expect(first.incoming == 0)  // nothing counted: the sync failed before its end
            #expect(try scene.state("p2@example.org") == .stopped(.replied))  // but what was applied stays applied
            let second = try await scene.pass(at: 90)
            #expect(second.incoming == 2)  // p2's again (already processed, counted once more) and p1's
            #expect(try scene.state("p1@example.org") == .stopped(.replied))
            let p2Stops = try await scene.database.candidate("p2@example.org")?.enrollments.first?.events.filter { $0.kind == "stopped" }.count
            #expect(p2Stops == 1)
        }
    }

    @Test("when Gmail's history has expired the recent inbox is read instead, and watching goes on from a fresh position")
    func resync() async throws {
        try await SendingScene.with(people: 2) { (scene: SendingScene) async throws -> Void in
            _ = try await sendIntros(scene)
            _ = try await scene.pass(at: 45)  // a position is stored
            // A filter moved it out of the inbox: the resync reads every label but sent and drafts, as the watch does.
            try deliver(scene, "From: p1@example.org\nTo: \(SendingScene.sam)\nSubject: Re: Quick question\n\nCall me.\n", labels: ["UNREAD", "CATEGORY_UPDATES"])
            scene.fake.expireHistory(of: SendingScene.sam, before: 99_999_999)
            _ = try await scene.pass(at: 60)
            #expect(try scene.state("p1@example.org") == .stopped(.replied))
            let recorded = try await scene.database.syncState("sam")
            #expect(recorded.resyncCount == 1)  // the resync is recorded, with when
            #expect(recorded.resyncedAt == SendingScene.tuesday.addingTimeInterval(60))
            scene.fake.expireHistory(of: SendingScene.sam, before: 0)
            try deliver(scene, "From: p2@example.org\nTo: \(SendingScene.sam)\nSubject: Re: Quick question\n\nNo thanks.\n")
            _ = try await scene.pass(at: 90)
            #expect(try scene.state("p2@example.org") == .stopped(.replied))
        }
    }
}
