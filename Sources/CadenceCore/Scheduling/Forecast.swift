import Foundation

/// When the campaigns will finish: the people in progress played forward in memory with the runner's own rules
/// (`NextStep` after each step, `SendGate` before each send), from a snapshot, for at most a year. Nothing is
/// rendered or written.
///
/// Assumptions, which `status --forecast` prints: nobody replies, bounces or unsubscribes; a task is done the moment
/// it is due; held and paused people stay as they are (out-of-office people come back when they said); no one new
/// is launched; the mailboxes stay authorised and are not paused (a pause Gmail put on a mailbox now is left out);
/// sends in doubt are played as due. People queued behind a mailbox's minimum gap go at the gap itself, without the
/// runner's random extra, so sends can be forecast up to a third of the gap early each.
public enum Forecast {
    /// One person's place in a campaign now.
    public struct Person: Sendable {
        public var campaign: String
        public var mailbox: String
        public var step: String
        /// When the step is due (for an out-of-office pause, when they are back).
        public var due: Date
        public var zone: String?
        /// Whom to: the domain for its cap, the send id for the gap's jitter (the runner's `SendIdentity`).
        public var address: EmailAddress

        public init(campaign: String, mailbox: String, step: String, due: Date, zone: String?, address: EmailAddress) {
            self.campaign = campaign
            self.mailbox = mailbox
            self.step = step
            self.due = due
            self.zone = zone
            self.address = address
        }
    }

    /// A send already made, within the last day: what the caps count at the start.
    public struct PastSend: Sendable {
        public var mailbox: String
        public var campaign: String
        public var domain: String
        public var at: Date

        public init(mailbox: String, campaign: String, domain: String, at: Date) {
            self.mailbox = mailbox
            self.campaign = campaign
            self.domain = domain
            self.at = at
        }
    }

    public struct CampaignResult: Sendable, Equatable {
        public var people = 0
        public var emails = 0
        public var tasks = 0
        /// When the last step is expected to happen; nil when nobody is in progress.
        public var lastStep: Date?
        /// People whose sequence would still be going after the horizon.
        public var beyondHorizon = 0

        public init() {}
    }

    public struct MailboxResult: Sendable, Equatable {
        public var emails = 0
        public var lastSend: Date?

        public init() {}
    }

    public struct Result: Sendable, Equatable {
        public var campaigns: [String: CampaignResult]
        public var mailboxes: [String: MailboxResult]
        public var horizon: Date
        /// Every send played, in order: (index into `people`, step, time).
        public var sends: [Played] = []
    }

    public struct Played: Sendable, Equatable {
        public var person: Int
        public var step: String
        public var at: Date
    }

    /// Plays `people` forward from `now`. Campaigns or mailboxes missing from the inputs leave their people out.
    public static func run(
        people: [Person], campaigns: [String: SequenceDefinition], mailboxes: [String: Mailbox], pastSends: [PastSend], now: Date, seed: UInt64,
        horizonDays: Int = 366
    ) -> Result {
        let horizon = now.addingTimeInterval(Double(horizonDays) * 86_400)
        var result = Result(campaigns: [:], mailboxes: [:], horizon: horizon)
        // Each mailbox's queue by due time; the loop always takes the mailbox whose next attempt is earliest, so time
        // only moves forward, as in the runner. A mailbox held by its own caps or gap waits as a whole, without
        // touching its queue.
        struct Item {
            var person: Int
            var step: String
            var due: Date
            /// Worked out on the first attempt (a hash), kept for the next.
            var sendID: String? = nil
        }
        var queues: [String: [Item]] = [:]
        var blockedUntil: [String: Date] = [:]
        var mailboxSends: [String: [Date]] = [:]
        var campaignSends: [String: [Date]] = [:]
        var domainSends: [String: [Date]] = [:]
        for send in pastSends.sorted(by: { $0.at < $1.at }) {
            mailboxSends[send.mailbox, default: []].append(send.at)
            campaignSends[send.campaign, default: []].append(send.at)
            domainSends["\(send.campaign) \(send.domain)", default: []].append(send.at)
        }
        var schedules: [String: SendSchedule] = [:]
        func schedule(_ person: Person) -> SendSchedule {
            let key = "\(person.campaign) \(person.zone ?? "")"
            if let known = schedules[key] { return known }
            let made = SendSchedule(campaign: campaigns[person.campaign]!, candidateZone: person.zone)
            schedules[key] = made
            return made
        }
        for (index, person) in people.enumerated() {
            guard campaigns[person.campaign] != nil, mailboxes[person.mailbox] != nil else { continue }
            result.campaigns[person.campaign, default: CampaignResult()].people += 1
            queues[person.mailbox, default: []].append(Item(person: index, step: person.step, due: person.due))
        }
        // Earliest last, popped from the end; ties in the order given, as the runner claims them (by due time, then
        // enrolment).
        for key in queues.keys { queues[key]!.sort { ($0.due, $0.person) > ($1.due, $1.person) } }
        /// The last 24 hours before `now` of a sorted list.
        func recent(_ times: [Date]?, _ now: Date) -> [Date] {
            guard let times, !times.isEmpty else { return [] }
            let from = now.addingTimeInterval(-86_400)
            var low = 0, high = times.count
            while low < high {
                let middle = (low + high) / 2
                if times[middle] > from { high = middle } else { low = middle + 1 }
            }
            return Array(times[low...])
        }
        func insert(_ item: Item, into mailbox: String) {
            // In place: taking the queue out of the dictionary and putting it back would copy it on every insert.
            var low = 0, high = queues[mailbox]?.count ?? 0
            while low < high {
                let middle = (low + high) / 2
                let other = queues[mailbox]![middle]
                if (other.due, other.person) > (item.due, item.person) { low = middle + 1 } else { high = middle }
            }
            queues[mailbox, default: []].insert(item, at: low)
        }
        var attempts = 0
        while attempts < 5_000_000 {
            attempts += 1
            // The mailbox whose next attempt comes first.
            var chosen: (mailbox: String, at: Date, person: Int)?
            for (mailbox, queue) in queues {
                guard let head = queue.last else { continue }
                // A task opens when due, whatever the mailbox's caps.
                let isTask = campaigns[people[head.person].campaign]?.step(withID: head.step).map { if case .task = $0.kind { true } else { false } } ?? false
                let at = isTask ? head.due : max(head.due, blockedUntil[mailbox] ?? head.due)
                if chosen == nil || (at, head.person) < (chosen!.at, chosen!.person) { chosen = (mailbox, at, head.person) }
            }
            guard let (mailboxName, at, _) = chosen else { break }
            var item = queues[mailboxName]!.removeLast()
            let person = people[item.person]
            let definition = campaigns[person.campaign]!
            guard at <= horizon else {
                result.campaigns[person.campaign]?.beyondHorizon += 1
                continue
            }
            guard let index = definition.steps.firstIndex(where: { $0.id == item.step }) else { continue }
            let step = definition.steps[index]
            if case .task = step.kind {
                // Done the moment it is due; the next step counts from then.
                result.campaigns[person.campaign]?.tasks += 1
                let last = result.campaigns[person.campaign]?.lastStep ?? at
                result.campaigns[person.campaign]?.lastStep = max(last, at)
            } else {
                let mailbox = mailboxes[mailboxName]!
                let conditions = SendGate.Conditions(
                    campaign: definition, candidateZone: person.zone, mailbox: mailbox, mailboxProblem: nil, mailboxPause: nil,
                    ledger: SendAdmission.Ledger(
                        mailbox: recent(mailboxSends[mailboxName], at), campaign: recent(campaignSends[person.campaign], at),
                        domain: recent(domainSends["\(person.campaign) \(person.address.domain)"], at)),
                    domain: person.address.domain, sendID: item.sendID ?? SendIdentity(campaignID: definition.id, stepID: item.step, address: person.address).sendID,
                    seed: seed)
                item.sendID = conditions.sendID
                if let hold = SendGate.decide(conditions, now: at, schedule: schedule(person)), let until = hold.holdsUntil {
                    item.due = max(until, at.addingTimeInterval(1))
                    // The mailbox's own caps and gap hold everyone in it at least until they lift (the gap without
                    // its jitter, which is each send's own): nobody else in the queue is tried before then.
                    if let free = mailboxFree(mailbox.limits, conditions.ledger.mailbox, now: at), free > at { blockedUntil[mailboxName] = free }
                    insert(item, into: mailboxName)
                    continue
                }
                mailboxSends[mailboxName, default: []].append(at)
                campaignSends[person.campaign, default: []].append(at)
                domainSends["\(person.campaign) \(person.address.domain)", default: []].append(at)
                result.campaigns[person.campaign]?.emails += 1
                let last = result.campaigns[person.campaign]?.lastStep ?? at
                result.campaigns[person.campaign]?.lastStep = max(last, at)
                result.mailboxes[mailboxName, default: MailboxResult()].emails += 1
                result.mailboxes[mailboxName]?.lastSend = at
                result.sends.append(Played(person: item.person, step: item.step, at: at))
            }
            if case .active(let next, let due) = NextStep.after(item.step, in: definition, schedule: schedule(person), at: at) {
                insert(Item(person: item.person, step: next, due: due), into: mailboxName)
            }
        }
        return result
    }

    /// The first instant the mailbox's own daily and hourly caps and gap (without jitter) allow a send.
    static func mailboxFree(_ limits: MailboxLimits, _ sends: [Date], now: Date) -> Date? {
        var free: Date?
        if let at = SendAdmission.full(sends, cap: limits.dailyCap, window: 86_400) { free = max(free ?? at, at) }
        if let at = SendAdmission.full(sends.filter { $0 > now.addingTimeInterval(-3_600) }, cap: limits.hourlyCap, window: 3_600) { free = max(free ?? at, at) }
        if let last = sends.last, limits.minimumGapSeconds > 0 {
            let at = last.addingTimeInterval(Double(limits.minimumGapSeconds))
            free = max(free ?? at, at)
        }
        return free
    }
}
