import CadenceCore
import CadenceStore
import Foundation
import Logging
import PostgresNIO

/// `cadence stats` on PostgreSQL: the same counters and facts as on SQLite, read in one snapshot, and laid out by
/// the same code (`StatsLayout`).
extension PostgresStore {
    public func stats(_ query: StatsQuery, now: Date) async throws(StoreError) -> [CampaignStats] {
        let logger = logger
        return try await transaction { connection in
            try await connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger)
            if let campaign = query.campaign { try await Self.requireCampaign(campaign, connection, logger) }
            var result: [CampaignStats] = []
            for row in try await connection.records(
                "SELECT id, name, timeZone FROM campaign WHERE \(query.campaign)::text IS NULL OR id = \(query.campaign) ORDER BY id COLLATE \"C\"", logger)
            {
                let campaign = StatsCampaign(id: try row("id"), name: try row("name"), timeZone: try row("timeZone"))
                let groups =
                    query.isCohort
                    ? try await Self.recountGroups(campaign.id, query, connection, logger)
                    : try await Self.talliedGroups(campaign.id, query, connection, logger)
                let tasks = try await Self.openTaskCounts(campaign.id, query.slice, connection, logger, now: now)
                result.append(StatsLayout.layOut(campaign, groups, tasks, query, definition: try await Self.definition(campaign.id, connection, logger)))
            }
            return result
        }
    }

    /// The slice's column of `table` (an alias), as SQL; never text from outside.
    static func sliceColumn(_ slice: StatsQuery.Slice?, table: String) -> String {
        switch slice {
        case .mailbox?: "\(table).mailbox"
        case .launch?: "\(table).launchId"
        case .day?, .week?: "\(table).day"
        case nil: "''::text"
        }
    }

    static let sums = TallyMeasure.allCases.map(\.rawValue).map { "SUM(t.\($0))::bigint AS \($0)" }.joined(separator: ", ")

    /// A row's sums by counter name (a sum over no rows is NULL: zero).
    static func counts(_ row: PostgresRecord) throws -> StatCounts {
        try StatsLayout.counts { name in try row(name, as: Int64?.self).map(Int.init) }
    }

    static func key(_ row: PostgresRecord) throws -> StatGroups.Key {
        StatGroups.Key(step: try row("stepId"), variant: try row("variantId"), slice: try row("slice"))
    }

    static func talliedGroups(_ campaign: String, _ query: StatsQuery, _ connection: PostgresConnection, _ logger: Logger) async throws -> StatGroups {
        var groups = StatGroups()
        let series = query.slice?.isSeries == true
        var bindings = PostgresBindings()
        bindings.append(campaign)
        var filter = "t.campaignId = $1"
        if series {
            if let since = query.since {
                bindings.append(since.description)
                filter += " AND t.day >= $\(bindings.count)"
            }
            if let until = query.until {
                bindings.append(until.description)
                filter += " AND t.day <= $\(bindings.count)"
            }
        }
        // Days only when asked for them; otherwise the totals, a few rows per mailbox and launch.
        let table = series ? "stepTally" : "stepTotal"
        for row in try await connection.records(
            PostgresQuery(
                unsafeSQL: "SELECT t.stepId, t.variantId, \(sliceColumn(query.slice, table: "t")) AS slice, \(sums) FROM \(table) t WHERE \(filter) GROUP BY 1, 2, 3",
                binds: bindings), logger)
        {
            groups.counts[try key(row), default: StatCounts()] += try counts(row)
        }
        guard !series else { return groups }
        var seconds = PostgresBindings()
        seconds.append(campaign)
        for row in try await connection.records(
            PostgresQuery(
                unsafeSQL: """
                    SELECT o.stepId, o.variantId, \(sliceColumn(query.slice, table: "o")) AS slice, o.seconds FROM stepOutcome o
                    WHERE o.campaignId = $1 AND o.kind = 'replied' AND o.seconds IS NOT NULL
                    """, binds: seconds), logger)
        {
            groups.replySeconds[try key(row), default: []].append(try row("seconds"))
        }
        return groups
    }

    /// Open tasks and those past due, by step and slice: the people waiting on a task, and open hot-lead tasks.
    static func openTaskCounts(
        _ campaign: String, _ slice: StatsQuery.Slice?, _ connection: PostgresConnection, _ logger: Logger, now: Date
    ) async throws -> [StatGroups.Key: (open: Int, overdue: Int)] {
        guard slice?.isSeries != true else { return [:] }
        let column = sliceColumn(slice, table: "e")
        var bindings = PostgresBindings()
        bindings.append(now)
        bindings.append(campaign)
        bindings.append(CadenceDatabase.hotLeadStep)
        var result: [StatGroups.Key: (open: Int, overdue: Int)] = [:]
        for row in try await connection.records(
            PostgresQuery(
                unsafeSQL: """
                    SELECT t.stepId, \(column) AS slice, COUNT(*) AS open, COUNT(*) FILTER (WHERE t.dueAt <= $1) AS overdue
                    FROM enrollment e JOIN task t ON t.id = e.taskId
                    WHERE e.campaignId = $2 AND e.state = 'waitingOnTask' AND t.doneAt IS NULL GROUP BY 1, 2
                    UNION ALL
                    SELECT t.stepId, \(column) AS slice, COUNT(*) AS open, COUNT(*) FILTER (WHERE t.dueAt <= $1) AS overdue
                    FROM task t JOIN enrollment e ON e.id = t.enrollmentId
                    WHERE t.stepId = $3 AND t.doneAt IS NULL AND e.campaignId = $2 AND e.state <> 'stopped' GROUP BY 1, 2
                    """, binds: bindings), logger)
        {
            result[StatGroups.Key(step: try row("stepId"), variant: "", slice: try row("slice"))] = (
                Int(try row("open", as: Int64.self)), Int(try row("overdue", as: Int64.self))
            )
        }
        return result
    }
}
