import CadenceCore
import CadenceStore
import Foundation
import Logging
import PostgresNIO

extension PostgresStore {
    public func publishMetrics(owner: String, exposition: String, now: Date) async throws(StoreError) {
        let logger = logger
        try await transaction { connection in
            try await connection.execute(
                """
                INSERT INTO runnerMetrics (owner, exposition, updatedAt) VALUES (\(owner), \(exposition), \(now))
                ON CONFLICT (owner) DO UPDATE SET exposition = EXCLUDED.exposition, updatedAt = EXCLUDED.updatedAt
                """, logger)
            // Every restart is a new runner: the reports of those gone a day are let go.
            try await connection.execute("DELETE FROM runnerMetrics WHERE updatedAt < \(now.addingTimeInterval(-FleetSnapshot.kept))", logger)
        }
    }

    /// Leases are the database's own (`now()`), as runners take them; the rest is counted at `now`.
    public func fleetSnapshot(now: Date) async throws(StoreError) -> FleetSnapshot {
        let logger = logger
        return try await transaction { connection in
            // One instant for every count, and nothing written.
            try await connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger)
            var snapshot = FleetSnapshot()
            for try await (mailbox, owner, expiresAt) in try await connection.query(
                "SELECT mailbox, owner, expiresAt FROM mailboxLease WHERE owner <> '' AND expiresAt > now() ORDER BY mailbox COLLATE \"C\"", logger: logger
            ).decode((String, String, Date).self) {
                snapshot.leases.append(.init(mailbox: mailbox, owner: owner, expiresAt: expiresAt))
            }
            for try await (owner, expiresAt) in try await connection.query(
                "SELECT owner, expiresAt FROM runnerLease WHERE expiresAt > now()", logger: logger
            ).decode((String, Date).self) {
                snapshot.leases.append(.init(mailbox: nil, owner: owner, expiresAt: expiresAt))
            }
            snapshot.sendsInDoubt = Int(
                try await connection.query("SELECT COUNT(*) FROM sendRecord WHERE state IN ('intent', 'unknown')", logger: logger).collect().first?.decode(Int64.self)
                    ?? 0)
            snapshot.stepsDue = Int(
                try await connection.query("SELECT COUNT(*) FROM enrollment WHERE state = 'active' AND dueAt <= \(now)", logger: logger).collect().first?.decode(
                    Int64.self) ?? 0)
            for try await (mailbox, until) in try await connection.query("SELECT mailbox, until FROM mailboxPause WHERE until > \(now)", logger: logger).decode(
                (String, Date).self)
            {
                snapshot.pausedMailboxes[mailbox] = until
            }
            for try await (owner, exposition, updatedAt) in try await connection.query(
                """
                SELECT owner, exposition, updatedAt FROM runnerMetrics WHERE updatedAt >= \(now.addingTimeInterval(-FleetSnapshot.reportsFor))
                ORDER BY updatedAt DESC, owner COLLATE "C"
                """, logger: logger
            ).decode((String, String, Date).self) {
                snapshot.runners.append(.init(owner: owner, exposition: exposition, updatedAt: updatedAt))
            }
            return snapshot
        }
    }
}
