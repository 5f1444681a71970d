import CadenceCore
import Foundation
import GRDB

extension CadenceDatabase {
    /// Replies (and unreadable messages that stopped someone as a reply) by the weekday and hour they came, in each
    /// person's own zone (the campaign's when they have none): 7 × 24 counts, Monday 00:00 first. When people
    /// answer, in their day, is what a send window should follow.
    public func replyHeatmap(campaign: String) throws(StoreError) -> [Int] {
        try read { db in
            try Self.requireCampaign(campaign, db)
            let campaignZone = try Self.campaignZone(campaign, db)
            var cells = Array(repeating: 0, count: 7 * 24)
            var calendars: [String: Calendar] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT i.receivedAt, c.timeZone FROM incomingMessage i INDEXED BY incomingMessageEnrollment
                    JOIN enrollment e ON e.id = i.enrollmentId JOIN candidate c ON c.id = e.candidateId
                    WHERE e.campaignId = ? AND i.class IN ('reply', 'unparsed')
                    """, arguments: [campaign])
            {
                let zoneName: String = row["timeZone"] ?? ""
                let calendar =
                    calendars[zoneName]
                    ?? {
                        var calendar = Calendar(identifier: .gregorian)
                        calendar.timeZone = zoneName.isEmpty ? campaignZone : Self.zone(named: zoneName)
                        calendars[zoneName] = calendar
                        return calendar
                    }()
                let parts = calendar.dateComponents([.weekday, .hour], from: row["receivedAt"] as Date)
                // Gregorian weekday 1 is Sunday; Monday first.
                let day = ((parts.weekday ?? 1) + 5) % 7
                cells[day * 24 + (parts.hour ?? 0)] += 1
            }
            return cells
        }
    }

    /// Messages each mailbox sent since `since`, in every campaign: what counts against its daily cap.
    public func mailboxSends(since: Date) throws(StoreError) -> [String: Int] {
        try read { db in
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(
                    db, sql: "SELECT mailbox, COUNT(*) AS n FROM mailboxLedger WHERE sentAt >= ? GROUP BY mailbox", arguments: [since]
                ).map { ($0["mailbox"] as String, $0["n"] as Int) })
        }
    }
}
