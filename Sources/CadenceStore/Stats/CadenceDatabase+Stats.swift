import CadenceCore
import Foundation
import GRDB

/// The numbers of a campaign grouped by step, variant ("" for none; the step "" holds the campaign's enrolments)
/// and slice value ("" unsliced; a mailbox, a launch id or a day): what the counters or a recount of the facts
/// give, before it is laid out in the campaign's step order.
struct StatGroups {
    struct Key: Hashable {
        var step: String
        var variant: String
        var slice: String
    }

    var counts: [Key: StatCounts] = [:]
    /// Seconds from a step's send to the first reply after it, per person, by step, variant and slice.
    var replySeconds: [Key: [Double]] = [:]
}

extension CadenceDatabase {
    /// One read transaction for everything, from the counters (`stepTally`): a sum over a few thousand rows
    /// however many people and events there are. A cohort (`since`/`until` without a day or week series) is
    /// recounted from the facts instead, since the counters are kept by event day.
    public func stats(_ query: StatsQuery, now: Date) throws(StoreError) -> [CampaignStats] {
        try read { db in
            let tasks = try Self.openTasks(query.campaign, query.slice, db, now: now)
            return try Self.campaignsForStats(query.campaign, db).map { campaign in
                let groups = query.isCohort ? try Self.recountGroups(campaign.id, query, db) : try Self.talliedGroups(campaign.id, query, db)
                return try Self.layOut(campaign, groups, tasks[campaign.id] ?? [:], query, db)
            }
        }
    }

    public func stats(campaign: String?, now: Date) throws(StoreError) -> [CampaignStats] {
        try stats(StatsQuery(campaign: campaign), now: now)
    }

    /// The same numbers recounted from the facts (sends, incoming mail, tracking events, tasks) with `GROUP BY`:
    /// what the counters must equal for people not erased, and the benchmark's peer.
    public func recount(_ query: StatsQuery, now: Date) throws(StoreError) -> [CampaignStats] {
        try read { db in
            let tasks = try Self.openTasks(query.campaign, query.slice, db, now: now)
            return try Self.campaignsForStats(query.campaign, db).map { campaign in
                try Self.layOut(campaign, try Self.recountGroups(campaign.id, query, db), tasks[campaign.id] ?? [:], query, db)
            }
        }
    }

    struct StatsCampaign {
        var id: String
        var name: String
        var timeZone: String
    }

    static func campaignsForStats(_ campaign: String?, _ db: Database) throws -> [StatsCampaign] {
        if let campaign { try requireCampaign(campaign, db) }
        return try Row.fetchAll(
            db, sql: "SELECT id, name, timeZone FROM campaign" + (campaign == nil ? "" : " WHERE id = ?") + " ORDER BY id", arguments: campaign.map { [$0] } ?? []
        ).map { StatsCampaign(id: $0["id"], name: $0["name"], timeZone: $0["timeZone"]) }
    }

    static let tallyColumns = TallyMeasure.allCases.map(\.rawValue)

    static func counts(_ row: GRDB.Row) -> StatCounts {
        var counts = StatCounts()
        counts.enrolled = row["enrolled"] ?? 0
        counts.sent = row["sent"] ?? 0
        counts.bounced = row["bounced"] ?? 0
        counts.replied = row["replied"] ?? 0
        counts.repliedEventually = row["repliedEventually"] ?? 0
        counts.positiveReplies = row["positive"] ?? 0
        counts.unsubscribed = row["unsubscribed"] ?? 0
        counts.outOfOffice = row["outOfOffice"] ?? 0
        counts.opened = row["opened"] ?? 0
        counts.openedHuman = row["openedHuman"] ?? 0
        counts.clicked = row["clicked"] ?? 0
        counts.clickedHuman = row["clickedHuman"] ?? 0
        counts.unsubscribedByLink = row["unsubscribedByLink"] ?? 0
        counts.tasksDone = row["tasksDone"] ?? 0
        return counts
    }

    static func sliceColumn(_ slice: StatsQuery.Slice?, table: String) -> String {
        switch slice {
        case .mailbox?: "\(table).mailbox"
        case .launch?: "\(table).launchId"
        case .day?, .week?: "\(table).day"
        case nil: "''"
        }
    }

    static func talliedGroups(_ campaign: String, _ query: StatsQuery, _ db: Database) throws -> StatGroups {
        var groups = StatGroups()
        var filter = "t.campaignId = ?"
        var arguments: [any DatabaseValueConvertible] = [campaign]
        // Days only when asked for them; otherwise the totals, a few rows per mailbox and launch.
        var table = "stepTotal"
        if query.slice?.isSeries == true {
            table = "stepTally"
            if let since = query.since { filter += " AND t.day >= ?"; arguments.append(since.description) }
            if let until = query.until { filter += " AND t.day <= ?"; arguments.append(until.description) }
        }
        let sums = tallyColumns.map { "SUM(t.\($0)) AS \($0)" }.joined(separator: ", ")
        for row in try GRDB.Row.fetchAll(
            db,
            sql: "SELECT t.stepId, t.variantId, \(sliceColumn(query.slice, table: "t")) AS slice, \(sums) FROM \(table) t WHERE \(filter) GROUP BY 1, 2, 3",
            arguments: StatementArguments(arguments))
        {
            groups.counts[StatGroups.Key(step: row["stepId"], variant: row["variantId"], slice: row["slice"]), default: StatCounts()] += counts(row)
        }
        guard query.slice?.isSeries != true else { return groups }
        // Thousands of rows at scale: read through a cursor by column index, one key per group rather than per row.
        let rows = try GRDB.Row.fetchCursor(
            db,
            sql: """
                SELECT o.stepId, o.variantId, \(sliceColumn(query.slice, table: "o")) AS slice, o.seconds FROM stepOutcome o INDEXED BY stepOutcomeLatency
                WHERE o.campaignId = ? AND o.kind = 'replied' AND o.seconds IS NOT NULL ORDER BY 1, 2, 3
                """, arguments: [campaign])
        var key: StatGroups.Key?
        var seconds: [Double] = []
        while let row = try rows.next() {
            let step: String = row[0], variant: String = row[1], slice: String = row[2]
            if key?.step != step || key?.variant != variant || key?.slice != slice {
                if let key { groups.replySeconds[key] = seconds }
                key = StatGroups.Key(step: step, variant: variant, slice: slice)
                seconds = []
            }
            seconds.append(row[3])
        }
        if let key { groups.replySeconds[key] = seconds }
        return groups
    }

    /// Lays the groups out in the campaign's step order: each step as a whole, then each of its variants; steps a
    /// later version dropped come last, as "removed".
    static func layOut(
        _ campaign: StatsCampaign, _ groups: StatGroups, _ tasks: [StatGroups.Key: (open: Int, overdue: Int)], _ query: StatsQuery, _ db: Database
    ) throws -> CampaignStats {
        let definition = try definition(campaign.id, db)
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
                let kind = step?.kind.typeName ?? (stepID == hotLeadStep ? "task" : "removed")
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
            let unsliced = try layOut(campaign, whole, wholeTasks, StatsQuery(campaign: query.campaign, since: query.since, until: query.until), db)
            stats.rows = unsliced.rows
            stats.enrolled = unsliced.enrolled
            return stats
        }
        stats.rows = query.slice?.isSeries == true ? [] : rows(slice: "")
        stats.enrolled = groups.counts.filter { $0.key.step.isEmpty }.values.reduce(0) { $0 + $1.enrolled }
        return stats
    }

    /// The lower and upper middle averaged; nil with no replies.
    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return (sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2]) / 2
    }

    /// Tasks open now (the same ones `cadence tasks` lists) and past their due time, by campaign, step and slice.
    /// Found from the people waiting on a task (through the campaign and state index) and the open hot-lead
    /// tasks (through the open tasks' index), so the cost follows what is open, not the campaign's size.
    static func openTasks(_ campaign: String?, _ slice: StatsQuery.Slice?, _ db: Database, now: Date) throws -> [String: [StatGroups.Key: (open: Int, overdue: Int)]] {
        guard slice?.isSeries != true else { return [:] }
        var result: [String: [StatGroups.Key: (open: Int, overdue: Int)]] = [:]
        let column = sliceColumn(slice, table: "e")
        for id in try campaignsForStats(campaign, db).map(\.id) {
            for row in try GRDB.Row.fetchAll(
                db,
                sql: """
                    SELECT t.stepId, \(column) AS slice, COUNT(*) AS open, SUM(t.dueAt <= ?) AS overdue
                    FROM enrollment e INDEXED BY enrollmentCampaignState JOIN task t ON t.id = e.taskId
                    WHERE e.campaignId = ? AND e.state = ? AND t.doneAt IS NULL GROUP BY 1, 2
                    UNION ALL
                    SELECT t.stepId, \(column) AS slice, COUNT(*) AS open, SUM(t.dueAt <= ?) AS overdue
                    FROM task t INDEXED BY taskOpen JOIN enrollment e ON e.id = t.enrollmentId
                    WHERE t.stepId = ? AND t.doneAt IS NULL AND e.campaignId = ? AND e.state <> ? GROUP BY 1, 2
                    """, arguments: [now, id, EnrollmentStatus.waitingOnTask, now, hotLeadStep, id, EnrollmentStatus.stopped])
            {
                result[id, default: [:]][StatGroups.Key(step: row["stepId"], variant: "", slice: row["slice"])] = (row["open"], row["overdue"] ?? 0)
            }
        }
        return result
    }
}
