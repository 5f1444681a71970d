import CadenceCore
import Foundation
import Testing

@Suite("Classifying incoming mail: bounces, auto-replies, unsubscribes and replies")
struct MailClassifierTests {
    /// Tuesday 2026-12-01 10:00 UTC: when the fixtures "arrived".
    static let received = Date(timeIntervalSince1970: 1_796_119_200)
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/incoming")

    /// Every fixture and its expected class. A new fixture without an entry fails the test.
    static let expected: [String: IncomingClass] = [
        "gmail-dsn-failure.eml": .bounce(permanent: true, recipient: "ana@example.org", status: "5.1.1"),
        "gmail-dsn-delay.eml": .bounce(permanent: false, recipient: "bo@example.org", status: "4.4.1"),
        "exchange-ndr.eml": .bounce(permanent: true, recipient: "cy@contoso.com", status: "5.1.10"),
        "postfix-bounce.eml": .bounce(permanent: true, recipient: "dee@example.net", status: "550"),
        "outlook-ooo-en.eml": .outOfOffice(returns: CalendarDate(year: 2026, month: 12, day: 10)),
        "ooo-de.eml": .outOfOffice(returns: CalendarDate(year: 2026, month: 12, day: 15)),
        "ooo-fr.eml": .outOfOffice(returns: CalendarDate(year: 2027, month: 1, day: 3)),
        "ooo-ambiguous-date.eml": .outOfOffice(returns: nil),
        "no-longer-here.eml": .automated(.noLongerHere),
        "ticket-ack.eml": .automated(.ticket),
        "read-receipt.eml": .automated(.readReceipt),
        "unsubscribe-reply.eml": .unsubscribe,
        "unsubscribe-es.eml": .unsubscribe,
        "list-unsubscribe-mailto.eml": .unsubscribe,
        "reply-quoting-unsubscribe.eml": .reply,
        "plain-reply.eml": .reply,
    ]

    @Test("each fixture (several mail systems and languages) gets its class", arguments: Array(expected.keys).sorted())
    func fixture(_ name: String) throws {
        let bytes = Array(try Data(contentsOf: Self.folder.appendingPathComponent(name)))
        let message = try MailMessage.parse(bytes)
        #expect(MailClassifier.classify(message, receivedAt: Self.received) == Self.expected[name])
    }

    @Test("every fixture file has an expected class")
    func allFixturesListed() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".eml") }
        #expect(Set(files) == Set(Self.expected.keys))
    }

    @Test("return dates: formats and languages, weekdays, ambiguous and out-of-range dates refused")
    func returnDates() {
        let zone = TimeZone(identifier: "Europe/Berlin")!
        func date(_ text: String) -> CalendarDate? { ReturnDate.find(in: text, after: Self.received, timeZone: zone) }
        #expect(date("I am back on 2026-12-14.") == CalendarDate(year: 2026, month: 12, day: 14))
        #expect(date("out until December 20th") == CalendarDate(year: 2026, month: 12, day: 20))
        #expect(date("returning Jan 5, 2027") == CalendarDate(year: 2027, month: 1, day: 5))
        #expect(date("back on Monday") == CalendarDate(year: 2026, month: 12, day: 7))
        #expect(date("zurück am 4. Januar") == CalendarDate(year: 2027, month: 1, day: 4))
        #expect(date("hasta el 8 de enero") == CalendarDate(year: 2027, month: 1, day: 8))
        #expect(date("back on 25/12") == CalendarDate(year: 2026, month: 12, day: 25))
        #expect(date("back on 9/8") == nil)  // 9 August or 8 September: refused
        #expect(date("until March 2028") == nil)
        #expect(date("back on 2027-06-01") == nil)  // more than 60 days away
        #expect(date("until 31.04.") == nil)  // not a day
        #expect(date("total nonsense") == nil)
    }

    @Test("quoted text never counts: a reply quoting our 'unsubscribe' line is a reply")
    func quotedTextIgnored() {
        let text = "Yes, Thursday works.\n\nOn Tue, Dec 1, 2026 at 10:00 AM Sam wrote:\n> reply unsubscribe to stop\n"
        #expect(MailClassifier.freshText(text) == "Yes, Thursday works.\n")
    }
}

@Suite("Unsubscribe wording turned around by a negation, in each language whose negation comes before the verb")
struct UnsubscribeNegationTests {
    /// (language, a reply that mentions unsubscribing only to say there is no need, a real request in the same words).
    static let cases: [(String, String, String)] = [
        ("en", "No need to unsubscribe me, I am still interested.", "Please unsubscribe me."),
        ("de", "Sie müssen mich nicht abmelden, ich bin weiterhin interessiert.", "Bitte abmelden, danke."),
        ("fr", "Pas besoin de me désabonner, je suis toujours intéressé.", "Merci de me désabonner."),
        ("es", "No hace falta darme de baja, me interesa mucho.", "Por favor, darme de baja."),
        ("it", "Non c'è bisogno di cancellarmi, sono interessato.", "Per favore cancellatemi dalla lista."),
        ("pt", "Não precisa me descadastrar, tenho interesse.", "Por favor, me descadastre."),
        ("nl", "Niet afmelden alstublieft, ik ben geïnteresseerd.", "Graag afmelden."),
        ("sv", "Ni behöver inte avregistrera mig, jag är intresserad.", "Avregistrera mig, tack."),
    ]

    static func classify(_ body: String) throws -> IncomingClass {
        let raw = "From: ana@example.org\nTo: sam@agency.example\nSubject: Re: Quick question\nContent-Type: text/plain; charset=utf-8\n\n\(body)\n"
        return MailClassifier.classify(try MailMessage.parse(Array(raw.utf8)), receivedAt: MailClassifierTests.received)
    }

    @Test("\"no need to unsubscribe me\" is a reply; the request itself is an unsubscribe", arguments: cases.map(\.0))
    func negated(_ language: String) throws {
        let (_, reply, request) = Self.cases.first { $0.0 == language }!
        #expect(try Self.classify(reply) == .reply, "\(language): \(reply)")
        #expect(try Self.classify(request) == .unsubscribe, "\(language): \(request)")
    }
}
