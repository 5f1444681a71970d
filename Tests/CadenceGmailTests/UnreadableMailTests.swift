import CadenceCore
import CadenceEngine
import CadenceFakeGmail
import CadenceGmail
import CadenceStore
import Foundation
import Testing

@Suite("a reply that cannot be read or fetched still stops the person; the mailbox position waits for what cannot be fetched")
struct UnreadableMailTests {
    /// Sends both intros and returns each person's thread and stored Message-ID.
    func sendIntros(_ scene: SendingScene) async throws -> [String: (thread: String, messageID: String)] {
        _ = try await scene.passes(from: 0, to: 30)
        var intros: [String: (thread: String, messageID: String)] = [:]
        for person in ["p1@example.org", "p2@example.org"] {
            let intro = try #require(scene.sent.first { $0.to == [person] })
            intros[person] = (intro.threadID, try #require(intro.messageID))
        }
        return intros
    }

    @discardableResult
    func deliver(_ scene: SendingScene, _ text: String, thread: String? = nil) throws -> String {
        try scene.fake.deliver(Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8), to: SendingScene.sam, threadID: thread).id
    }

    /// A message whose parts nest `depth` multiparts deep: more than any reader should follow.
    static func nested(_ depth: Int) -> String {
        var text = "Content-Type: text/plain\n\nSounds good, call me.\n"
        for level in (0..<depth).reversed() {
            text = "Content-Type: multipart/mixed; boundary=\"b\(level)\"\n\n--b\(level)\n" + text + "--b\(level)--\n"
        }
        return text
    }

    @Test("a reply with a header line without a colon, or a multipart without its boundary, stops the person before the follow-up")
    func malformedRepliesStop() async throws {
        try await SendingScene.with(people: 2) { (scene: SendingScene) async throws -> Void in
            let intros = try await sendIntros(scene)
            let (thread1, id1) = try #require(intros["p1@example.org"])
            let (thread2, id2) = try #require(intros["p2@example.org"])
            try deliver(
                scene,
                """
                From: P1 <p1@example.org>
                To: \(SendingScene.sam)
                Subject: Re: Quick question, P1
                In-Reply-To: \(id1)
                This line of a broken mailer has no colon

                Yes, let's talk Thursday.

                """, thread: thread1)
            try deliver(
                scene,
                """
                From: P2 <p2@example.org>
                To: \(SendingScene.sam)
                Subject: Re: Quick question, P2
                In-Reply-To: \(id2)
                MIME-Version: 1.0
                Content-Type: multipart/alternative

                --lost
                Content-Type: text/plain

                Friday works.
                --lost--

                """, thread: thread2)
            let next = try await scene.passes(from: 86_400 + 60, to: 86_400 + 120)
            #expect(next.sent == 0)  // no follow-up to either
            #expect(try scene.state("p1@example.org") == .stopped(.replied))
            #expect(try scene.state("p2@example.org") == .stopped(.replied))
            #expect(scene.sent.count == 2)
        }
    }

    @Test("a message nobody can read stops the person when it is in their thread or answers Cadence's Message-ID, recorded as unparsed with its Gmail id")
    func unreadableInThreadStops() async throws {
        try await SendingScene.with(people: 3) { (scene: SendingScene) async throws -> Void in
            let intros = try await sendIntros(scene)
            let (thread1, _) = try #require(intros["p1@example.org"])
            let (_, id2) = try #require(intros["p2@example.org"])
            // In p1's thread: Gmail knows the thread even though the message cannot be read.
            let first = try deliver(scene, "From: p1@example.org\nTo: \(SendingScene.sam)\nSubject: Re: Quick question\n" + Self.nested(30), thread: thread1)
            // A new thread for Gmail, but it answers p2's intro.
            let second = try deliver(scene, "From: p2@example.org\nTo: \(SendingScene.sam)\nSubject: Re: Quick question\nIn-Reply-To: \(id2)\n" + Self.nested(30))
            _ = try await scene.pass(at: 60)
            #expect(try scene.state("p1@example.org") == .stopped(.replied))
            #expect(try scene.state("p2@example.org") == .stopped(.replied))
            let recorded = try await scene.database.recordedIncoming(mailbox: "sam")
            #expect(recorded.contains(RecordedIncoming(providerMessageID: first, incomingClass: "unparsed", candidate: "p1@example.org")))
            #expect(recorded.contains(RecordedIncoming(providerMessageID: second, incomingClass: "unparsed", candidate: "p2@example.org")))
            let events = try await scene.database.candidate("p1@example.org")?.enrollments.first?.events.map(\.detail) ?? []
            #expect(events.contains { $0.hasPrefix("unparsed (Gmail message \(first), rule unreadable)") })
            // No follow-up for either; p3 (who wrote nothing) gets theirs.
            let next = try await scene.passes(from: 86_400 + 60, to: 86_400 + 120)
            #expect(next.sent == 1)
            #expect(scene.sent.filter { $0.to == ["p1@example.org"] || $0.to == ["p2@example.org"] }.count == 2)
        }
    }

    @Test("a message nobody can read that matches nobody is recorded and ignored, and the position moves past it")
    func unreadableUnrelatedIsRecorded() async throws {
        try await SendingScene.with(people: 2) { (scene: SendingScene) async throws -> Void in
            _ = try await sendIntros(scene)
            _ = try await scene.pass(at: 45)  // a position is stored
            let before = try #require(try await scene.database.syncCheckpoint("sam"))
            let id = try deliver(scene, "From: news@elsewhere.example\nTo: \(SendingScene.sam)\nSubject: Our newsletter\n" + Self.nested(30))
            _ = try await scene.pass(at: 60)
            #expect(try await scene.database.recordedIncoming(mailbox: "sam") == [RecordedIncoming(providerMessageID: id, incomingClass: "unparsed", candidate: nil)])
            guard case .active? = try scene.state("p1@example.org"), case .active? = try scene.state("p2@example.org") else {
                Issue.record("an unrelated unreadable message stopped someone")
                return
            }
            let after = try #require(try await scene.database.syncCheckpoint("sam"))
            #expect(UInt64(after)! > UInt64(before)!)
        }
    }

    @Test("a message whose body Gmail returns undecodable keeps the position until it can be fetched; then it stops the person")
    func undecodableBodyKeepsPosition() async throws {
        try await SendingScene.with(people: 2) { (scene: SendingScene) async throws -> Void in
            let intros = try await sendIntros(scene)
            let (thread1, id1) = try #require(intros["p1@example.org"])
            _ = try await scene.pass(at: 45)  // a position is stored
            let before = try #require(try await scene.database.syncCheckpoint("sam"))
            try deliver(scene, "From: p1@example.org\nTo: \(SendingScene.sam)\nSubject: Re: Quick question\nIn-Reply-To: \(id1)\n\nLet's talk.\n", thread: thread1)
            let gets = scene.fake.calls(of: "messages.get")
            scene.fake.addFault(FaultRule(method: "messages.get", call: gets + 1, fault: .garbledRaw))
            let failed = try await scene.pass(at: 60)
            #expect(try await scene.database.syncCheckpoint("sam") == before)
            #expect(failed.watchProblems.count == 1)
            guard case .active? = try scene.state("p1@example.org") else { Issue.record("p1 stopped by a message never read"); return }
            _ = try await scene.pass(at: 90)
            #expect(try scene.state("p1@example.org") == .stopped(.replied))
            #expect(try await scene.database.syncCheckpoint("sam") != before)
        }
    }

    @Test("a message Gmail no longer has (404) is skipped; one whose fetch gets no answer keeps the position")
    func deletedAndUnanswered() async throws {
        try await SendingScene.with(people: 2) { (scene: SendingScene) async throws -> Void in
            let intros = try await sendIntros(scene)
            _ = try await scene.pass(at: 45)
            let before = try #require(try await scene.database.syncCheckpoint("sam"))
            let (thread2, id2) = try #require(intros["p2@example.org"])
            try deliver(scene, "From: p2@example.org\nTo: \(SendingScene.sam)\nSubject: Re: Quick question\nIn-Reply-To: \(id2)\n\nNot now.\n", thread: thread2)
            var gets = scene.fake.calls(of: "messages.get")
            scene.fake.addFault(FaultRule(method: "messages.get", call: gets + 1, fault: .drop))
            let unanswered = try await scene.pass(at: 60)
            #expect(unanswered.watchProblems.count == 1)
            #expect(try await scene.database.syncCheckpoint("sam") == before)
            gets = scene.fake.calls(of: "messages.get")
            scene.fake.addFault(FaultRule(method: "messages.get", call: gets + 1, fault: .status(404)))
            _ = try await scene.pass(at: 90)
            #expect(try await scene.database.syncCheckpoint("sam") != before)
            #expect(try await scene.database.recordedIncoming(mailbox: "sam").isEmpty)  // gone: nothing to record
        }
    }
}
