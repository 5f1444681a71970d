import CadenceCore
import Foundation
import GRDB

extension CadenceDatabase {
    /// Each incoming message (`i`) joined to the last step sent (`s`) before it: the step it counts for. Both
    /// stores recount with it.
    package static let lastSentBeforeSQL = """
        JOIN sendRecord s ON s.id = (
            SELECT id FROM sendRecord WHERE enrollmentId = i.enrollmentId AND state = 'sent' AND sentAt <= i.receivedAt ORDER BY sentAt DESC, id DESC LIMIT 1)
        """

    /// The people who replied (positively), bounced, unsubscribed or were away, among incoming messages `i`.
    package static let incomingCountsSQL = """
        COUNT(DISTINCT CASE WHEN i.class IN ('reply', 'unparsed') THEN i.enrollmentId END) AS replied,
        COUNT(DISTINCT CASE WHEN i.class IN ('reply', 'unparsed') AND i.label = 'interested' THEN i.enrollmentId END) AS positive,
        COUNT(DISTINCT CASE WHEN i.class = 'bounce' THEN i.enrollmentId END) AS bounced,
        COUNT(DISTINCT CASE WHEN i.class = 'unsubscribe' THEN i.enrollmentId END) AS unsubscribed,
        COUNT(DISTINCT CASE WHEN i.class = 'out-of-office' THEN i.enrollmentId END) AS outOfOffice
        """

    /// The sends opened, clicked (each also by people likely human) and unsubscribed from by link, among
    /// tracking events `t` of sends `s`.
    package static let trackingCountsSQL: String = {
        let human = "(" + TrackingEventClass.allCases.filter(\.isLikelyHuman).map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
        return """
            COUNT(DISTINCT CASE WHEN t.kind = 'open' THEN s.id END) AS opened,
            COUNT(DISTINCT CASE WHEN t.kind = 'open' AND t.class IN \(human) THEN s.id END) AS openedHuman,
            COUNT(DISTINCT CASE WHEN t.kind = 'click' THEN s.id END) AS clicked,
            COUNT(DISTINCT CASE WHEN t.kind = 'click' AND t.class IN \(human) THEN s.id END) AS clickedHuman,
            COUNT(DISTINCT CASE WHEN t.kind = 'unsubscribe' THEN s.id END) AS unsubscribedByLink
            """
    }()

    /// The instants a cohort's first sends fall between (`until` excluded): people by the day of their first
    /// send, in the campaign's zone.
    package static func cohortBounds(_ query: StatsQuery, zone: TimeZone) -> (from: Date, until: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        func start(_ day: CalendarDate) -> Date {
            calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day)) ?? .distantPast
        }
        return (
            query.since.map(start) ?? .distantPast, query.until.map { start(ReportingDay.calendarDate(serial: ReportingDay.serialDay($0) + 1)) } ?? .distantFuture
        )
    }

    /// The numbers recounted from the facts: a `GROUP BY` over sends, incoming mail, tracking events and tasks,
    /// attributing each incoming message to the last step sent before it. Its cost grows with the campaign, where
    /// the counters' does not; it serves cohorts (`since`/`until`), the counters' property test, and the benchmark.
    /// A day or week series is not recounted (the facts' days need the campaign's zone): the slice is ignored.
    static func recountGroups(_ campaign: String, _ query: StatsQuery, _ db: Database) throws -> StatGroups {
        let slice = query.slice?.isSeries == true ? nil : query.slice
        let sliceColumn = sliceColumn(slice, table: "e")
        var cohort = ""
        var cohortArguments: [any DatabaseValueConvertible] = []
        if query.since != nil || query.until != nil {
            let (from, until) = cohortBounds(query, zone: try campaignZone(campaign, db))
            cohort = """
                 AND e.id IN (SELECT enrollmentId FROM sendRecord WHERE campaignId = ? AND state = 'sent' AND enrollmentId IS NOT NULL
                 GROUP BY enrollmentId HAVING MIN(sentAt) >= ? AND MIN(sentAt) < ?)
                """
            cohortArguments = [campaign, from, until]
        }
        var groups = StatGroups()
        func collect(_ sql: String, _ apply: (inout StatCounts, GRDB.Row) -> Void) throws {
            for row in try GRDB.Row.fetchAll(db, sql: sql, arguments: StatementArguments([campaign] as [any DatabaseValueConvertible] + cohortArguments)) {
                apply(&groups.counts[StatGroups.Key(step: row["stepId"], variant: row["variantId"], slice: row["slice"]), default: StatCounts()], row)
            }
        }
        try collect(
            "SELECT '' AS stepId, '' AS variantId, \(sliceColumn) AS slice, COUNT(*) AS n FROM enrollment e WHERE e.campaignId = ?\(cohort) GROUP BY 3"
        ) { $0.enrolled += $1["n"] }
        try collect(
            """
            SELECT j.key AS stepId, j.value AS variantId, \(sliceColumn) AS slice, COUNT(*) AS n FROM enrollment e, json_each(e.variants) j
            WHERE e.campaignId = ?\(cohort) GROUP BY 1, 2, 3
            """
        ) { $0.enrolled += $1["n"] }
        try collect(
            """
            SELECT s.stepId, s.variantId, \(sliceColumn) AS slice, COUNT(*) AS n FROM sendRecord s JOIN enrollment e ON e.id = s.enrollmentId
            WHERE s.campaignId = ? AND s.state = 'sent'\(cohort) GROUP BY 1, 2, 3
            """
        ) { $0.sent += $1["n"] }
        let lastSentBefore = Self.lastSentBeforeSQL
        try collect(
            """
            SELECT s.stepId, s.variantId, \(sliceColumn) AS slice,
                \(Self.incomingCountsSQL)
            FROM incomingMessage i JOIN enrollment e ON e.id = i.enrollmentId \(lastSentBefore)
            WHERE e.campaignId = ?\(cohort) GROUP BY 1, 2, 3
            """
        ) {
            $0.replied += $1["replied"]
            $0.positiveReplies += $1["positive"]
            $0.bounced += $1["bounced"]
            $0.unsubscribed += $1["unsubscribed"]
            $0.outOfOffice += $1["outOfOffice"]
        }
        try collect(
            """
            SELECT s.stepId, s.variantId, \(sliceColumn) AS slice, COUNT(*) AS n FROM sendRecord s JOIN enrollment e ON e.id = s.enrollmentId
            WHERE s.campaignId = ? AND s.state = 'sent'\(cohort) AND EXISTS (
                SELECT 1 FROM incomingMessage i WHERE i.enrollmentId = s.enrollmentId AND i.class IN ('reply', 'unparsed') AND i.receivedAt >= s.sentAt)
            GROUP BY 1, 2, 3
            """
        ) { $0.repliedEventually += $1["n"] }
        try collect(
            """
            SELECT s.stepId, s.variantId, \(sliceColumn) AS slice,
                \(Self.trackingCountsSQL)
            FROM trackingEvent t JOIN sendRecord s ON s.id = t.sendRecordId JOIN enrollment e ON e.id = s.enrollmentId
            WHERE s.campaignId = ?\(cohort) GROUP BY 1, 2, 3
            """
        ) {
            $0.opened += $1["opened"]
            $0.openedHuman += $1["openedHuman"]
            $0.clicked += $1["clicked"]
            $0.clickedHuman += $1["clickedHuman"]
            $0.unsubscribedByLink += $1["unsubscribedByLink"]
        }
        try collect(
            """
            SELECT t.stepId, '' AS variantId, \(sliceColumn) AS slice, COUNT(*) AS n FROM task t JOIN enrollment e ON e.id = t.enrollmentId
            WHERE e.campaignId = ? AND t.doneAt IS NOT NULL\(cohort) GROUP BY 1, 3
            """
        ) { $0.tasksDone += $1["n"] }
        for row in try GRDB.Row.fetchAll(
            db,
            sql: """
                SELECT s.stepId, s.variantId, \(sliceColumn) AS slice, s.sentAt, MIN(i.receivedAt) AS firstReply
                FROM incomingMessage i JOIN enrollment e ON e.id = i.enrollmentId \(lastSentBefore)
                WHERE e.campaignId = ? AND i.class IN ('reply', 'unparsed')\(cohort) GROUP BY i.enrollmentId, s.id
                """, arguments: StatementArguments([campaign] as [any DatabaseValueConvertible] + cohortArguments))
        {
            let seconds = (row["firstReply"] as Date).timeIntervalSince(row["sentAt"] as Date)
            groups.replySeconds[StatGroups.Key(step: row["stepId"], variant: row["variantId"], slice: row["slice"]), default: []].append(seconds)
        }
        return groups
    }
}
