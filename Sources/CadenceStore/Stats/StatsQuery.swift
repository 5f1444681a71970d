import CadenceCore

/// What `cadence stats` is asked for: which campaign, sliced how, over which days.
public struct StatsQuery: Sendable, Equatable {
    public enum Slice: String, Sendable, CaseIterable {
        /// The people each mailbox sends to, and each `cadence launch`: rates per group.
        case mailbox, launch
        /// What happened on each day or week (event dates, in the campaign's zone): counts over time.
        case day, week

        public var isSeries: Bool { self == .day || self == .week }
    }

    /// Nil: every campaign.
    public var campaign: String?
    public var slice: Slice?
    /// Inclusive days in the campaign's zone. For rates, the cohort of people first sent to in the range; for a
    /// day or week series, the events in it.
    public var since: CalendarDate?
    public var until: CalendarDate?

    public init(campaign: String? = nil, slice: Slice? = nil, since: CalendarDate? = nil, until: CalendarDate? = nil) {
        self.campaign = campaign
        self.slice = slice
        self.since = since
        self.until = until
    }

    /// Rates for a cohort, read from the facts (the counters are kept by event day, not by cohort).
    package var isCohort: Bool { (since != nil || until != nil) && !(slice?.isSeries ?? false) }
}
