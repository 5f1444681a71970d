import CadenceCore
import Foundation
import GRDB

/// An address or whole domain Cadence must never write to.
public struct Suppression: Sendable, Equatable {
    public enum Kind: String, Sendable, DatabaseValueConvertible {
        case address, domain
        /// A forgotten person: only a hash of the address is kept.
        case hash
    }

    public var kind: Kind
    public var value: String
    public var reason: String
    public var actor: String
    public var createdAt: Date

    package init(kind: Kind, value: String, reason: String, actor: String, createdAt: Date) {
        self.kind = kind
        self.value = value
        self.reason = reason
        self.actor = actor
        self.createdAt = createdAt
    }
}

extension CadenceDatabase {
    /// Adds entries (address keys, domains, hashes); existing entries keep their first reason. Returns how many were new.
    @discardableResult
    public func suppress(_ entries: [(kind: Suppression.Kind, value: String)], reason: String, actor: String, now: Date) throws(StoreError) -> Int {
        try write { db in try Self.suppress(entries, reason: reason, actor: actor, db, now: now) }
    }

    @discardableResult
    public func suppress(_ entries: [(kind: Suppression.Kind, value: String)], reason: String, actor: String, now: Date) async throws(StoreError) -> Int {
        try await write { db in try Self.suppress(entries, reason: reason, actor: actor, db, now: now) }
    }

    static func suppress(_ entries: [(kind: Suppression.Kind, value: String)], reason: String, actor: String, _ db: Database, now: Date) throws -> Int {
        var added = 0
        for entry in entries {
            try db.execute(
                sql: "INSERT INTO suppression (kind, value, reason, actor, createdAt) VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, value) DO NOTHING",
                arguments: [entry.kind, entry.value, reason, actor, now])
            added += db.changesCount
        }
        return added
    }

    /// Removes an entry; false if there was none.
    public func unsuppress(kind: Suppression.Kind, value: String) throws(StoreError) -> Bool {
        try write { db in try Self.unsuppress(kind: kind, value: value, db) }
    }

    public func unsuppress(kind: Suppression.Kind, value: String) async throws(StoreError) -> Bool {
        try await write { db in try Self.unsuppress(kind: kind, value: value, db) }
    }

    static func unsuppress(kind: Suppression.Kind, value: String, _ db: Database) throws -> Bool {
        try db.execute(sql: "DELETE FROM suppression WHERE kind = ? AND value = ?", arguments: [kind, value])
        return db.changesCount > 0
    }

    public func suppressions() throws(StoreError) -> [Suppression] {
        try read { db in try Self.suppressions(db) }
    }

    public func suppressions() async throws(StoreError) -> [Suppression] {
        try await read { db in try Self.suppressions(db) }
    }

    static func suppressions(_ db: Database) throws -> [Suppression] {
        try Row.fetchAll(db, sql: "SELECT * FROM suppression ORDER BY kind, value").map {
            Suppression(kind: $0["kind"] ?? .address, value: $0["value"], reason: $0["reason"], actor: $0["actor"], createdAt: $0["createdAt"])
        }
    }

    /// Erases a person: their candidate record, every enrolment, event, task and send record about them (and with
    /// the sends, their tracked links, opens and clicks), and the snippets of the messages they sent back. Keeps
    /// only a hash of the address on the suppression list, so they are never contacted again. False if unknown.
    ///
    /// Then the WAL is checkpointed and truncated: with `secure_delete` on, the erased rows are overwritten in the
    /// file, and the old page images in the WAL go with it rather than at some later checkpoint.
    ///
    /// `walCleared` is false when that could not be done: a reader in another process (`cadence serve`, `run`)
    /// held the log past the busy timeout. The erased rows then stay in the log until its next checkpoint, and
    /// running `forget` again once the reader is gone clears it.
    public func forget(addressKey: String, actor: String, now: Date) throws(StoreError) -> (found: Bool, enrollments: Int, walCleared: Bool) {
        let result = try erase(addressKey: addressKey, actor: actor, now: now)
        let cleared = (try? writer.writeWithoutTransaction { db in try db.checkpoint(.truncate) }) != nil
        return (result.found, result.enrollments, cleared)
    }

    public func forget(addressKey: String, actor: String, now: Date) async throws(StoreError) -> Erasure {
        let result = try forget(addressKey: addressKey, actor: actor, now: now) as (found: Bool, enrollments: Int, walCleared: Bool)
        return Erasure(found: result.found, enrollments: result.enrollments, storage: result.walCleared ? .cleared : .logInUse)
    }

    /// The note the event of an erasure carries: how many enrolments, never whose.
    package static func erasureNote(_ enrollments: Int) -> String {
        "a candidate's data was erased on request (\(enrollments) enrolment\(enrollments == 1 ? "" : "s"))"
    }

    private func erase(addressKey: String, actor: String, now: Date) throws(StoreError) -> (found: Bool, enrollments: Int) {
        try write { db in
            try db.execute(
                sql: "INSERT INTO suppression (kind, value, reason, actor, createdAt) VALUES (?, ?, 'erasure request', ?, ?) ON CONFLICT (kind, value) DO NOTHING",
                arguments: [Suppression.Kind.hash, AddressKey.hash(addressKey), actor, now])
            try db.execute(sql: "DELETE FROM suppression WHERE kind = ? AND value = ?", arguments: [Suppression.Kind.address, addressKey])
            guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM candidate WHERE addressKey = ?", arguments: [addressKey]) else {
                return (false, 0)
            }
            let enrollments = try EnrollmentRow.filter(Column("candidateId") == id).fetchCount(db)
            // Their replies' snippets. The rows stay, emptied, as the mark that Gmail's message was processed: a
            // later re-read of the mailbox must not record it again, snippet and all.
            try db.execute(
                sql: "UPDATE incomingMessage SET snippet = '', enrollmentId = NULL WHERE enrollmentId IN (SELECT id FROM enrollment WHERE candidateId = ?)",
                arguments: [id])
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO erasedTracking (trackingId) SELECT trackingId FROM sendRecord
                    WHERE trackingId IS NOT NULL AND enrollmentId IN (SELECT id FROM enrollment WHERE candidateId = ?)
                    """, arguments: [id])
            try db.execute(sql: "DELETE FROM candidate WHERE id = ?", arguments: [id])  // cascades to enrolments, events, tasks, sends
            try db.execute(
                sql: "INSERT INTO event (at, kind, actor, detail) VALUES (?, ?, ?, ?)",
                arguments: [now, EventKind.forgotten, actor, Self.erasureNote(enrollments)])
            return (true, enrollments)
        }
    }
}
