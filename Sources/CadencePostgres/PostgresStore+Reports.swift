import CadenceCore
import CadenceStore
import Foundation
import Logging
import PostgresNIO

/// What `cadence show` and `cadence report` read on PostgreSQL, by the SQLite store's queries.
extension PostgresStore {
    public func candidate(_ addressKey: String) async throws(StoreError) -> CandidateDetail? {
        let logger = logger
        return try await transaction { connection in
            try await connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger)
            guard let candidate = try await connection.record("SELECT id, address, fields, timeZone FROM candidate WHERE addressKey = \(addressKey)", logger) else {
                return nil
            }
            let candidateID: Int64 = try candidate("id")
            var enrollments: [CandidateDetail.Enrollment] = []
            for row in try await connection.records(
                """
                SELECT id, campaignId, mailbox, variants, csvLine, state, stepId, dueAt, reason, taskId FROM enrollment
                WHERE candidateId = \(candidateID) ORDER BY createdAt, campaignId COLLATE "C"
                """, logger)
            {
                let id: Int64 = try row("id")
                // Opens and clicks read like the other events, in time order among them.
                let events = try await connection.records(
                    """
                    SELECT at, kind, actor, detail FROM (
                        SELECT at, kind, actor, detail, 0 AS source, id FROM event WHERE enrollmentId = \(id)
                        UNION ALL
                        SELECT \(unescaped: CadenceDatabase.enrolledAsEventSQL), 0, 0 FROM enrollment WHERE id = \(id) AND enrolledAs IS NOT NULL
                        UNION ALL
                        SELECT \(unescaped: CadenceDatabase.trackingAsEventSQL), 1, t.id
                        FROM trackingEvent t JOIN sendRecord s ON s.id = t.sendRecordId WHERE s.enrollmentId = \(id)
                    ) AS events ORDER BY at, source, id
                    """, logger
                ).map { event in
                    CandidateDetail.Event(at: try event("at"), kind: try event("kind"), actor: try event("actor"), detail: try event("detail"))
                }
                let state: String = try row("state")
                guard let status = EnrollmentStatus(rawValue: state) else { throw UnreadableValue(description: "enrollment \(id) has the state \(state)") }
                let stored = StoredState(state: status, stepId: try row("stepId"), dueAt: try row("dueAt"), reason: try row("reason"), taskId: try row("taskId"))
                enrollments.append(
                    CandidateDetail.Enrollment(
                        id: id, campaignID: try row("campaignId"), mailbox: try row("mailbox"), state: stored.value,
                        variants: CadenceDatabase.decodeMap(try row("variants")), csvLine: try row("csvLine", as: Int32?.self).map(Int.init), events: events))
            }
            return CandidateDetail(
                address: try candidate("address"), fields: CadenceDatabase.decodeMap(try candidate("fields")), timeZone: try candidate("timeZone"),
                enrollments: enrollments)
        }
    }

    public func replyHeatmap(campaign: String) async throws(StoreError) -> [Int] {
        let logger = logger
        return try await transaction { connection in
            try await connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger)
            try await Self.requireCampaign(campaign, connection, logger)
            let zone = try await connection.record("SELECT timeZone FROM campaign WHERE id = \(campaign)", logger)?("timeZone", as: String.self) ?? "UTC"
            var heatmap = ReplyHeatmap(campaignZone: CadenceDatabase.zone(named: zone))
            for row in try await connection.records(
                """
                SELECT i.receivedAt, c.timeZone FROM incomingMessage i JOIN enrollment e ON e.id = i.enrollmentId JOIN candidate c ON c.id = e.candidateId
                WHERE e.campaignId = \(campaign) AND i.class IN ('reply', 'unparsed')
                """, logger)
            {
                heatmap.add(try row("receivedAt"), zoneName: try row("timeZone"))
            }
            return heatmap.cells
        }
    }

    public func mailboxSends(since: Date) async throws(StoreError) -> [String: Int] {
        let logger = logger
        return try await read { connection in
            var sends: [String: Int] = [:]
            for row in try await connection.records("SELECT mailbox, COUNT(*) AS n FROM mailboxLedger WHERE sentAt >= \(since) GROUP BY mailbox", logger) {
                sends[try row("mailbox")] = Int(try row("n", as: Int64.self))
            }
            return sends
        }
    }
}
