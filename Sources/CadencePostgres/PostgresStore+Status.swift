import CadenceCore
import CadenceStore
import Foundation
import Logging
import PostgresNIO

/// `cadence status` on PostgreSQL: the same counts as on SQLite, read in one snapshot and turned into the report
/// by the same code (`CampaignStatus.build`).
extension PostgresStore {
    public func status(campaign: String?, now: Date) async throws(StoreError) -> [CampaignStatus] {
        let logger = logger
        return try await transaction { connection in
            try await connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger)
            if let campaign { try await Self.requireCampaign(campaign, connection, logger) }
            var statuses: [CampaignStatus] = []
            for row in try await connection.records(
                "SELECT id, name, version, state FROM campaign WHERE \(campaign)::text IS NULL OR id = \(campaign) ORDER BY id COLLATE \"C\"", logger)
            {
                let id: String = try row("id")
                var groups: [CampaignStatus.Group] = []
                for group in try await connection.records(
                    """
                    SELECT stepId, state, reason, COUNT(*) AS n, MIN(dueAt) AS nextDue, COUNT(*) FILTER (WHERE dueAt <= \(now)) AS due
                    FROM enrollment WHERE campaignId = \(id) GROUP BY stepId, state, reason
                    ORDER BY stepId COLLATE "C" NULLS FIRST, state COLLATE "C", reason COLLATE "C" NULLS FIRST
                    """, logger)
                {
                    let state: String = try group("state")
                    guard let status = EnrollmentStatus(rawValue: state) else { throw UnreadableValue(description: "an enrolment of \(id) has the state \(state)") }
                    groups.append(
                        CampaignStatus.Group(
                            stepID: try group("stepId"), state: status, reason: try group("reason"), count: Int(try group("n", as: Int64.self)),
                            nextDue: try group("nextDue"), due: Int(try group("due", as: Int64.self))))
                }
                var doubts: [CampaignStatus.Doubt] = []
                for doubt in try await connection.records(
                    """
                    SELECT stepId, COALESCE(error, 'recorded, not yet confirmed') AS why, COUNT(*) AS n FROM sendRecord
                    WHERE campaignId = \(id) AND state IN ('intent', 'unknown') GROUP BY stepId, 2
                    ORDER BY stepId COLLATE "C", COALESCE(error, 'recorded, not yet confirmed') COLLATE "C"
                    """, logger)
                {
                    doubts.append(CampaignStatus.Doubt(stepID: try doubt("stepId"), why: try doubt("why"), count: Int(try doubt("n", as: Int64.self))))
                }
                let state: String = try row("state")
                statuses.append(
                    CampaignStatus.build(
                        id: id, name: try row("name"), version: Int(try row("version", as: Int32.self)), paused: state == CampaignState.paused.rawValue,
                        order: try await Self.definition(id, connection, logger)?.steps.map(\.id) ?? [], groups: groups, doubts: doubts))
            }
            return statuses
        }
    }

    public func syncState(_ mailbox: String) async throws(StoreError) -> MailboxSyncState {
        let logger = logger
        return try await transaction { connection in
            try await connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger)
            let sync = try await connection.record("SELECT historyId, syncedAt, resyncedAt, resyncCount FROM mailboxSync WHERE mailbox = \(mailbox)", logger)
            let watch = try await connection.record("SELECT expiresAt, renewedAt FROM mailboxWatch WHERE mailbox = \(mailbox)", logger)
            let queued = try await connection.record("SELECT COUNT(*) AS n FROM pushNotification WHERE mailbox = \(mailbox) AND handledAt IS NULL", logger)
            return MailboxSyncState(
                historyID: try sync?("historyId", as: String?.self), syncedAt: try sync?("syncedAt", as: Date?.self),
                resyncedAt: try sync?("resyncedAt", as: Date?.self), resyncCount: Int(try sync?("resyncCount", as: Int32.self) ?? 0),
                queuedPushes: Int(try queued?("n", as: Int64.self) ?? 0), watchExpiresAt: try watch?("expiresAt", as: Date?.self),
                watchRenewedAt: try watch?("renewedAt", as: Date?.self))
        }
    }
}
