import Foundation
import GRDB

/// One row of `sendRecord`: a send from its intent (the exact bytes, before the provider is called) to its
/// outcome. Unique per enrolment and step, so a step is sent at most once.
struct SendRecordRow: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "sendRecord"

    var id: Int64
    var enrollmentId: Int64?
    var campaignId: String
    var stepId: String
    var sendId: String
    var mailbox: String
    var state: SendRecordState
    var message: Data?
    var providerMessageId: String?
    var providerThreadId: String?
    var rfcMessageId: String?
    var error: String?
    var createdAt: Date
    var sentAt: Date?
    var storedMessageId: String?
    var lookupMisses: Int
    var lookedUpAt: Date?
    var historyId: String?
    var historyCursor: String?
    /// The lease fence of the runner that wrote the intent or started the resend.
    var fence: Int64?
    /// What tracking tokens name this send by (`SendIdentity.trackingID`).
    var trackingId: String?
    /// The id of the key that signed the send's tracking links (`TrackingKey.id`).
    var trackingKeyId: Int?

    static func find(_ id: Int64, _ db: Database) throws -> SendRecordRow? {
        try fetchOne(db, key: id)
    }
}
