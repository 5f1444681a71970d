import Foundation
import GRDB

extension CadenceDatabase {
    /// Takes or renews the one runner lease. Renewing keeps the fence; taking it from anyone else (expired) or
    /// taking it for the first time moves the fence on.
    public func acquireLease(owner: String, now: Date, seconds: TimeInterval) async throws(StoreError) -> LeaseAnswer {
        try await write { db in
            let row = try RunnerLeaseRow.current(db)
            if let row, row.owner != owner, row.expiresAt > now {
                return .busy(owner: row.owner, until: row.expiresAt)
            }
            let previous = row?.fence ?? 0
            let fence = row?.owner == owner ? previous : previous + 1
            let lease = RunnerLease(owner: owner, fence: fence, expiresAt: now.addingTimeInterval(seconds))
            try Self.store(lease, db)
            return .held(lease)
        }
    }

    /// Takes the lease from `previous`, who is known to be gone (a crashed runner on this machine); nil when the
    /// lease changed hands meanwhile.
    public func takeOverLease(from previous: String, owner: String, now: Date, seconds: TimeInterval) async throws(StoreError) -> RunnerLease? {
        try await write { db in
            guard let row = try RunnerLeaseRow.current(db), row.owner == previous else { return nil }
            let lease = RunnerLease(owner: owner, fence: row.fence + 1, expiresAt: now.addingTimeInterval(seconds))
            try Self.store(lease, db)
            return lease
        }
    }

    /// Ends `owner`'s lease at once. The row stays, so the next holder's fence is still larger.
    public func releaseLease(owner: String) async throws(StoreError) {
        try await write { db in
            guard var row = try RunnerLeaseRow.current(db), row.owner == owner else { return }
            try row.updateChanges(db) { $0.expiresAt = Date(timeIntervalSince1970: 0) }
        }
    }

    /// The lease as it stands (for `status` and tests).
    public func currentLease() async throws(StoreError) -> RunnerLease? {
        try await read { db in
            try RunnerLeaseRow.current(db)?.lease
        }
    }

    /// One runner holds a SQLite file whole: every mailbox comes under the database's one lease and its fence.
    public func shareMailboxes(
        owner: String, mailboxes: [String], now: Date, seconds: TimeInterval, callBound: TimeInterval
    ) async throws(StoreError) -> MailboxShare {
        switch try await acquireLease(owner: owner, now: now, seconds: seconds) {
        case .held(let lease):
            let whole = MailboxLease(mailbox: "", fence: lease.fence, expiresAt: lease.expiresAt, reconcileFrom: now)
            return MailboxShare(now: now, leases: mailboxes.map { MailboxLease(mailbox: $0, fence: lease.fence, expiresAt: lease.expiresAt, reconcileFrom: now) }, whole: whole)
        case .busy(let holder, let until):
            return MailboxShare(now: now, leases: [], busy: .init(owner: holder, until: until))
        }
    }

    public func releaseMailboxes(owner: String) async throws(StoreError) {
        try await releaseLease(owner: owner)
    }

    static func store(_ lease: RunnerLease, _ db: Database) throws {
        try RunnerLeaseRow(lease).save(db)
    }

    /// Refuses a write made under `fence` once the lease has moved on to another holder.
    static func requireFence(_ fence: Int64, _ db: Database) throws {
        let current = try RunnerLeaseRow.current(db)?.fence ?? 0
        guard current == fence else { throw StoreError.leaseLost }
    }
}

extension CadenceDatabase {
    /// The send record `recordID`, once it is certain that `fence` is still the lease's and that no later holder
    /// has stamped the record (an intent or a resend of its own); otherwise `.leaseLost`, and nothing is written.
    static func fencedRecord(_ recordID: Int64, _ fence: Int64, _ db: Database) throws -> SendRecordRow? {
        try requireFence(fence, db)
        guard let record = try SendRecordRow.find(recordID, db) else { return nil }
        if let stamped = record.fence, stamped > fence { throw StoreError.leaseLost }
        return record
    }
}
