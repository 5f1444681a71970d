import Foundation
import GRDB

/// The one row of `runnerLease` (its id is always 1).
struct RunnerLeaseRow: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "runnerLease"

    var id: Int64 = 1
    var owner: String
    var expiresAt: Date
    var fence: Int64

    init(_ lease: RunnerLease) {
        owner = lease.owner
        expiresAt = lease.expiresAt
        fence = lease.fence
    }

    var lease: RunnerLease { RunnerLease(owner: owner, fence: fence, expiresAt: expiresAt) }

    static func current(_ db: Database) throws -> RunnerLeaseRow? {
        try fetchOne(db, key: 1)
    }
}
