import CadenceCore
import Foundation

/// The numbers of a campaign grouped by step, variant ("" for none; the step "" holds the campaign's enrolments)
/// and slice value ("" unsliced; a mailbox, a launch id or a day): what the counters or a recount of the facts
/// give, before it is laid out in the campaign's step order.
package struct StatGroups {
    package struct Key: Hashable {
        package var step: String
        package var variant: String
        package var slice: String

        package init(step: String, variant: String, slice: String) {
            self.step = step
            self.variant = variant
            self.slice = slice
        }
    }

    package var counts: [Key: StatCounts] = [:]
    /// Seconds from a step's send to the first reply after it, per person, by step, variant and slice.
    package var replySeconds: [Key: [Double]] = [:]

    package init() {}
}

/// A campaign as `stats` names it.
package struct StatsCampaign: Sendable {
    package var id: String
    package var name: String
    package var timeZone: String

    package init(id: String, name: String, timeZone: String) {
        self.id = id
        self.name = name
        self.timeZone = timeZone
    }
}

/// What both stores do with the groups they read: the same rows, in the same order, from the same numbers.
package enum StatsLayout {
    /// A row of sums, read by column name (`positive` is the positive replies).
    package static func counts(_ column: (String) throws -> Int?) rethrows -> StatCounts {
        var counts = StatCounts()
        counts.enrolled = try column("enrolled") ?? 0
        counts.sent = try column("sent") ?? 0
        counts.bounced = try column("bounced") ?? 0
        counts.replied = try column("replied") ?? 0
        counts.repliedEventually = try column("repliedEventually") ?? 0
        counts.positiveReplies = try column("positive") ?? 0
        counts.unsubscribed = try column("unsubscribed") ?? 0
        counts.outOfOffice = try column("outOfOffice") ?? 0
        counts.opened = try column("opened") ?? 0
        counts.openedHuman = try column("openedHuman") ?? 0
        counts.clicked = try column("clicked") ?? 0
        counts.clickedHuman = try column("clickedHuman") ?? 0
        counts.unsubscribedByLink = try column("unsubscribedByLink") ?? 0
        counts.tasksDone = try column("tasksDone") ?? 0
        return counts
    }

    /// Lays the groups out in the campaign's step order: each step as a whole, then each of its variants; steps a
    /// later version dropped come last, as "removed".
    package static func layOut(
        _ campaign: StatsCampaign, _ groups: StatGroups, _ tasks: [StatGroups.Key: (open: Int, overdue: Int)], _ query: StatsQuery, definition: SequenceDefinition?
    ) -> CampaignStats {
        var stats = CampaignStats(id: campaign.id, name: campaign.name, timeZone: campaign.timeZone, enrolled: 0, rows: [], query: query)
        if let slice = query.slice, slice.isSeries {
            var periods: [CalendarDate: StatCounts] = [:]
            for (key, counts) in groups.counts {
                guard let day = CalendarDate.parse(key.slice) else { continue }
                var counts = counts
                // A variant's enrolments are also the campaign's: count people once.
                if !key.step.isEmpty { counts.enrolled = 0 }
                periods[slice == .week ? ReportingDay.weekStart(of: day) : day, default: StatCounts()] += counts
            }
            stats.series = periods.keys.sorted().map { CampaignStats.Period(start: $0, counts: periods[$0]!) }
        }
        func rows(slice: String) -> [CampaignStats.Row] {
            let mine = groups.counts.filter { $0.key.slice == slice }
            let enrolled = mine.filter { $0.key.step.isEmpty }.values.reduce(0) { $0 + $1.enrolled }
            var order = definition?.steps.map(\.id) ?? []
            for step in Set(mine.keys.map(\.step)).sorted() where !step.isEmpty && !order.contains(step) { order.append(step) }
            var result: [CampaignStats.Row] = []
            for stepID in order {
                let step = definition?.step(withID: stepID)
                let kind = step?.kind.typeName ?? (stepID == CadenceDatabase.hotLeadStep ? "task" : "removed")
                var whole = mine.filter { $0.key.step == stepID }.values.reduce(StatCounts(), +)
                whole.enrolled = enrolled
                var row = CampaignStats.Row(stepID: stepID, variantID: nil, kind: kind, counts: whole)
                row.medianSecondsToReply = median(groups.replySeconds.filter { $0.key.step == stepID && $0.key.slice == slice }.values.flatMap { $0 })
                row.tasksOpen = tasks[StatGroups.Key(step: stepID, variant: "", slice: slice)]?.open ?? 0
                row.tasksOverdue = tasks[StatGroups.Key(step: stepID, variant: "", slice: slice)]?.overdue ?? 0
                result.append(row)
                var variants: [String] = []
                switch step?.kind {
                case .email(let email)?: if case .variants(let list) = email.content { variants = list.map(\.id) }
                case .reply(let reply)?: if case .variants(let list) = reply.content { variants = list.map(\.id) }
                default: break
                }
                for key in mine.keys.filter({ $0.step == stepID && !$0.variant.isEmpty }).sorted(by: { $0.variant < $1.variant })
                where !variants.contains(key.variant) {
                    variants.append(key.variant)
                }
                for variant in variants {
                    let key = StatGroups.Key(step: stepID, variant: variant, slice: slice)
                    var variantRow = CampaignStats.Row(stepID: stepID, variantID: variant, kind: kind, counts: mine[key] ?? StatCounts())
                    variantRow.medianSecondsToReply = median(groups.replySeconds[key] ?? [])
                    result.append(variantRow)
                }
            }
            return result
        }
        if let slice = query.slice, !slice.isSeries {
            let values = Set(groups.counts.keys.map(\.slice)).sorted()
            stats.slices = values.map { value in
                let sliceRows = rows(slice: value)
                return CampaignStats.Slice(
                    value: value, enrolled: groups.counts.filter { $0.key.slice == value && $0.key.step.isEmpty }.values.reduce(0) { $0 + $1.enrolled },
                    rows: sliceRows)
            }
            // The whole campaign too, summed over the slices.
            var whole = StatGroups()
            for (key, counts) in groups.counts { whole.counts[StatGroups.Key(step: key.step, variant: key.variant, slice: ""), default: StatCounts()] += counts }
            for (key, seconds) in groups.replySeconds {
                whole.replySeconds[StatGroups.Key(step: key.step, variant: key.variant, slice: ""), default: []] += seconds
            }
            var wholeTasks: [StatGroups.Key: (open: Int, overdue: Int)] = [:]
            for (key, count) in tasks {
                let step = StatGroups.Key(step: key.step, variant: "", slice: "")
                wholeTasks[step] = ((wholeTasks[step]?.open ?? 0) + count.open, (wholeTasks[step]?.overdue ?? 0) + count.overdue)
            }
            let unsliced = layOut(campaign, whole, wholeTasks, StatsQuery(campaign: query.campaign, since: query.since, until: query.until), definition: definition)
            stats.rows = unsliced.rows
            stats.enrolled = unsliced.enrolled
            return stats
        }
        stats.rows = query.slice?.isSeries == true ? [] : rows(slice: "")
        stats.enrolled = groups.counts.filter { $0.key.step.isEmpty }.values.reduce(0) { $0 + $1.enrolled }
        return stats
    }

    /// The lower and upper middle averaged; nil with no replies.
    package static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return (sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2]) / 2
    }
}
