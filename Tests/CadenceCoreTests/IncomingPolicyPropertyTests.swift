import CadenceCore
import Foundation
import PropertyBased
import Testing

/// The promise that a person who answered gets nothing more, checked over bytes no fixture thought of: reading a
/// message never fails, and a message that belongs to a person is never ignored.
@Suite("Incoming policy properties (fixed seed, bounded cases)")
struct IncomingPolicyPropertyTests {
    static let received = Date(timeIntervalSince1970: 1_796_119_200)
    static let candidate = "ana@client.com"
    /// Bytes that matter to a mail parser, weighted into the random input.
    static let interesting: [UInt8] = Array("\r\n:;=\"<>@- \t.boundary--Content-Type: multipart/mixed; Auto-Submitted".utf8) + [0x00, 0xC3, 0xA9, 0xFF]

    /// Classes that are recorded on the enrolment and change nothing else: mail recognised as automated.
    static func recordedOnly(_ kind: IncomingClass) -> Bool {
        switch kind {
        case .bounce(permanent: false, _, _): true
        case .automated(let kind): kind != .noLongerHere
        default: false
        }
    }

    /// What matching `bytes` to the candidate does, as the mailbox watch reads and decides it.
    static func check(_ bytes: [UInt8], rule: ColleagueReplyPolicy, case index: Int) {
        let mail = IncomingMail.read(bytes, receivedAt: received)
        let decision = IncomingPolicy().decide(
            mail.incomingClass, from: mail.from, candidateKey: candidate, colleagueReply: rule, receivedAt: received, now: received)
        #expect(decision.stop != nil || decision.pauseUntil != nil || decision.note != nil || recordedOnly(mail.incomingClass), "case \(index): \(mail)")
        if case .unparsed = mail.incomingClass, rule == .stop { #expect(decision.stop == .replied, "case \(index)") }
        if decision.note != nil { #expect(rule == .record && IncomingPolicy.isColleague(mail.from, of: candidate), "case \(index)") }
        #expect(mail.snippet.count <= 200)
    }

    @Test("whatever the bytes of a message in a person's thread, it is never ignored: it stops or pauses them, or is recognised automated mail")
    func randomBytes() {
        let bytes = Gen.element(of: Self.interesting + Array(0...255)).map { $0! }.array(of: 0...400)
        let rules = Gen.element(of: ColleagueReplyPolicy.allCases).map { $0! }
        seededCheck(count: 2_000, zip(bytes, rules)) { index, input in
            Self.check(input.0, rule: input.1, case: index)
        }
    }

    @Test("a real reply, bounce or auto-reply damaged anywhere is never ignored either")
    func damagedFixtures() throws {
        let folder = MailClassifierTests.folder
        let originals = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".eml") }.sorted().map {
            Array(try Data(contentsOf: folder.appendingPathComponent($0)))
        }
        let cases = zip(Gen.int(in: 0...(originals.count - 1)), ParserPropertyTests.mutation.array(of: 1...6), Gen.element(of: ColleagueReplyPolicy.allCases).map { $0! })
        seededCheck(count: 1_500, cases) { index, input in
            Self.check(ParserPropertyTests.apply(input.1, to: originals[input.0]), rule: input.2, case: index)
        }
    }

    @Test("a message nested too deep to read, with any sender and references, stops the person it belongs to")
    func unreadable() {
        let senders = Gen.element(of: ["", "ana@client.com", "Ana <ana@client.com>", "boss@client.com", "x@gmail.com", "not an address"]).map { $0! }
        let depths = Gen.int(in: 21...60)
        seededCheck(count: 200, zip(senders, depths)) { index, input in
            var body = "Content-Type: text/plain\r\n\r\nyes\r\n"
            for level in (0..<input.1).reversed() {
                body = "Content-Type: multipart/mixed; boundary=\"b\(level)\"\r\n\r\n--b\(level)\r\n" + body + "--b\(level)--\r\n"
            }
            let mail = IncomingMail.read(Array("From: \(input.0)\r\nIn-Reply-To: <m@x>\r\n\(body)".utf8), receivedAt: Self.received)
            guard case .unparsed = mail.incomingClass else { Issue.record("case \(index): \(input.1) levels were read"); return }
            #expect(mail.references == ["<m@x>"])
            let decision = IncomingPolicy().decide(
                mail.incomingClass, from: mail.from, candidateKey: Self.candidate, colleagueReply: .stop, receivedAt: Self.received, now: Self.received)
            #expect(decision.stop == .replied, "case \(index)")
        }
    }
}
