import CadenceCore
import CadenceEngine
import CadenceFakeGmail
import CadenceGmail
import CadenceStore
import Foundation
import Testing

/// When a reply is there but cannot be read, nothing is sent to that person until it can be, and the rest of the
/// mailbox is still read.
@Suite("a mailbox that cannot be read for replies")
struct UnreadableMailboxTests {
    static func reply(_ scene: SendingScene, from person: String) throws -> (raw: [UInt8], thread: String) {
        let intro = try #require(scene.sent.first { $0.to == [person] })
        let text = "From: \(person)\r\nTo: \(SendingScene.sam)\r\nSubject: Re: \(intro.subject)\r\nIn-Reply-To: \(intro.messageID ?? "")\r\n\r\nNot interested, thanks.\r\n"
        return (Array(text.utf8), intro.threadID)
    }

    @Test("a reply Gmail holds but will not hand over (500 on every fetch) keeps the follow-up back, with the reason, until it can be read")
    func followUpWaitsWhileTheReplyCannotBeRead() async throws {
        try await SendingScene.with(people: 1) { (scene: SendingScene) async throws -> Void in
            _ = try await scene.pass(at: 0)
            let (raw, thread) = try Self.reply(scene, from: "p1@example.org")
            try scene.fake.deliver(raw, to: SendingScene.sam, threadID: thread)
            let before = scene.fake.calls(of: "messages.get")
            scene.fake.addFault(FaultRule(method: "messages.get", calls: (before + 1)...(before + 200), fault: .status(500)))
            let report = try await scene.pass(at: 86_400 + 60)
            #expect(report.sent == 0, "the bump went out although a reply was waiting to be read")
            #expect(scene.sent.count == 1)
            guard case .active("bump", let due)? = try scene.state("p1@example.org") else { Issue.record("p1 is not waiting at the bump"); return }
            #expect(due > SendingScene.tuesday.addingTimeInterval(86_400 + 60))
            let events = try await scene.database.candidate("p1@example.org")?.enrollments.first?.events.map(\.detail) ?? []
            #expect(events.contains { $0.contains("could not be read for replies") }, "\(events)")
            // Once Gmail hands it over, the reply stops them.
            scene.fake.clearFaults()
            _ = try await scene.pass(at: 86_400 + 600)
            #expect(try scene.state("p1@example.org") == .stopped(.replied))
            #expect(scene.sent.count == 1)
        }
    }

    @Test("one message that cannot be fetched does not keep the replies after it from being applied; the position waits for it")
    func laterRepliesAreStillApplied() async throws {
        try await SendingScene.with(people: 2) { (scene: SendingScene) async throws -> Void in
            _ = try await scene.passes(from: 0, to: 30)
            let first = try Self.reply(scene, from: "p1@example.org"), second = try Self.reply(scene, from: "p2@example.org")
            try scene.fake.deliver(first.raw, to: SendingScene.sam, threadID: first.thread)
            try scene.fake.deliver(second.raw, to: SendingScene.sam, threadID: second.thread)
            let checkpoint = try await scene.database.syncCheckpoint("sam")
            let before = scene.fake.calls(of: "messages.get")
            scene.fake.addFault(FaultRule(method: "messages.get", call: before + 1, fault: .status(500)))  // p1's reply, once
            let watch = try #require(scene.runner.watch)
            let result = try await watch.sync(scene.configuration, now: SendingScene.tuesday.addingTimeInterval(3_600))
            #expect(try scene.state("p2@example.org") == .stopped(.replied), "p2's reply came after p1's and was not applied")
            #expect(result.failures.count == 1)
            #expect(try await scene.database.syncCheckpoint("sam") == checkpoint, "the position must wait for p1's reply")
            _ = try await watch.sync(scene.configuration, now: SendingScene.tuesday.addingTimeInterval(3_700))
            #expect(try scene.state("p1@example.org") == .stopped(.replied))
        }
    }
}
