import Foundation
import GRDB

/// One row of `enrollment`, as the store reads and writes it. Code outside the store sees `EnrollmentState`;
/// `StoredState` spreads that over `state`, `stepId`, `dueAt`, `reason` and `taskId`.
struct EnrollmentRow: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "enrollment"

    var id: Int64
    var campaignId: String
    var candidateId: Int64
    var mailbox: String
    /// The candidate's fields and the variants chosen per step, as JSON objects of strings.
    var fields: String
    var variants: String
    var csvLine: Int?
    var launchId: String
    var state: EnrollmentStatus
    var stepId: String?
    var dueAt: Date?
    var reason: String?
    var taskId: Int64?
    var createdAt: Date
    var updatedAt: Date

    var stored: StoredState { StoredState(state: state, stepId: stepId, dueAt: dueAt, reason: reason, taskId: taskId) }

    static func find(_ id: Int64, _ db: Database) throws -> EnrollmentRow? {
        try fetchOne(db, key: id)
    }
}
