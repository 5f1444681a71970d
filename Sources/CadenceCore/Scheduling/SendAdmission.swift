import Foundation

/// The one rule for whether a send may go now under every shared limit: the mailbox's rolling daily and hourly
/// caps and its minimum gap (plus jitter), the campaign's daily cap and its per-domain cap (free-mail domains
/// exempt). Pure: the caller reads the ledger, so the runner, simulations and `explain` give the same answer.
public enum SendAdmission {
    /// The sends that count, oldest first, each within the last 24 hours of `now`.
    public struct Ledger: Sendable, Equatable {
        public var mailbox: [Date]
        public var campaign: [Date]
        public var domain: [Date]

        public init(mailbox: [Date], campaign: [Date] = [], domain: [Date] = []) {
            self.mailbox = mailbox
            self.campaign = campaign
            self.domain = domain
        }

        /// The sends that still count at `now`: those of the 24 hours before it.
        public func counting(at now: Date) -> Ledger {
            let from = now.addingTimeInterval(-86_400)
            return Ledger(mailbox: mailbox.filter { $0 > from }, campaign: campaign.filter { $0 > from }, domain: domain.filter { $0 > from })
        }
    }

    /// Why a send must wait, and until when.
    public struct Wait: Sendable, Equatable {
        public var until: Date
        public var reason: String

        public init(until: Date, reason: String) {
            self.until = until
            self.reason = reason
        }
    }

    /// Nil when the send may go at `now`; otherwise the latest of every limit's earliest time, with its reason.
    /// `seed` and `sendID` fix the jitter on the minimum gap: the same send waits the same time in a run, a
    /// simulation and `explain`, whatever else was decided before it.
    public static func check(
        mailbox: Mailbox, campaign: SequenceDefinition, domain: String, ledger: Ledger, now: Date, seed: UInt64, sendID: String
    ) -> Wait? {
        var waits: [Wait] = []
        let hour = now.addingTimeInterval(-3_600)
        let limits = mailbox.limits
        if let at = full(ledger.mailbox, cap: limits.dailyCap, window: 86_400) {
            waits.append(Wait(until: at, reason: "mailbox \(mailbox.name) reached its daily cap (\(limits.dailyCap))"))
        }
        if let at = full(ledger.mailbox.filter { $0 > hour }, cap: limits.hourlyCap, window: 3_600) {
            waits.append(Wait(until: at, reason: "mailbox \(mailbox.name) reached its hourly cap (\(limits.hourlyCap))"))
        }
        // Without a gap there is nothing to wait for (and a stored time rounded to the millisecond can sit a
        // fraction after `now`).
        let gap = Double(limits.minimumGapSeconds)
        if let last = ledger.mailbox.last, gap > 0, last.addingTimeInterval(gap) > now {
            // Up to a third of the gap again, so sends do not look robotic.
            let jitter = gap / 3 * unit(seed: seed, mailbox.name, sendID)
            waits.append(Wait(until: last.addingTimeInterval(gap + jitter), reason: "minimum gap between sends from mailbox \(mailbox.name)"))
        }
        waits += campaignWaits(campaign.limits, domain: domain, campaign: ledger.campaign, domainTimes: ledger.domain)
        return waits.max { $0.until < $1.until }
    }

    /// The campaign's own limits alone (its daily cap, and its cap per recipient domain), which span its
    /// mailboxes and so the runners that share them: the store checks them again when it records a send's intent,
    /// counting the sends still in flight too, so two runners cannot both take the last place.
    public static func campaignWait(_ limits: CampaignLimits, domain: String, campaign: [Date], domainTimes: [Date]) -> Wait? {
        campaignWaits(limits, domain: domain, campaign: campaign, domainTimes: domainTimes).max { $0.until < $1.until }
    }

    /// Whether a send to `domain` counts against any campaign-wide limit (free-mail domains are exempt from the
    /// per-domain cap).
    public static func hasCampaignWaits(_ limits: CampaignLimits, domain: String) -> Bool {
        limits.dailyCap != nil || (limits.perDomainDailyCap != nil && !FreeMailDomains.contains(domain))
    }

    private static func campaignWaits(_ limits: CampaignLimits, domain: String, campaign: [Date], domainTimes: [Date]) -> [Wait] {
        var waits: [Wait] = []
        if let cap = limits.dailyCap, let at = full(campaign, cap: cap, window: 86_400) {
            waits.append(Wait(until: at, reason: "campaign daily cap (\(cap))"))
        }
        if let cap = limits.perDomainDailyCap, !FreeMailDomains.contains(domain), let at = full(domainTimes, cap: cap, window: 86_400) {
            waits.append(Wait(until: at, reason: "daily cap for \(domain) (\(cap))"))
        }
        return waits
    }

    /// When the oldest send that keeps `times` at `cap` leaves the rolling window; nil while there is room.
    static func full(_ times: [Date], cap: Int, window: TimeInterval) -> Date? {
        guard times.count >= cap, cap > 0 else { return cap <= 0 ? .distantFuture : nil }
        return times[times.count - cap].addingTimeInterval(window)
    }

    /// A number in 0..<1 fixed by the seed and the strings: FNV-1a over their UTF-8 bytes seeds a SplitMix64.
    static func unit(seed: UInt64, _ parts: String...) -> Double {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
        for part in parts {
            for byte in part.utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01B3
            }
            hash ^= 0xFF
            hash &*= 0x0000_0100_0000_01B3
        }
        var generator = SplitMix64(seed: hash)
        return generator.nextUnit()
    }
}
