import CadenceCore
import Foundation
import GRDB

extension CadenceDatabase {
    /// Replies (and unreadable messages that stopped someone as a reply) by the weekday and hour they came, in each
    /// person's own zone (the campaign's when they have none): 7 × 24 counts, Monday 00:00 first. When people
    /// answer, in their day, is what a send window should follow.
    public func replyHeatmap(campaign: String) async throws(StoreError) -> [Int] {
        try await read { db in try Self.replyHeatmap(campaign: campaign, db) }
    }

    static func replyHeatmap(campaign: String, _ db: Database) throws -> [Int] {
        try requireCampaign(campaign, db)
        var heatmap = ReplyHeatmap(campaignZone: try campaignZone(campaign, db))
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT i.receivedAt, c.timeZone FROM incomingMessage i INDEXED BY incomingMessageEnrollment
                JOIN enrollment e ON e.id = i.enrollmentId JOIN candidate c ON c.id = e.candidateId
                WHERE e.campaignId = ? AND i.class IN ('reply', 'unparsed')
                """, arguments: [campaign])
        {
            heatmap.add(row["receivedAt"], zoneName: row["timeZone"])
        }
        return heatmap.cells
    }

    /// Messages each mailbox sent since `since`, in every campaign: what counts against its daily cap.
    public func mailboxSends(since: Date) async throws(StoreError) -> [String: Int] {
        try await read { db in try Self.mailboxSends(since: since, db) }
    }

    static func mailboxSends(since: Date, _ db: Database) throws -> [String: Int] {
        Dictionary(
            uniqueKeysWithValues: try Row.fetchAll(
                db, sql: "SELECT mailbox, COUNT(*) AS n FROM mailboxLedger WHERE sentAt >= ? GROUP BY mailbox", arguments: [since]
            ).map { ($0["mailbox"] as String, $0["n"] as Int) })
    }
}
