import CadenceCore
import Foundation
import Testing

@Suite("Reading an incoming message never fails: broken mail is read past where a mail client would, or is 'unparsed'")
struct IncomingMailTests {
    static let received = Date(timeIntervalSince1970: 1_796_119_200)

    func read(_ text: String) -> IncomingMail {
        IncomingMail.read(Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8), receivedAt: Self.received)
    }

    /// A message whose parts nest `depth` multiparts deep.
    static func nested(_ depth: Int) -> String {
        var text = "Content-Type: text/plain\n\nSounds good.\n"
        for level in (0..<depth).reversed() {
            text = "Content-Type: multipart/mixed; boundary=\"b\(level)\"\n\n--b\(level)\n" + text + "--b\(level)--\n"
        }
        return text
    }

    @Test("a header line without a colon, or a folded first line, is left out; the other headers and the body are read")
    func strayHeaderLines() throws {
        let mail = read(" folded before anything\nFrom: Ana <ana@client.com>\nIn-Reply-To: <m1@x>\nThis line has no colon\n  and a fold of it\nSubject: Re: hi\n\nPlease remove me from your list.\n")
        #expect(mail.from == "ana@client.com")
        #expect(mail.references == ["<m1@x>"])
        #expect(mail.incomingClass == .unsubscribe)
        #expect(mail.snippet == "Please remove me from your list.")
        let message = try MailMessage.parse(Array("Bad Name: x\nSubject: kept\n\nbody".utf8))
        #expect(message.headers.map(\.name) == ["Subject"])
    }

    @Test("a multipart without its boundary parameter is split at the delimiter its body starts with")
    func missingBoundary() throws {
        let mail = read(
            "From: ana@client.com\nContent-Type: multipart/alternative\n\n--lost\nContent-Type: text/plain\n\nFriday works.\n--lost\nContent-Type: text/html\n\n<p>Friday works.</p>\n--lost--\n")
        #expect(mail.incomingClass == .reply)
        #expect(mail.snippet == "Friday works.")
    }

    @Test("a multipart whose boundary never appears is read as one text part")
    func boundaryNeverAppears() throws {
        let mail = read("From: ana@client.com\nContent-Type: multipart/mixed; boundary=\"nowhere\"\n\nStop emailing me, please.\n")
        #expect(mail.incomingClass == .unsubscribe)
        #expect(mail.snippet == "Stop emailing me, please.")
    }

    @Test("bytes that cannot be parsed are 'unparsed', with the sender and references their header block still gives")
    func unparsed() {
        let mail = read("From: Ana <ana@client.com>\nReferences: <m1@x>\n <m2@x>\nSubject: Re: hi\n" + Self.nested(30))
        #expect(mail.incomingClass == .unparsed(reason: "MIME parts are nested more than 20 deep"))
        #expect(mail.incomingClass.name == "unparsed")
        #expect(mail.from == "ana@client.com")
        #expect(mail.references == ["<m1@x>", "<m2@x>"])
        #expect(mail.snippet == "could not be read: MIME parts are nested more than 20 deep")
        // Twenty levels are still read.
        #expect(read("From: ana@client.com\n" + Self.nested(19)).incomingClass == .reply)
    }
}

@Suite("The campaign's own lines never count as the person's words")
struct OwnLinesTests {
    static let sent = Array(
        "From: sam@agency.example\r\nTo: ana@example.org\r\nSubject: Quick question\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi Ana, are you open to a chat?\r\n\r\nNot interested? Reply \"remove me\" and I will not write again.\r\nBest,\r\nSam\r\n"
            .utf8)

    @Test("the sent message's lines, normalised; short ones (a greeting, a sign-off) are kept as the person's")
    func lines() {
        let lines = FreshText.ownLines(ofSent: [Self.sent])
        #expect(lines == ["hi ana, are you open to a chat?", "not interested? reply \"remove me\" and i will not write again."])
    }

    @Test("a reply carrying the footer unquoted is a reply; without the sent lines it would read as a request")
    func footer() {
        let reply = Array("From: ana@example.org\r\nSubject: Re: Quick question\r\n\r\nYes, Thursday works.\r\n\r\nNot interested?  Reply \"remove me\" and I will NOT write again.\r\n".utf8)
        let received = Date(timeIntervalSince1970: 1_796_119_200)
        #expect(IncomingMail.read(reply, receivedAt: received).incomingClass == .unsubscribe)
        let mail = IncomingMail.read(reply, receivedAt: received, ownLines: FreshText.ownLines(ofSent: [Self.sent]))
        #expect(mail.incomingClass == .reply)
        #expect(mail.snippet == "Yes, Thursday works.")
    }
}
