import CadenceCore
import Foundation
import GRDB

extension CadenceDatabase {
    /// One read transaction for everything, from the counters (`stepTally`): a sum over a few thousand rows
    /// however many people and events there are. A cohort (`since`/`until` without a day or week series) is
    /// recounted from the facts instead, since the counters are kept by event day.
    public func stats(_ query: StatsQuery, now: Date) throws(StoreError) -> [CampaignStats] {
        try read { db in try Self.stats(query, now: now, db) }
    }

    public func stats(_ query: StatsQuery, now: Date) async throws(StoreError) -> [CampaignStats] {
        try await read { db in try Self.stats(query, now: now, db) }
    }

    static func stats(_ query: StatsQuery, now: Date, _ db: Database) throws -> [CampaignStats] {
        let tasks = try openTasks(query.campaign, query.slice, db, now: now)
        return try campaignsForStats(query.campaign, db).map { campaign in
            let groups = query.isCohort ? try recountGroups(campaign.id, query, db) : try talliedGroups(campaign.id, query, db)
            return StatsLayout.layOut(campaign, groups, tasks[campaign.id] ?? [:], query, definition: try definition(campaign.id, db))
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
                StatsLayout.layOut(campaign, try Self.recountGroups(campaign.id, query, db), tasks[campaign.id] ?? [:], query, definition: try Self.definition(campaign.id, db))
            }
        }
    }

    static func campaignsForStats(_ campaign: String?, _ db: Database) throws -> [StatsCampaign] {
        if let campaign { try requireCampaign(campaign, db) }
        return try Row.fetchAll(
            db, sql: "SELECT id, name, timeZone FROM campaign" + (campaign == nil ? "" : " WHERE id = ?") + " ORDER BY id", arguments: campaign.map { [$0] } ?? []
        ).map { StatsCampaign(id: $0["id"], name: $0["name"], timeZone: $0["timeZone"]) }
    }

    static let tallyColumns = TallyMeasure.allCases.map(\.rawValue)

    static func counts(_ row: GRDB.Row) -> StatCounts {
        StatsLayout.counts { row[$0] }
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
