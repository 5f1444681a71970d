import Foundation

/// What an incoming message does to enrolments: the one place that decides it. The store finds the enrolment the
/// message belongs to and carries the decision out; the decision itself needs no database.
///
/// When unsure, stop sending: a reply, or a message that belongs to the person but cannot be read, stops them.
public struct IncomingPolicy: Sendable, Equatable {
    /// How long an out-of-office with no usable return date pauses the person.
    public var outOfOfficeDefaultDays: Int

    public init(outOfOfficeDefaultDays: Int = ReplySettings().outOfOfficeDefaultDays) {
        self.outOfOfficeDefaultDays = outOfOfficeDefaultDays
    }

    public init(_ settings: ReplySettings) {
        self.init(outOfOfficeDefaultDays: settings.outOfOfficeDefaultDays)
    }

    /// Whether `sender` is someone else at the candidate's company (the same domain, or a subdomain of it). People
    /// at a free-mail domain share no company: two gmail.com people are never colleagues.
    public static func isColleague(_ sender: String, of candidateKey: String) -> Bool {
        guard !sender.isEmpty else { return false }
        let senderKey = AddressKey.normalized(text: sender)
        guard senderKey != candidateKey else { return false }
        let senderDomain = String(senderKey.split(separator: "@").last ?? "")
        let candidateDomain = String(candidateKey.split(separator: "@").last ?? "")
        guard !senderDomain.isEmpty, !candidateDomain.isEmpty, !FreeMailDomains.contains(candidateDomain) else { return false }
        return AddressKey.domainAndParents(senderDomain).contains(candidateDomain)
    }

    /// Whether the classifier's `rule` read an out-of-office from its wording alone, with no header saying the
    /// message was automatic (a server-side rule's plain "Re:" answer, or a person writing "I'm away until …").
    /// The person is held rather than stopped, the cheaper mistake, and `status` says it is a guess.
    public static func isWordingGuess(rule: String) -> Bool { rule.hasPrefix("out-of-office.wording") }

    /// What `incomingClass`, sent by `sender` and matched to the candidate whose address key is `candidateKey` in
    /// a campaign whose colleague rule is `colleagueReply`, does to that person, decided at `now`. `rule` is the
    /// classifier's rule for it.
    public func decide(
        _ incomingClass: IncomingClass, rule: String = "", from sender: String, candidateKey: String, colleagueReply: ColleagueReplyPolicy,
        receivedAt: Date, now: Date
    ) -> IncomingDecision {
        switch incomingClass {
        case .reply, .unparsed:
            // A message that belongs to the person but cannot be read counts as their reply: stop, whatever its body.
            if colleagueReply == .record, Self.isColleague(sender, of: candidateKey) {
                return IncomingDecision(note: "a colleague (\(sender.lowercased())) replied; the campaign records colleague replies, so the sequence goes on")
            }
            return IncomingDecision(stop: .replied)
        case .meeting(let answer):
            // Answering the invitation is engagement, whatever the answer: the recruiter takes it from here.
            return IncomingDecision(stop: .replied, note: "meeting \(answer.rawValue) (calendar answer)")
        case .unsubscribe:
            return IncomingDecision(stop: .unsubscribed, suppress: true)
        case .bounce(permanent: true, _, _):
            return IncomingDecision(stop: .bounced, suppress: true)
        case .bounce(permanent: false, _, _):
            return .recordOnly  // the mail system retries by itself
        case .automated(.noLongerHere):
            return IncomingDecision(stop: .manual(note: "no longer with the company (automatic reply)"))
        case .automated:
            return .recordOnly
        case .outOfOffice(let returns):
            let until = pauseUntil(returns: returns, received: receivedAt)
            return until > now ? IncomingDecision(pauseUntil: until, pauseGuessed: Self.isWordingGuess(rule: rule)) : .recordOnly
        }
    }

    /// Until when an out-of-office pauses: one business day after the return date (at 09:00 UTC), else the default
    /// number of days after the message arrived.
    public func pauseUntil(returns: CalendarDate?, received: Date) -> Date {
        let fallback = received.addingTimeInterval(Double(outOfOfficeDefaultDays) * 86_400)
        guard let returns else { return fallback }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard var day = calendar.date(from: DateComponents(year: returns.year, month: returns.month, day: returns.day, hour: 9)) else {
            return fallback
        }
        repeat { day = day.addingTimeInterval(86_400) } while calendar.isDateInWeekend(day)
        return day
    }
}
