import Foundation
import GRDB

/// One row of `candidate`: a person across campaigns, keyed by the normalised address.
struct CandidateRow: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "candidate"

    var id: Int64
    var addressKey: String
    /// As written in the CSV, for sending and lookups by recipient.
    var address: String
    var fields: String
    var timeZone: String?
    var createdAt: Date
    var updatedAt: Date

    /// The domain of the address key, for the suppression list and per-domain caps.
    var domain: String { String(addressKey.split(separator: "@").last ?? "") }

    static func find(_ id: Int64, _ db: Database) throws -> CandidateRow? {
        try fetchOne(db, key: id)
    }
}
