import CadenceCore
import CadenceStore
import Foundation

/// Everything `cadence report` shows for one campaign, read from the database at one time.
public struct CampaignReport: Sendable {
    /// A sending mailbox's load and what came back to it.
    public struct MailboxHealth: Sendable, Equatable {
        public var name: String
        /// Sent in the last 24 hours, in every campaign: what its rolling daily cap counts.
        public var sentLastDay: Int
        public var dailyCap: Int?
        /// This campaign's people of this mailbox, all told.
        public var counts: StatCounts
    }

    public var stats: CampaignStats
    /// Every day (or week) from the first with something to the last, quiet ones as zeros, so the chart's
    /// spacing is time.
    public var series: [CampaignStats.Period]
    public var period: StatsQuery.Slice
    public var heatmap: [Int]
    public var status: CampaignStatus?
    public var tasks: [OpenTask]
    public var mailboxes: [MailboxHealth]
    public var generatedAt: Date
    /// Names and addresses of the people left out (tasks are listed by step and time only).
    public var anonymous: Bool

    static func continuous(_ series: [CampaignStats.Period], every days: Int) -> [CampaignStats.Period] {
        guard let first = series.first, let last = series.last else { return [] }
        let known = Dictionary(series.map { (ReportingDay.serialDay($0.start), $0) }) { first, _ in first }
        return stride(from: ReportingDay.serialDay(first.start), through: ReportingDay.serialDay(last.start), by: days).map {
            known[$0] ?? CampaignStats.Period(start: ReportingDay.calendarDate(serial: $0), counts: StatCounts())
        }
    }

    /// Reads what the report needs. `limits` are the project's mailbox limits by name (a mailbox not configured
    /// any more is shown without a cap).
    public static func gather(
        _ database: any CadenceStore, campaign: String, limits: [String: MailboxLimits], now: Date, anonymous: Bool
    ) async throws(StoreError) -> CampaignReport {
        let byMailbox = try await database.stats(StatsQuery(campaign: campaign, slice: .mailbox), now: now)
        guard let stats = byMailbox.first else { throw StoreError.refused("no campaign \"\(campaign)\" has been launched") }
        var series = try await database.stats(StatsQuery(campaign: campaign, slice: .day), now: now).first?.series ?? []
        var period = StatsQuery.Slice.day
        if let first = series.first, let last = series.last, ReportingDay.serialDay(last.start) - ReportingDay.serialDay(first.start) > 120 {
            // Longer than four months: weeks read better than days.
            series = try await database.stats(StatsQuery(campaign: campaign, slice: .week), now: now).first?.series ?? []
            period = .week
        }
        let lastDay = try await database.mailboxSends(since: now.addingTimeInterval(-86_400))
        let mailboxes = stats.slices.map { slice in
            // The step rows summed, without the variants (already in their step).
            let counts = slice.rows.filter { $0.variantID == nil }.map(\.counts).reduce(into: StatCounts()) { sum, counts in
                sum.sent += counts.sent
                sum.bounced += counts.bounced
                sum.replied += counts.replied
                sum.outOfOffice += counts.outOfOffice
                sum.unsubscribed += counts.unsubscribed
                sum.unsubscribedByLink += counts.unsubscribedByLink
            }
            return MailboxHealth(name: slice.value, sentLastDay: lastDay[slice.value] ?? 0, dailyCap: limits[slice.value]?.dailyCap, counts: counts)
        }
        var whole = stats
        whole.slices = []
        let heatmap = try await database.replyHeatmap(campaign: campaign)
        let status = try await database.status(campaign: campaign, now: now).first
        let tasks = try await database.listOpenTasks(campaign: campaign)
        return CampaignReport(
            stats: whole, series: continuous(series, every: period == .week ? 7 : 1), period: period, heatmap: heatmap, status: status, tasks: tasks,
            mailboxes: mailboxes, generatedAt: now, anonymous: anonymous)
    }
}
