import CadenceCore
import Foundation

/// `cadence stats` for one campaign: per step and variant, for the campaign or a cohort, optionally per mailbox
/// or launch, or as a day or week series.
public struct CampaignStats: Sendable, Equatable {
    @dynamicMemberLookup
    public struct Row: Sendable, Equatable {
        public var stepID: String
        /// Nil for the step as a whole; a variant id for that variant's share.
        public var variantID: String?
        /// email, reply, task, or "removed" for a step a later version of the campaign dropped.
        public var kind: String
        public var counts: StatCounts
        /// Median time from this step's send to the first reply after it, over the people who replied after it.
        public var medianSecondsToReply: Double?
        /// Tasks of this step open now, and of those, past their due time.
        public var tasksOpen = 0
        public var tasksOverdue = 0

        public init(stepID: String, variantID: String?, kind: String, counts: StatCounts) {
            self.stepID = stepID
            self.variantID = variantID
            self.kind = kind
            self.counts = counts
        }

        public subscript<T>(dynamicMember path: KeyPath<StatCounts, T>) -> T { counts[keyPath: path] }
    }

    /// One mailbox's or launch's people.
    public struct Slice: Sendable, Equatable {
        public var value: String
        public var enrolled: Int
        public var rows: [Row]
    }

    /// One day or week (named by its first day) of a series: what happened then, all steps together.
    public struct Period: Sendable, Equatable {
        public var start: CalendarDate
        public var counts: StatCounts

        public init(start: CalendarDate, counts: StatCounts) {
            self.start = start
            self.counts = counts
        }
    }

    public var id: String
    public var name: String
    public var timeZone: String
    /// People enrolled: everyone, or the cohort's.
    public var enrolled: Int
    public var rows: [Row]
    public var slices: [Slice] = []
    public var series: [Period] = []
    public var query: StatsQuery
}
