import CadenceCore
import Foundation
import GRDB

extension CadenceDatabase {
    public func publishMetrics(owner: String, exposition: String, now: Date) async throws(StoreError) {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO runnerMetrics (owner, exposition, updatedAt) VALUES (?, ?, ?)
                    ON CONFLICT (owner) DO UPDATE SET exposition = excluded.exposition, updatedAt = excluded.updatedAt
                    """, arguments: [owner, exposition, now])
            // Every restart is a new runner: the reports of those gone a day are let go.
            try db.execute(sql: "DELETE FROM runnerMetrics WHERE updatedAt < ?", arguments: [now.addingTimeInterval(-FleetSnapshot.kept)])
        }
    }

    public func fleetSnapshot(now: Date) async throws(StoreError) -> FleetSnapshot {
        try await read { db in
            var snapshot = FleetSnapshot()
            for row in try Row.fetchAll(db, sql: "SELECT owner, expiresAt FROM runnerLease WHERE expiresAt > ?", arguments: [now]) {
                snapshot.leases.append(.init(mailbox: nil, owner: row["owner"], expiresAt: row["expiresAt"]))
            }
            snapshot.sendsInDoubt = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sendRecord WHERE state IN ('intent', 'unknown')") ?? 0
            snapshot.stepsDue = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM enrollment WHERE state = 'active' AND dueAt <= ?", arguments: [now]) ?? 0
            for row in try Row.fetchAll(db, sql: "SELECT mailbox, until FROM mailboxPause WHERE until > ?", arguments: [now]) {
                snapshot.pausedMailboxes[row["mailbox"]] = row["until"]
            }
            snapshot.runners = try Row.fetchAll(
                db, sql: "SELECT owner, exposition, updatedAt FROM runnerMetrics WHERE updatedAt >= ? ORDER BY updatedAt DESC, owner",
                arguments: [now.addingTimeInterval(-FleetSnapshot.reportsFor)]
            ).map {
                .init(owner: $0["owner"], exposition: $0["exposition"], updatedAt: $0["updatedAt"])
            }
            return snapshot
        }
    }
}
