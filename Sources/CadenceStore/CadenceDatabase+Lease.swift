import Foundation
import GRDB

/// One runner's hold on a database: who holds it, until when, and its fence.
///
/// The fence grows by one every time the lease changes hands and never goes back (releasing keeps the row). Every
/// write that depends on holding the lease (an intent, its outcome, a resend, a lookup miss) carries the fence it
/// was started under and is refused when the lease has moved on since, so a runner that was paused past its lease
/// (a long wait on Gmail, a suspended machine) can no longer touch what its successor now owns.
public struct RunnerLease: Sendable, Equatable {
    public var owner: String
    public var fence: Int64
    public var expiresAt: Date

    public init(owner: String, fence: Int64, expiresAt: Date) {
        self.owner = owner
        self.fence = fence
        self.expiresAt = expiresAt
    }
}

/// What asking for the lease found.
public enum LeaseAnswer: Sendable, Equatable {
    /// Taken or renewed: the caller holds it until `expiresAt`.
    case held(RunnerLease)
    /// Another runner holds it until `until`.
    case busy(owner: String, until: Date)
}

extension CadenceDatabase {
    /// Takes or renews the one runner lease. Renewing keeps the fence; taking it from anyone else (expired) or
    /// taking it for the first time moves the fence on.
    public func acquireLease(owner: String, now: Date, seconds: TimeInterval) throws(StoreError) -> LeaseAnswer {
        try write { db in
            let row = try Row.fetchOne(db, sql: "SELECT owner, expiresAt, fence FROM runnerLease WHERE id = 1")
            if let row, row["owner"] != owner, let until: Date = row["expiresAt"], until > now {
                return .busy(owner: row["owner"], until: until)
            }
            let previous: Int64 = row?["fence"] ?? 0
            let fence = row?["owner"] == owner ? previous : previous + 1
            let lease = RunnerLease(owner: owner, fence: fence, expiresAt: now.addingTimeInterval(seconds))
            try Self.store(lease, db)
            return .held(lease)
        }
    }

    /// Takes the lease from `previous`, who is known to be gone (a crashed runner on this machine); nil when the
    /// lease changed hands meanwhile.
    public func takeOverLease(from previous: String, owner: String, now: Date, seconds: TimeInterval) throws(StoreError) -> RunnerLease? {
        try write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT owner, fence FROM runnerLease WHERE id = 1"), row["owner"] == previous else { return nil }
            let lease = RunnerLease(owner: owner, fence: (row["fence"] as Int64) + 1, expiresAt: now.addingTimeInterval(seconds))
            try Self.store(lease, db)
            return lease
        }
    }

    /// Ends `owner`'s lease at once. The row stays, so the next holder's fence is still larger.
    public func releaseLease(owner: String) throws(StoreError) {
        try write { db in
            try db.execute(sql: "UPDATE runnerLease SET expiresAt = ? WHERE id = 1 AND owner = ?", arguments: [Date(timeIntervalSince1970: 0), owner])
        }
    }

    /// The lease as it stands (for `status` and tests).
    public func currentLease() throws(StoreError) -> RunnerLease? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT owner, expiresAt, fence FROM runnerLease WHERE id = 1").map {
                RunnerLease(owner: $0["owner"], fence: $0["fence"], expiresAt: $0["expiresAt"])
            }
        }
    }

    static func store(_ lease: RunnerLease, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO runnerLease (id, owner, expiresAt, fence) VALUES (1, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, expiresAt = excluded.expiresAt, fence = excluded.fence
                """,
            arguments: [lease.owner, lease.expiresAt, lease.fence])
    }

    /// Refuses a write made under `fence` once the lease has moved on to another holder.
    static func requireFence(_ fence: Int64, _ db: Database) throws {
        let current = try Int64.fetchOne(db, sql: "SELECT fence FROM runnerLease WHERE id = 1") ?? 0
        guard current == fence else { throw StoreError.leaseLost }
    }
}

extension CadenceDatabase {
    /// The send record `recordID`, once it is certain that `fence` is still the lease's and that no later holder
    /// has stamped the record (an intent or a resend of its own); otherwise `.leaseLost`, and nothing is written.
    static func fencedRecord(_ recordID: Int64, _ fence: Int64, _ db: Database) throws -> Row? {
        try requireFence(fence, db)
        guard let record = try Row.fetchOne(db, sql: "SELECT * FROM sendRecord WHERE id = ?", arguments: [recordID]) else { return nil }
        if let stamped: Int64 = record["fence"], stamped > fence { throw StoreError.leaseLost }
        return record
    }
}
