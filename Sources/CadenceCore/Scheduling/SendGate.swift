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

    /// In the order they are checked. The limits stay last: the runner reads the ledger they need only for a step
    /// the others let through.
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

    /// One rule's hold at `now`: until when and why, or nil when it lets the send go. Both `decide` (the runner,
    /// the forecast) and `checks` (`explain`) answer through these, so they cannot disagree.
    static func hold(_ rule: Rule, _ conditions: Conditions, _ schedule: SendSchedule, now: Date) -> (until: Date, reason: String)? {
        let mailbox = conditions.mailbox
        switch rule {
        case .authorisation:
            return conditions.mailboxProblem.map { (now.addingTimeInterval(3_600), "mailbox \(mailbox.name): \($0)") }
        case .mailboxPause:
            guard let pause = conditions.mailboxPause, pause.until > now else { return nil }
            return (schedule.nextOpening(atOrAfter: pause.until) ?? pause.until, "mailbox \(mailbox.name) is paused until \(Timestamps.display(pause.until)): \(pause.reason)")
        case .sendWindow:
            // No opening within the horizon (every day a holiday or blacked out): looked at again a day later.
            guard let opening = schedule.nextOpening(atOrAfter: now) else { return (now.addingTimeInterval(86_400), "outside the send window") }
            return opening > now ? (opening, "outside the send window") : nil
        case .limits:
            guard
                let wait = SendAdmission.check(
                    mailbox: mailbox, campaign: conditions.campaign, domain: conditions.domain, ledger: conditions.ledger, now: now, seed: conditions.seed,
                    sendID: conditions.sendID)
            else { return nil }
            return (schedule.nextOpening(atOrAfter: wait.until) ?? wait.until, wait.reason)
        }
    }

    /// Every rule, in the runner's order, answered at `now`, each described for a person.
    public static func checks(_ conditions: Conditions, now: Date) -> [Check] {
        let schedule = conditions.schedule
        let mailbox = conditions.mailbox
        return Rule.allCases.map { rule in
            let held = hold(rule, conditions, schedule, now: now)
            let detail: String
            switch rule {
            case .authorisation:
                detail = conditions.mailboxProblem.map { "mailbox \(mailbox.name) cannot send: \($0); looked at again every hour" } ?? "mailbox \(mailbox.name) can send"
            case .mailboxPause:
                detail =
                    held == nil
                    ? "mailbox \(mailbox.name) is not paused"
                    : "the provider paused mailbox \(mailbox.name) until \(Timestamps.display(conditions.mailboxPause?.until ?? now)): \(conditions.mailboxPause?.reason ?? "")"
            case .sendWindow:
                let window = windowDescription(conditions)
                if let held {
                    detail =
                        schedule.nextOpening(atOrAfter: now) == nil
                        ? "\(window): no opening in the next \(SendSchedule.horizonDays) days (every day a holiday or blacked out?)"
                        : "\(window): closed, opens \(Timestamps.display(held.until))"
                } else {
                    detail = "\(window): open"
                }
            case .limits:
                let limits = mailbox.limits
                var text =
                    "mailbox \(mailbox.name): \(conditions.ledger.mailbox.count) of \(limits.dailyCap) in the last 24 hours, \(conditions.ledger.mailbox.filter { $0 > now.addingTimeInterval(-3_600) }.count) of \(limits.hourlyCap) in the last hour, at least \(limits.minimumGapSeconds) s apart (plus up to a third more, at random)"
                if let cap = conditions.campaign.limits.dailyCap { text += "; campaign: \(conditions.ledger.campaign.count) of \(cap) in 24 hours" }
                if let cap = conditions.campaign.limits.perDomainDailyCap {
                    text +=
                        FreeMailDomains.contains(conditions.domain)
                        ? "; \(conditions.domain) is a free-mail domain, not capped" : "; \(conditions.domain): \(conditions.ledger.domain.count) of \(cap) in 24 hours"
                }
                detail = held.map { "\(text): \($0.reason)" } ?? text
            }
            return Check(rule: rule, holdsUntil: held?.until, reason: held?.reason ?? "", detail: detail)
        }
    }

    /// What the runner does with a due step at `now`: the first rule that holds it back, or nil to send.
    /// `schedule` may be passed in when the caller has it (the forecast asks this a hundred thousand times).
    public static func decide(_ conditions: Conditions, now: Date, schedule: SendSchedule? = nil) -> Check? {
        let schedule = schedule ?? conditions.schedule
        for rule in Rule.allCases {
            if let held = hold(rule, conditions, schedule, now: now) { return Check(rule: rule, holdsUntil: held.until, reason: held.reason, detail: "") }
        }
        return nil
    }

    /// The earliest instant from `due` on at which every rule lets the step go, following the runner's own
    /// postponements (a limit that lifts at night moves the step to the next window); nil if none within a year.
    /// Other people's sends in between can only make it later, never earlier.
    public static func earliest(_ conditions: Conditions, from due: Date) -> (at: Date, postponements: [Check])? {
        var time = due
        var postponements: [Check] = []
        let schedule = conditions.schedule
        for _ in 0..<1_000 {
            // As the runner would find it then: sends older than a day no longer count.
            var then = conditions
            then.ledger = conditions.ledger.counting(at: time)
            guard let hold = decide(then, now: time, schedule: schedule), let until = hold.holdsUntil else { return (time, postponements) }
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
