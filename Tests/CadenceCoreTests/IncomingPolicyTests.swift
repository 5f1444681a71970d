import CadenceCore
import Foundation
import Testing

@Suite("What an incoming message does to enrolments: stop, suppress, the colleague rule, the out-of-office pause")
struct IncomingPolicyTests {
    /// Tuesday 2026-12-01 10:00 UTC.
    static let tuesday = Date(timeIntervalSince1970: 1_796_119_200)
    static let policy = IncomingPolicy()

    func decide(
        _ kind: IncomingClass, from sender: String = "ana@client.com", candidate: String = "ana@client.com", rule: ColleagueReplyPolicy = .stop,
        now: Date = tuesday
    ) -> IncomingDecision {
        Self.policy.decide(kind, from: sender, candidateKey: candidate, colleagueReply: rule, receivedAt: Self.tuesday, now: now)
    }

    @Test("each class: a reply stops; an unsubscribe and a permanent bounce stop and suppress; a delay and other automated mail only record")
    func classes() {
        #expect(decide(.reply) == IncomingDecision(stop: .replied))
        #expect(decide(.unsubscribe) == IncomingDecision(stop: .unsubscribed, suppress: true))
        #expect(decide(.bounce(permanent: true, recipient: "ana@client.com", status: "5.1.1")) == IncomingDecision(stop: .bounced, suppress: true))
        #expect(decide(.bounce(permanent: false, recipient: "ana@client.com", status: "4.4.1")) == .recordOnly)
        #expect(decide(.automated(.noLongerHere)) == IncomingDecision(stop: .manual(note: "no longer with the company (automatic reply)")))
        for kind in [IncomingClass.AutomatedKind.notMonitored, .ticket, .readReceipt, .other] {
            #expect(decide(.automated(kind)) == .recordOnly)
        }
    }

    @Test("a message that cannot be read but belongs to the person stops them, whatever its body")
    func unparsedStops() {
        #expect(decide(.unparsed(reason: "MIME parts are nested more than 20 deep")) == IncomingDecision(stop: .replied))
        // Sender unknown (no readable From): still theirs, since it was matched to them.
        #expect(decide(.unparsed(reason: "x"), from: "", rule: .record) == IncomingDecision(stop: .replied))
    }

    @Test("out of office: one business day after the return date at 09:00 UTC; the default without one; nothing once it has passed")
    func outOfOffice() {
        // Back Thursday 3 December: paused until Friday 4 December 09:00 UTC.
        let thursday = decide(.outOfOffice(returns: CalendarDate(year: 2026, month: 12, day: 3)))
        #expect(thursday == IncomingDecision(pauseUntil: Date(timeIntervalSince1970: 1_796_374_800)))
        // Back Friday 4 December: the next business day is Monday 7 December.
        let friday = decide(.outOfOffice(returns: CalendarDate(year: 2026, month: 12, day: 4)))
        #expect(friday.pauseUntil == Date(timeIntervalSince1970: 1_796_634_000))
        // No date: the default, 7 days after the message arrived (or what the settings say).
        #expect(decide(.outOfOffice(returns: nil)).pauseUntil == Self.tuesday.addingTimeInterval(7 * 86_400))
        var settings = ReplySettings()
        settings.outOfOfficeDefaultDays = 2
        let short = IncomingPolicy(settings).decide(
            .outOfOffice(returns: nil), from: "ana@client.com", candidateKey: "ana@client.com", colleagueReply: .stop, receivedAt: Self.tuesday, now: Self.tuesday)
        #expect(short.pauseUntil == Self.tuesday.addingTimeInterval(2 * 86_400))
        // Read long after it arrived, when the person is already back: only recorded.
        #expect(decide(.outOfOffice(returns: nil), now: Self.tuesday.addingTimeInterval(30 * 86_400)) == .recordOnly)
        // An out-of-office never stops anyone.
        #expect(decide(.outOfOffice(returns: nil)).stop == nil)
        // Read from its wording alone, the pause is marked as a guess; a header's word is not one.
        let policy = IncomingPolicy()
        for (rule, guessed) in [("out-of-office.wording:de", true), ("out-of-office.automatic:en", false), ("out-of-office.auto-replied", false)] {
            let decision = policy.decide(
                .outOfOffice(returns: nil), rule: rule, from: "ana@client.com", candidateKey: "ana@client.com", colleagueReply: .stop,
                receivedAt: Self.tuesday, now: Self.tuesday)
            #expect(decision.pauseGuessed == guessed, "\(rule)")
        }
    }

    @Test("a colleague's reply follows the campaign's rule; the candidate's own address, however written, is no colleague")
    func colleagues() {
        let boss = decide(.reply, from: "boss@client.com", rule: .record)
        #expect(boss.stop == nil)
        #expect(boss.note == "a colleague (boss@client.com) replied; the campaign records colleague replies, so the sequence goes on")
        #expect(decide(.reply, from: "Boss@EU.client.com", rule: .record).note != nil)  // a subdomain of the company
        #expect(decide(.reply, from: "boss@client.com", rule: .stop) == IncomingDecision(stop: .replied))
        #expect(decide(.unparsed(reason: "x"), from: "boss@client.com", rule: .record).stop == nil)
        // Someone at another company answering in the thread: a reply.
        #expect(decide(.reply, from: "someone@other.example", rule: .record) == IncomingDecision(stop: .replied))
        // The candidate, written with Gmail's dots, +tag and the other Gmail domain.
        #expect(decide(.reply, from: "Jane.Doe+work@googlemail.com", candidate: "janedoe@gmail.com", rule: .record) == IncomingDecision(stop: .replied))
    }

    @Test("free-mail domains are no company: two gmail.com or outlook.com people are not colleagues")
    func freeMail() {
        for domain in ["gmail.com", "outlook.com", "yahoo.com", "icloud.com"] {
            #expect(!IncomingPolicy.isColleague("max@\(domain)", of: "jane@\(domain)"))
            #expect(decide(.reply, from: "max@\(domain)", candidate: "jane@\(domain)", rule: .record) == IncomingDecision(stop: .replied))
        }
        #expect(IncomingPolicy.isColleague("max@client.com", of: "jane@client.com"))
        #expect(!IncomingPolicy.isColleague("jane@client.com", of: "jane@client.com"))
        #expect(!IncomingPolicy.isColleague("", of: "jane@client.com"))
    }

    @Test("the person is looked up by the normalised sender, or by the failed recipients a bounce names")
    func personKey() {
        #expect(AddressKey.normalized(text: "Jane.Doe+news@gmail.com") == "janedoe@gmail.com")
        #expect(AddressKey.normalized(text: "j.doe@GoogleMail.com") == "jdoe@gmail.com")
        #expect(AddressKey.normalized(text: "Ana+x@Client.com") == "ana+x@client.com")  // a +tag elsewhere may be another mailbox
        let reply = IncomingMail.read(Array("From: Jane <Jane.Doe@gmail.com>\n\nYes\n".utf8), receivedAt: Date(timeIntervalSince1970: 0))
        #expect(reply.addresses == ["Jane.Doe@gmail.com"])
        let bounce = IncomingMail.read(
            Array(
                "From: mailer-daemon@googlemail.com\nTo: sam@northwind.example.com\nX-Failed-Recipients: Jane.Doe@gmail.com\nSubject: Delivery Status Notification (Failure)\n\n550 5.1.1 no such user\n"
                    .utf8),
            receivedAt: Date(timeIntervalSince1970: 0))
        #expect(bounce.addresses == ["Jane.Doe@gmail.com"])
        #expect(bounce.incomingClass == .bounce(permanent: true, recipient: "Jane.Doe@gmail.com", status: "5.1.1"))
    }

    @Test("an address that is not valid enough to normalise is still compared, trimmed and lowercased")
    func textKeys() {
        #expect(AddressKey.normalized(text: " <Jane.Doe@Gmail.com> ") == "janedoe@gmail.com")
        #expect(AddressKey.normalized(text: "\"odd name\"@Example.org") == "\"odd name\"@example.org")
    }
}
