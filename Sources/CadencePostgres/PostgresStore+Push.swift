import CadenceCore
import CadenceStore
import Foundation
import Logging
import PostgresNIO

/// The push queue and `users.watch` registrations on PostgreSQL. Pushes are numbered by `seq` (SQLite's `rowid`), so
/// "the pushes up to this one" means the same on both stores.
extension PostgresStore {
    public func enqueuePush(messageID: String, mailbox: String, historyID: String, now: Date) async throws(StoreError) -> PushOutcome {
        let logger = logger
        return try await transaction { connection in
            if try await connection.record("SELECT 1 AS found FROM pushNotification WHERE messageId = \(messageID)", logger) != nil { return .duplicate }
            if let current = try await connection.record("SELECT historyId FROM mailboxSync WHERE mailbox = \(mailbox)", logger),
                let processed = UInt64(try current("historyId", as: String.self)), let pushed = UInt64(historyID), pushed <= processed
            {
                return .stale
            }
            // Pub/Sub may deliver the same message to two servers at once: the second finds it queued.
            let inserted = try await connection.record(
                """
                INSERT INTO pushNotification (messageId, mailbox, historyId, receivedAt) VALUES (\(messageID), \(mailbox), \(historyID), \(now))
                ON CONFLICT (messageId) DO NOTHING RETURNING seq
                """, logger)
            guard inserted != nil else { return .duplicate }
            // Delivered when this transaction commits, to the runners listening: the one that holds the mailbox
            // reads it at once.
            try await connection.execute("SELECT pg_notify(\(Self.pushChannel), \(mailbox))", logger)
            return .queued
        }
    }

    public func queuedPushes() async throws(StoreError) -> [(mailbox: String, upTo: Int64)] {
        let logger = logger
        let rows: [(String, Int64)] = try await read { connection in
            try await connection.records(
                "SELECT mailbox, MAX(seq) AS upTo FROM pushNotification WHERE handledAt IS NULL GROUP BY mailbox ORDER BY mailbox COLLATE \"C\"", logger
            ).map { (try $0("mailbox"), try $0("upTo")) }
        }
        return rows.map { (mailbox: $0.0, upTo: $0.1) }
    }

    public func markPushesHandled(mailbox: String, upTo: Int64, now: Date) async throws(StoreError) {
        let logger = logger
        try await transaction { connection in
            try await connection.execute(
                "UPDATE pushNotification SET handledAt = \(now) WHERE mailbox = \(mailbox) AND seq <= \(upTo) AND handledAt IS NULL", logger)
            // Pub/Sub keeps redelivering for at most 7 days: older answered pushes need not be remembered.
            try await connection.execute("DELETE FROM pushNotification WHERE handledAt < \(now.addingTimeInterval(-8 * 86_400))", logger)
        }
    }

    public func freshness(_ mailbox: String) async throws(StoreError) -> (syncedAt: Date?, queuedUpTo: Int64?) {
        let logger = logger
        let found: (Date?, Int64?) = try await transaction { connection in
            let syncedAt: Date? = try await connection.record("SELECT syncedAt FROM mailboxSync WHERE mailbox = \(mailbox)", logger)?("syncedAt")
            let upTo: Int64? = try await connection.record(
                "SELECT MAX(seq) AS upTo FROM pushNotification WHERE mailbox = \(mailbox) AND handledAt IS NULL", logger)?("upTo")
            return (syncedAt, upTo)
        }
        return (syncedAt: found.0, queuedUpTo: found.1)
    }

    public func watchRegistrations() async throws(StoreError) -> [WatchRegistration] {
        let logger = logger
        return try await read { connection in
            try await connection.records("SELECT mailbox, topic, expiresAt, renewedAt FROM mailboxWatch ORDER BY mailbox COLLATE \"C\"", logger).map {
                WatchRegistration(mailbox: try $0("mailbox"), topic: try $0("topic"), expiresAt: try $0("expiresAt"), renewedAt: try $0("renewedAt"))
            }
        }
    }

    public func recordWatch(_ mailbox: String, topic: String, expiresAt: Date, now: Date) async throws(StoreError) {
        let logger = logger
        try await transaction { connection in
            try await connection.execute(
                """
                INSERT INTO mailboxWatch (mailbox, topic, expiresAt, renewedAt) VALUES (\(mailbox), \(topic), \(expiresAt), \(now))
                ON CONFLICT (mailbox) DO UPDATE SET topic = EXCLUDED.topic, expiresAt = EXCLUDED.expiresAt, renewedAt = EXCLUDED.renewedAt
                """, logger)
        }
    }

    public func removeWatch(_ mailbox: String) async throws(StoreError) {
        let logger = logger
        try await transaction { connection in
            try await connection.execute("DELETE FROM mailboxWatch WHERE mailbox = \(mailbox)", logger)
        }
    }
}
