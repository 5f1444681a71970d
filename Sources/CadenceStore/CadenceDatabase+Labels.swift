import CadenceCore
import Foundation
import GRDB

/// The reply `cadence label` labelled.
public struct LabelledReply: Sendable, Equatable {
    public var campaignID: String
    public var receivedAt: Date
    public var label: ReplyLabel
    /// The label it had before, if any.
    public var previous: ReplyLabel?

    package init(campaignID: String, receivedAt: Date, label: ReplyLabel, previous: ReplyLabel?) {
        self.campaignID = campaignID
        self.receivedAt = receivedAt
        self.label = label
        self.previous = previous
    }
}

extension CadenceDatabase {
    /// Labels the person's latest reply (in `campaign`, or in the one campaign they replied in) with what it meant.
    /// Labelling again replaces the label; each labelling is an event in `show`.
    public func label(addressKey: String, campaign: String?, as label: ReplyLabel, actor: String, now: Date) throws(StoreError) -> LabelledReply {
        try write { db in try Self.label(addressKey: addressKey, campaign: campaign, as: label, actor: actor, now: now, db) }
    }

    public func label(addressKey: String, campaign: String?, as label: ReplyLabel, actor: String, now: Date) async throws(StoreError) -> LabelledReply {
        try await write { db in try Self.label(addressKey: addressKey, campaign: campaign, as: label, actor: actor, now: now, db) }
    }

    static func label(addressKey: String, campaign: String?, as label: ReplyLabel, actor: String, now: Date, _ db: Database) throws -> LabelledReply {
        guard let candidateID = try Int64.fetchOne(db, sql: "SELECT id FROM candidate WHERE addressKey = ?", arguments: [addressKey]) else {
            throw StoreError.refused("no candidate \(addressKey) is enrolled in any campaign")
        }
        if let campaign { try Self.requireCampaign(campaign, db) }
        let replies = try Row.fetchAll(
            db,
            sql: """
                SELECT i.mailbox, i.providerMessageId, i.receivedAt, i.label, e.campaignId, e.id AS enrollmentId FROM incomingMessage i
                JOIN enrollment e ON e.id = i.enrollmentId
                WHERE e.candidateId = ? AND i.class IN ('reply', 'unparsed')\(campaign == nil ? "" : " AND e.campaignId = ?")
                ORDER BY i.receivedAt DESC, i.rowid DESC
                """, arguments: StatementArguments([candidateID] as [any DatabaseValueConvertible] + (campaign.map { [$0] } ?? [])))
        guard let latest = replies.first else {
            throw StoreError.refused(
                "no reply from \(addressKey) is recorded\(campaign.map { " in \($0)" } ?? ""); `cadence show \(addressKey)` lists what came back")
        }
        let campaigns = Array(Set(replies.map { $0["campaignId"] as String })).sorted()
        if campaign == nil, campaigns.count > 1 {
            throw StoreError.refused(
                "\(addressKey) replied in \(campaigns.count) campaigns (\(campaigns.joined(separator: ", "))); say which with --campaign")
        }
        let previous = (latest["label"] as String?).flatMap(ReplyLabel.init(rawValue:))
        try db.execute(
            sql: "UPDATE incomingMessage SET label = ? WHERE mailbox = ? AND providerMessageId = ?",
            arguments: [label.rawValue, latest["mailbox"] as String, latest["providerMessageId"] as String])
        try Self.syncPersonOutcomes(enrollmentID: latest["enrollmentId"], db)
        let receivedAt: Date = latest["receivedAt"]
        if let enrollment = try EnrollmentRow.find(latest["enrollmentId"] as Int64, db) {
            try Self.event(
                enrollment, kind: .labelled, actor: actor,
                detail: "reply of \(Timestamps.display(receivedAt)) labelled \(label.rawValue)" + (previous.map { " (was \($0.rawValue))" } ?? ""), db, now: now)
        }
        return LabelledReply(campaignID: latest["campaignId"], receivedAt: receivedAt, label: label, previous: previous)
    }
}
