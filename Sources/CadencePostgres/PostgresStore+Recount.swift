import CadenceCore
import CadenceStore
import Foundation
import Logging
import PostgresNIO

/// A cohort's numbers (`stats --since/--until`) on PostgreSQL, recounted from the facts by the SQLite store's
/// queries: each incoming message counts for the last step sent before it.
extension PostgresStore {
    static func recountGroups(_ campaign: String, _ query: StatsQuery, _ connection: PostgresConnection, _ logger: Logger) async throws -> StatGroups {
        let slice = sliceColumn(query.slice?.isSeries == true ? nil : query.slice, table: "e")
        var bindings = PostgresBindings()
        bindings.append(campaign)
        var cohort = ""
        if query.since != nil || query.until != nil {
            let zone = try await connection.record("SELECT timeZone FROM campaign WHERE id = \(campaign)", logger)?("timeZone", as: String.self) ?? "UTC"
            let (from, until) = CadenceDatabase.cohortBounds(query, zone: CadenceDatabase.zone(named: zone))
            bindings.append(from)
            bindings.append(until)
            cohort = """
                 AND e.id IN (SELECT enrollmentId FROM sendRecord WHERE campaignId = $1 AND state = 'sent' AND enrollmentId IS NOT NULL
                 GROUP BY enrollmentId HAVING MIN(sentAt) >= $2 AND MIN(sentAt) < $3)
                """
        }
        var groups = StatGroups()
        func collect(_ sql: String, _ apply: (inout StatCounts, PostgresRecord) throws -> Void) async throws {
            for row in try await connection.records(PostgresQuery(unsafeSQL: sql, binds: bindings), logger) {
                try apply(&groups.counts[try key(row), default: StatCounts()], row)
            }
        }
        func number(_ row: PostgresRecord, _ name: String) throws -> Int { Int(try row(name, as: Int64.self)) }
        try await collect(
            "SELECT ''::text AS stepId, ''::text AS variantId, \(slice) AS slice, COUNT(*) AS n FROM enrollment e WHERE e.campaignId = $1\(cohort) GROUP BY 3"
        ) { $0.enrolled += try number($1, "n") }
        try await collect(
            """
            SELECT j.key AS stepId, j.value AS variantId, \(slice) AS slice, COUNT(*) AS n FROM enrollment e, jsonb_each_text(e.variants::jsonb) j
            WHERE e.campaignId = $1\(cohort) GROUP BY 1, 2, 3
            """
        ) { $0.enrolled += try number($1, "n") }
        try await collect(
            """
            SELECT s.stepId, s.variantId, \(slice) AS slice, COUNT(*) AS n FROM sendRecord s JOIN enrollment e ON e.id = s.enrollmentId
            WHERE s.campaignId = $1 AND s.state = 'sent'\(cohort) GROUP BY 1, 2, 3
            """
        ) { $0.sent += try number($1, "n") }
        let lastSentBefore = CadenceDatabase.lastSentBeforeSQL
        try await collect(
            """
            SELECT s.stepId, s.variantId, \(slice) AS slice,
                \(CadenceDatabase.incomingCountsSQL)
            FROM incomingMessage i JOIN enrollment e ON e.id = i.enrollmentId \(lastSentBefore)
            WHERE e.campaignId = $1\(cohort) GROUP BY 1, 2, 3
            """
        ) {
            $0.replied += try number($1, "replied")
            $0.positiveReplies += try number($1, "positive")
            $0.bounced += try number($1, "bounced")
            $0.unsubscribed += try number($1, "unsubscribed")
            $0.outOfOffice += try number($1, "outOfOffice")
        }
        try await collect(
            """
            SELECT s.stepId, s.variantId, \(slice) AS slice, COUNT(*) AS n FROM sendRecord s JOIN enrollment e ON e.id = s.enrollmentId
            WHERE s.campaignId = $1 AND s.state = 'sent'\(cohort) AND EXISTS (
                SELECT 1 FROM incomingMessage i WHERE i.enrollmentId = s.enrollmentId AND i.class IN ('reply', 'unparsed') AND i.receivedAt >= s.sentAt)
            GROUP BY 1, 2, 3
            """
        ) { $0.repliedEventually += try number($1, "n") }
        try await collect(
            """
            SELECT s.stepId, s.variantId, \(slice) AS slice,
                \(CadenceDatabase.trackingCountsSQL)
            FROM trackingEvent t JOIN sendRecord s ON s.id = t.sendRecordId JOIN enrollment e ON e.id = s.enrollmentId
            WHERE s.campaignId = $1\(cohort) GROUP BY 1, 2, 3
            """
        ) {
            $0.opened += try number($1, "opened")
            $0.openedHuman += try number($1, "openedHuman")
            $0.clicked += try number($1, "clicked")
            $0.clickedHuman += try number($1, "clickedHuman")
            $0.unsubscribedByLink += try number($1, "unsubscribedByLink")
        }
        try await collect(
            """
            SELECT t.stepId, ''::text AS variantId, \(slice) AS slice, COUNT(*) AS n FROM task t JOIN enrollment e ON e.id = t.enrollmentId
            WHERE e.campaignId = $1 AND t.doneAt IS NOT NULL\(cohort) GROUP BY 1, 3
            """
        ) { $0.tasksDone += try number($1, "n") }
        for row in try await connection.records(
            PostgresQuery(
                unsafeSQL: """
                    SELECT s.stepId, s.variantId, \(slice) AS slice, s.sentAt, MIN(i.receivedAt) AS firstReply
                    FROM incomingMessage i JOIN enrollment e ON e.id = i.enrollmentId \(lastSentBefore)
                    WHERE e.campaignId = $1 AND i.class IN ('reply', 'unparsed')\(cohort) GROUP BY i.enrollmentId, e.id, s.id
                    """, binds: bindings), logger)
        {
            let seconds = (try row("firstReply", as: Date.self)).timeIntervalSince(try row("sentAt", as: Date.self))
            groups.replySeconds[try key(row), default: []].append(seconds)
        }
        return groups
    }
}
