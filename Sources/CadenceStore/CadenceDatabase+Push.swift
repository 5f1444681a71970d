import CadenceCore
import Foundation
import GRDB

/// What became of a push notification handed to the store.
public enum PushOutcome: Sendable, Equatable {
    /// Queued for the runner.
    case queued
    /// Pub/Sub delivered this messageId before: nothing to do.
    case duplicate
    /// Its history position is not past the mailbox's checkpoint: everything it announces was processed already.
    case stale
}

/// A mailbox's reply-watching state, for `status` and the staleness check before a send.
public struct MailboxSyncState: Sendable, Equatable {
    package init(
        historyID: String?, syncedAt: Date?, resyncedAt: Date?, resyncCount: Int, queuedPushes: Int, watchExpiresAt: Date?, watchRenewedAt: Date?
    ) {
        self.historyID = historyID
        self.syncedAt = syncedAt
        self.resyncedAt = resyncedAt
        self.resyncCount = resyncCount
        self.queuedPushes = queuedPushes
        self.watchExpiresAt = watchExpiresAt
        self.watchRenewedAt = watchRenewedAt
    }

    public var historyID: String?
    public var syncedAt: Date?
    public var resyncedAt: Date?
    public var resyncCount: Int
    public var queuedPushes: Int
    public var watchExpiresAt: Date?
    public var watchRenewedAt: Date?
}

/// A mailbox's `users.watch` registration.
public struct WatchRegistration: Sendable, Equatable {
    public var mailbox: String
    public var topic: String
    public var expiresAt: Date
    public var renewedAt: Date

    package init(mailbox: String, topic: String, expiresAt: Date, renewedAt: Date) {
        self.mailbox = mailbox
        self.topic = topic
        self.expiresAt = expiresAt
        self.renewedAt = renewedAt
    }
}

extension CadenceDatabase {
    /// A SQLite file says nothing as pushes arrive: the runner reads the queue, which is cheap on a local file.
    public var pushWakeups: PushWakeups? { nil }

    /// Queues a push for the runner, once per Pub/Sub messageId, unless its position is already processed.
    public func enqueuePush(messageID: String, mailbox: String, historyID: String, now: Date) async throws(StoreError) -> PushOutcome {
        try await write { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM pushNotification WHERE messageId = ?)", arguments: [messageID]) == true {
                return .duplicate
            }
            if let current = try String.fetchOne(db, sql: "SELECT historyId FROM mailboxSync WHERE mailbox = ?", arguments: [mailbox]),
                let processed = UInt64(current), let pushed = UInt64(historyID), pushed <= processed
            {
                return .stale
            }
            try db.execute(
                sql: "INSERT INTO pushNotification (messageId, mailbox, historyId, receivedAt) VALUES (?, ?, ?, ?)",
                arguments: [messageID, mailbox, historyID, now])
            return .queued
        }
    }

    /// Mailboxes with pushes waiting, and the newest queued row id of each (so only those are marked handled
    /// after the sync: a push that arrives during it stays queued for the next).
    public func queuedPushes() async throws(StoreError) -> [(mailbox: String, upTo: Int64)] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT mailbox, MAX(rowid) AS upTo FROM pushNotification WHERE handledAt IS NULL GROUP BY mailbox ORDER BY mailbox")
                .map { ($0["mailbox"], $0["upTo"]) }
        }
    }

    /// After a sync that started once they were queued: those pushes are answered.
    public func markPushesHandled(mailbox: String, upTo: Int64, now: Date) async throws(StoreError) {
        try await write { db in
            try db.execute(
                sql: "UPDATE pushNotification SET handledAt = ? WHERE mailbox = ? AND rowid <= ? AND handledAt IS NULL", arguments: [now, mailbox, upTo])
            // Pub/Sub keeps redelivering for at most 7 days: older answered pushes need not be remembered.
            try db.execute(sql: "DELETE FROM pushNotification WHERE handledAt < ?", arguments: [now.addingTimeInterval(-8 * 86_400)])
        }
    }

    /// Records that a mailbox's history position had expired and was replaced by a read of its recent mail.
    public func recordResync(_ mailbox: String, now: Date) async throws(StoreError) {
        try await write { db in
            try db.execute(sql: "UPDATE mailboxSync SET resyncedAt = ?, resyncCount = resyncCount + 1 WHERE mailbox = ?", arguments: [now, mailbox])
        }
    }

    /// Where the first sync of a mailbox starts: the history position recorded before its first send, so replies
    /// to Cadence's earliest emails are read even if watching began later; nil when it has sent nothing.
    public func firstSyncStart(_ mailbox: String) async throws(StoreError) -> String? {
        try await read { db in
            try String.fetchOne(
                db,
                sql: """
                    SELECT COALESCE(historyCursor, historyId) FROM sendRecord WHERE mailbox = ? AND COALESCE(historyCursor, historyId) IS NOT NULL ORDER BY id LIMIT 1
                    """, arguments: [mailbox])
        }
    }

    /// For the check before every send, in one read: when the mailbox was last read, and the newest push waiting
    /// for it (nil when none).
    public func freshness(_ mailbox: String) async throws(StoreError) -> (syncedAt: Date?, queuedUpTo: Int64?) {
        try await read { db in
            let syncedAt = try Date.fetchOne(db, sql: "SELECT syncedAt FROM mailboxSync WHERE mailbox = ?", arguments: [mailbox])
            let upTo = try Int64.fetchOne(db, sql: "SELECT MAX(rowid) FROM pushNotification WHERE mailbox = ? AND handledAt IS NULL", arguments: [mailbox])
            return (syncedAt, upTo)
        }
    }

    public func syncState(_ mailbox: String) throws(StoreError) -> MailboxSyncState {
        try read { db in try Self.syncState(mailbox, db) }
    }

    public func syncState(_ mailbox: String) async throws(StoreError) -> MailboxSyncState {
        try await read { db in try Self.syncState(mailbox, db) }
    }

    static func syncState(_ mailbox: String, _ db: Database) throws -> MailboxSyncState {
        let sync = try Row.fetchOne(db, sql: "SELECT * FROM mailboxSync WHERE mailbox = ?", arguments: [mailbox])
        let watch = try Row.fetchOne(db, sql: "SELECT * FROM mailboxWatch WHERE mailbox = ?", arguments: [mailbox])
        let queued = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pushNotification WHERE mailbox = ? AND handledAt IS NULL", arguments: [mailbox]) ?? 0
        return MailboxSyncState(
            historyID: sync?["historyId"], syncedAt: sync?["syncedAt"], resyncedAt: sync?["resyncedAt"], resyncCount: sync?["resyncCount"] ?? 0,
            queuedPushes: queued, watchExpiresAt: watch?["expiresAt"], watchRenewedAt: watch?["renewedAt"])
    }

    public func recordWatch(_ mailbox: String, topic: String, expiresAt: Date, now: Date) async throws(StoreError) {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO mailboxWatch (mailbox, topic, expiresAt, renewedAt) VALUES (?, ?, ?, ?)
                    ON CONFLICT (mailbox) DO UPDATE SET topic = excluded.topic, expiresAt = excluded.expiresAt, renewedAt = excluded.renewedAt
                    """, arguments: [mailbox, topic, expiresAt, now])
        }
    }

    public func removeWatch(_ mailbox: String) async throws(StoreError) {
        try await write { db in try db.execute(sql: "DELETE FROM mailboxWatch WHERE mailbox = ?", arguments: [mailbox]) }
    }

    public func watchRegistrations() async throws(StoreError) -> [WatchRegistration] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM mailboxWatch ORDER BY mailbox").map {
                WatchRegistration(mailbox: $0["mailbox"], topic: $0["topic"], expiresAt: $0["expiresAt"], renewedAt: $0["renewedAt"])
            }
        }
    }
}
