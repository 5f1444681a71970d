import Foundation

/// The one rule for what stands between a due step and its send, in the order the runner applies it: the
/// mailbox's authorisation, a pause the provider put on the mailbox, the send window (in the candidate's zone,
/// holidays and blackouts skipped) and the shared sending limits (`SendAdmission`). The runner postpones a step
/// to what `decide` says; `cadence explain` lists every `check` with its answer, so the two cannot disagree.
public enum SendGate {
    /// What is known about a due step's send when the runner reaches it.
    public struct Conditions: Sendable {
        public var campaign: SequenceDefinition
        public var candidateZone: String?
        public var mailbox: Mailbox
        /// Why the mailbox cannot send now (a Gmail mailbox not authorised), or nil.
        public var mailboxProblem: String?
        /// A pause the provider put on the mailbox ("(Mail sending)" limit), still in force.
        public var mailboxPause: (until: Date, reason: String)?
        public var ledger: SendAdmission.Ledger
        /// The recipient's domain, for the per-domain cap.
        public var domain: String
        public var sendID: String
        public var seed: UInt64

        public init(
            campaign: SequenceDefinition, candidateZone: String?, mailbox: Mailbox, mailboxProblem: String?, mailboxPause: (until: Date, reason: String)?,
            ledger: SendAdmission.Ledger, domain: String, sendID: String, seed: UInt64
        ) {
            self.campaign = campaign
            self.candidateZone = candidateZone
            self.mailbox = mailbox
            self.mailboxProblem = mailboxProblem
            self.mailboxPause = mailboxPause
            self.ledger = ledger
            self.domain = domain
            self.sendID = sendID
            self.seed = seed
        }

        public var schedule: SendSchedule { SendSchedule(campaign: campaign, candidateZone: candidateZone) }
    }

    public enum Rule: String, Sendable, CaseIterable {
        case authorisation = "mailbox authorisation"
        case mailboxPause = "mailbox pause"
        case sendWindow = "send window"
        case limits = "sending limits"
    }

    /// One rule's answer at an instant: whether it holds the step back, until when, and why; `detail` describes
    /// the rule either way (for `explain`).
    public struct Check: Sendable, Equatable {
        public var rule: Rule
        /// When the runner looks again (the step's new due time), or nil when the rule lets the send go.
        public var holdsUntil: Date?
        /// The reason the runner records when the rule holds the step back.
        public var reason: String
        public var detail: String
    }

    /// Every rule, in the runner's order, answered at `now`.
    public static func checks(_ conditions: Conditions, now: Date) -> [Check] {
        let schedule = conditions.schedule
        let mailbox = conditions.mailbox
        var checks: [Check] = []
        if let problem = conditions.mailboxProblem {
            checks.append(
                Check(
                    rule: .authorisation, holdsUntil: now.addingTimeInterval(3_600), reason: "mailbox \(mailbox.name): \(problem)",
                    detail: "mailbox \(mailbox.name) cannot send: \(problem); looked at again every hour"))
        } else {
            checks.append(Check(rule: .authorisation, holdsUntil: nil, reason: "", detail: "mailbox \(mailbox.name) can send"))
        }
        if let pause = conditions.mailboxPause, pause.until > now {
            checks.append(
                Check(
                    rule: .mailboxPause, holdsUntil: schedule.nextOpening(atOrAfter: pause.until) ?? pause.until,
                    reason: "mailbox \(mailbox.name) is paused until \(Timestamps.display(pause.until)): \(pause.reason)",
                    detail: "the provider paused mailbox \(mailbox.name) until \(Timestamps.display(pause.until)): \(pause.reason)"))
        } else {
            checks.append(Check(rule: .mailboxPause, holdsUntil: nil, reason: "", detail: "mailbox \(mailbox.name) is not paused"))
        }
        let window = windowDescription(conditions)
        if let opening = schedule.nextOpening(atOrAfter: now) {
            checks.append(
                opening > now
                    ? Check(rule: .sendWindow, holdsUntil: opening, reason: "outside the send window", detail: "\(window): closed, opens \(Timestamps.display(opening))")
                    : Check(rule: .sendWindow, holdsUntil: nil, reason: "", detail: "\(window): open"))
        } else {
            checks.append(
                Check(
                    rule: .sendWindow, holdsUntil: now.addingTimeInterval(86_400), reason: "outside the send window",
                    detail: "\(window): no opening in the next \(SendSchedule.horizonDays) days (every day a holiday or blacked out?)"))
        }
        let limits = mailbox.limits
        var limitDetail =
            "mailbox \(mailbox.name): \(conditions.ledger.mailbox.count) of \(limits.dailyCap) in the last 24 hours, \(conditions.ledger.mailbox.filter { $0 > now.addingTimeInterval(-3_600) }.count) of \(limits.hourlyCap) in the last hour, at least \(limits.minimumGapSeconds) s apart (plus up to a third more, at random)"
        if let cap = conditions.campaign.limits.dailyCap { limitDetail += "; campaign: \(conditions.ledger.campaign.count) of \(cap) in 24 hours" }
        if let cap = conditions.campaign.limits.perDomainDailyCap {
            limitDetail +=
                FreeMailDomains.contains(conditions.domain)
                ? "; \(conditions.domain) is a free-mail domain, not capped" : "; \(conditions.domain): \(conditions.ledger.domain.count) of \(cap) in 24 hours"
        }
        if let wait = SendAdmission.check(
            mailbox: mailbox, campaign: conditions.campaign, domain: conditions.domain, ledger: conditions.ledger, now: now, seed: conditions.seed,
            sendID: conditions.sendID)
        {
            checks.append(
                Check(rule: .limits, holdsUntil: schedule.nextOpening(atOrAfter: wait.until) ?? wait.until, reason: wait.reason, detail: "\(limitDetail): \(wait.reason)"))
        } else {
            checks.append(Check(rule: .limits, holdsUntil: nil, reason: "", detail: limitDetail))
        }
        return checks
    }

    /// What the runner does with a due step at `now`: the first rule that holds it back, or nil to send.
    public static func decide(_ conditions: Conditions, now: Date) -> Check? {
        checks(conditions, now: now).first { $0.holdsUntil != nil }
    }

    /// The earliest instant from `due` on at which every rule lets the step go, following the runner's own
    /// postponements (a limit that lifts at night moves the step to the next window); nil if none within a year.
    /// Other people's sends in between can only make it later, never earlier.
    public static func earliest(_ conditions: Conditions, from due: Date) -> (at: Date, postponements: [Check])? {
        var time = due
        var postponements: [Check] = []
        for _ in 0..<1_000 {
            guard let hold = decide(conditions, now: time), let until = hold.holdsUntil else { return (time, postponements) }
            postponements.append(hold)
            guard until > time, until.timeIntervalSince(due) < 366 * 86_400 else { return nil }
            time = until
        }
        return nil
    }

    static func windowDescription(_ conditions: Conditions) -> String {
        let window = conditions.campaign.sendWindow
        let zone = conditions.candidateZone ?? conditions.campaign.timeZone
        let whose = conditions.candidateZone == nil ? "the campaign's zone" : "the candidate's zone"
        return "send window \(window.days.map(\.rawValue).joined(separator: ", ")) \(window.start)–\(window.end) in \(zone) (\(whose))"
    }
}
