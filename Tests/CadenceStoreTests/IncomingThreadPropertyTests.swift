import CadenceCore
import CadenceStore
import Foundation
import Testing

/// "Never ignore a message in a thread Cadence started" (docs/replies.md), whatever its bytes: every labelled corpus
/// message mutated at random (bytes flipped, cut short, lines dropped, garbage spliced in) and pure noise, each
/// arriving in Ana's thread, is read without failing, carries the rule that decided it, is recorded against Ana
/// (an event on her enrolment, shown by `show`), and, when it reads as a person's answer or cannot be read, stops her.
@Suite("A message in a Cadence thread is never ignored, whatever its bytes")
struct IncomingThreadPropertyTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CadenceCoreTests/Fixtures/corpus")

    static func corpusMessages() throws -> [[UInt8]] {
        var messages: [[UInt8]] = []
        for group in try FileManager.default.contentsOfDirectory(atPath: corpus.path).sorted() {
            let folder = corpus.appendingPathComponent(group)
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
            for file in files.sorted() where file.hasSuffix(".eml") {
                messages.append(Array(try Data(contentsOf: folder.appendingPathComponent(file))))
            }
        }
        return messages
    }

    /// One of several damages real transports and broken mailers do, chosen by the seed.
    static func mutate(_ bytes: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        switch random.next() % 6 {
        case 0:  // flip bytes anywhere, headers included
            for _ in 0..<(1 + Int(random.next() % 40)) where !bytes.isEmpty { bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next()) }
        case 1:  // cut short
            bytes = Array(bytes.prefix(Int(random.next() % UInt64(max(1, bytes.count)))))
        case 2:  // drop lines
            var lines = bytes.split(separator: 10, omittingEmptySubsequences: false)
            for _ in 0..<(1 + Int(random.next() % 8)) where !lines.isEmpty { lines.remove(at: Int(random.next() % UInt64(lines.count))) }
            bytes = Array(lines.joined(separator: [10]))
        case 3:  // splice garbage in
            let at = Int(random.next() % UInt64(max(1, bytes.count)))
            let garbage = (0..<Int(random.next() % 200)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            bytes.insert(contentsOf: garbage, at: min(at, bytes.count))
        case 4:  // nest multiparts past any sane depth
            let open = (0..<25).map { "Content-Type: multipart/mixed; boundary=b\($0)\n\n--b\($0)\n" }.joined()
            bytes = Array(open.utf8) + bytes
        default:  // pure noise
            bytes = (0..<Int(random.next() % 2_000)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }
        return bytes
    }

    @Test("400 damaged and random messages in Ana's thread: each recorded against her, each with its rule; what reads as a person stops her")
    func neverIgnored() async throws {
        let messages = try Self.corpusMessages()
        try #require(messages.count >= 150)
        var random = SplitMix64(seed: 0xCADE_16)
        for index in 0..<400 {
            let store = try CadenceDatabase.inMemory()
            try SteeringTests.launch(store, [("ana@example.org", SteeringTests.active), ("bo@example.org", SteeringTests.active)])
            guard case .held(let lease) = try await store.acquireLease(owner: "runner", now: SteeringTests.now, seconds: 60) else {
                Issue.record("the lease was not free")
                return
            }
            let step = try #require(try await store.dueSteps(now: SteeringTests.now, limit: 10).first { $0.address == "ana@example.org" })
            guard case .recorded(let id) = try await store.recordIntent(step, key: SendKey(sendID: "q1.intro.ana", messageID: "m1@example.com"), bytes: [1], fence: lease.fence, now: SteeringTests.now)
            else {
                Issue.record("not recorded")
                return
            }
            try await store.recordSent(id, sent: SentMessage(providerMessageID: "p1", threadID: "t1"), next: .finished, recipientDomain: "example.org", fence: lease.fence, now: SteeringTests.now)
            let bytes = Self.mutate(messages[Int(random.next() % UInt64(messages.count))], &random)
            let mail = IncomingMail.read(bytes, receivedAt: SteeringTests.now)
            #expect(!mail.rule.isEmpty, "case \(index)")
            let message = IncomingMessage(
                mailbox: "sam", providerMessageID: "m\(index)", providerThreadID: "t1", from: mail.from,
                references: mail.references, addresses: mail.addresses, incomingClass: mail.incomingClass, rule: mail.rule, snippet: mail.snippet,
                receivedAt: SteeringTests.now)
            let outcome = try await store.applyIncoming(message, now: SteeringTests.now)
            guard case .applied(let candidate, _, _, _, _) = outcome else {
                Issue.record("case \(index): \(mail.incomingClass.name) by \(mail.rule) in Ana's thread was not recorded against her: \(outcome)")
                continue
            }
            #expect(candidate == "ana@example.org", "case \(index)")
            switch mail.incomingClass {
            case .reply, .unparsed, .meeting, .unsubscribe, .bounce(permanent: true, _, _):
                // What reads as a person (or cannot be read at all) stops her, unless a colleague the campaign only records.
                let decision = IncomingPolicy().decide(
                    mail.incomingClass, from: mail.from, candidateKey: "ana@example.org", colleagueReply: .stop, receivedAt: SteeringTests.now,
                    now: SteeringTests.now)
                #expect(decision.stop != nil, "case \(index): \(mail.rule)")
            default: break
            }
        }
    }
}
