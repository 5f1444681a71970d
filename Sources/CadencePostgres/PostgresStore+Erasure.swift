import CadenceCore
import CadenceStore
import Foundation
import Logging
import PostgresNIO

/// `cadence forget` on PostgreSQL: the same rows erased as on SQLite, in one transaction, the person's row locked
/// first as every decision about them locks it (a send being recorded for them finishes first, or finds them gone).
extension PostgresStore {
    public func forget(addressKey: String, actor: String, now: Date) async throws(StoreError) -> Erasure {
        let logger = logger
        return try await transaction { connection in
            // A launch running now may be adding this person in rows not yet visible: wait for it to commit, so
            // they are found and erased, not written back after the erasure.
            try await connection.execute("SELECT pg_advisory_xact_lock_shared(\(Self.launchLockKey))", logger)
            try await connection.execute(
                """
                INSERT INTO suppression (kind, value, reason, actor, createdAt) VALUES ('hash', \(AddressKey.hash(addressKey)), 'erasure request', \(actor), \(now))
                ON CONFLICT (kind, value) DO NOTHING
                """, logger)
            try await connection.execute("DELETE FROM suppression WHERE kind = 'address' AND value = \(addressKey)", logger)
            guard let candidate = try await connection.record("SELECT id FROM candidate WHERE addressKey = \(addressKey) FOR UPDATE", logger) else {
                return Erasure(found: false, enrollments: 0, storage: .untilVacuumAndBackups)
            }
            let id: Int64 = try candidate("id")
            let enrollments = Int(try await connection.record("SELECT COUNT(*) AS n FROM enrollment WHERE candidateId = \(id)", logger)?("n", as: Int64.self) ?? 0)
            // Their replies' snippets. The rows stay, emptied, as the mark that Gmail's message was processed: a later
            // re-read of the mailbox must not record it again, snippet and all.
            try await connection.execute(
                "UPDATE incomingMessage SET snippet = '', enrollmentId = NULL WHERE enrollmentId IN (SELECT id FROM enrollment WHERE candidateId = \(id))", logger)
            try await connection.execute(
                """
                INSERT INTO erasedTracking (trackingId) SELECT trackingId FROM sendRecord
                WHERE trackingId IS NOT NULL AND enrollmentId IN (SELECT id FROM enrollment WHERE candidateId = \(id)) ON CONFLICT (trackingId) DO NOTHING
                """, logger)
            try await connection.execute("DELETE FROM candidate WHERE id = \(id)", logger)  // cascades to enrolments, events, tasks, sends
            try await connection.execute(
                "INSERT INTO event (at, kind, actor, detail) VALUES (\(now), \(EventKind.forgotten.rawValue), \(actor), \(CadenceDatabase.erasureNote(enrollments)))",
                logger)
            return Erasure(found: true, enrollments: enrollments, storage: .untilVacuumAndBackups)
        }
    }
}
