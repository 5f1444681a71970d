import CadenceCore
import CadenceEngine
import CadenceFakeGmail
import CadenceGmail
import CadenceStore
import Foundation
import Testing

@Suite("incoming mail is matched by the normalised address: Gmail's dots and +tags, and free-mail domains are no company")
struct AddressMatchingTests {
    static let jane = "jane.doe@gmail.com"
    static let janeKey = "janedoe@gmail.com"

    /// Sends both intros and returns Jane's thread and stored Message-ID.
    func sendIntros(_ scene: SendingScene) async throws -> (thread: String, messageID: String) {
        _ = try await scene.passes(from: 0, to: 30)
        let intro = try #require(scene.sent.first { $0.to == [Self.jane] })
        return (intro.threadID, try #require(intro.messageID))
    }

    func deliver(_ scene: SendingScene, _ text: String, thread: String? = nil) throws {
        try scene.fake.deliver(Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8), to: SendingScene.sam, threadID: thread)
    }

    func state(_ scene: SendingScene, _ key: String) throws -> EnrollmentState? {
        try scene.database.candidate(key)?.enrollments.first?.state
    }

    @Test("a candidate enrolled as jane.doe@gmail.com who answers from that very address in a new thread is stopped")
    func replyInNewThread() async throws {
        try await SendingScene.with(emails: [Self.jane, "p2@example.org"]) { (scene: SendingScene) async throws -> Void in
            _ = try await sendIntros(scene)
            try deliver(scene, "From: Jane Doe <\(Self.jane)>\nTo: \(SendingScene.sam)\nSubject: Your note\n\nHappy to talk next week.\n")
            let next = try await scene.passes(from: 86_400 + 60, to: 86_400 + 120)
            #expect(try state(scene, Self.janeKey) == .stopped(.replied))
            #expect(next.sent == 1)  // only p2's follow-up
            #expect(scene.sent.filter { $0.to == [Self.jane] }.count == 1)
        }
    }

    @Test("in a colleagueReply \"record\" campaign, the candidate's own in-thread reply is theirs, not a colleague's")
    func ownReplyIsNoColleagues() async throws {
        try await SendingScene.with(colleagueReply: "record", emails: [Self.jane, "p2@example.org"]) { (scene: SendingScene) async throws -> Void in
            let (thread, messageID) = try await sendIntros(scene)
            try deliver(scene, "From: Jane Doe <\(Self.jane)>\nTo: \(SendingScene.sam)\nSubject: Re: Quick question, P1\nIn-Reply-To: \(messageID)\n\nSure.\n", thread: thread)
            _ = try await scene.pass(at: 60)
            #expect(try state(scene, Self.janeKey) == .stopped(.replied))
            let events = try await scene.database.candidate(Self.janeKey)?.enrollments.first?.events.map(\.detail) ?? []
            #expect(!events.contains { $0.contains("a colleague") })
        }
    }

    @Test("a bounce naming jane.doe@gmail.com stops and suppresses her, outside any thread")
    func bounceNamingTheRecipient() async throws {
        try await SendingScene.with(emails: [Self.jane, "p2@example.org"]) { (scene: SendingScene) async throws -> Void in
            _ = try await sendIntros(scene)
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

                Final-Recipient: rfc822; \(Self.jane)
                Action: failed
                Status: 5.1.1
                --r1--
                """)
            _ = try await scene.pass(at: 60)
            #expect(try state(scene, Self.janeKey) == .stopped(.bounced))
            #expect(try await scene.database.suppressions().contains { $0.value == Self.janeKey })
        }
    }

    @Test("two different gmail.com people are not colleagues: another one's reply in Jane's thread is a reply, even in a \"record\" campaign")
    func freeMailIsNoCompany() async throws {
        try await SendingScene.with(colleagueReply: "record", emails: [Self.jane, "p2@example.org"]) { (scene: SendingScene) async throws -> Void in
            let (thread, messageID) = try await sendIntros(scene)
            try deliver(
                scene, "From: Max <max.other@gmail.com>\nTo: \(SendingScene.sam)\nSubject: Re: Quick question, P1\nIn-Reply-To: \(messageID)\n\nJane asked me to answer: not interested.\n",
                thread: thread)
            _ = try await scene.pass(at: 60)
            #expect(try state(scene, Self.janeKey) == .stopped(.replied))
            let events = try await scene.database.candidate(Self.janeKey)?.enrollments.first?.events.map(\.detail) ?? []
            #expect(!events.contains { $0.contains("a colleague") })
        }
    }
}
