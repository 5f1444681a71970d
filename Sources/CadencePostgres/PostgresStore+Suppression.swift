import CadenceCore
import CadenceStore
import Foundation
import Logging
import PostgresNIO

/// `cadence suppress` on PostgreSQL. Runners read the list again before every send, and a launch reads it again
/// when it changes, so an entry added here takes effect at once everywhere.
extension PostgresStore {
    public func suppress(_ entries: [(kind: Suppression.Kind, value: String)], reason: String, actor: String, now: Date) async throws(StoreError) -> Int {
        let logger = logger
        return try await transaction { connection in
            var added = 0
            // Many rows a statement: an imported list of 100,000 addresses is a few round trips, not 100,000.
            var start = 0
            while start < entries.count {
                let chunk = entries[start..<min(entries.count, start + 10_000)]
                let kinds = chunk.map(\.kind.rawValue), values = chunk.map(\.value)
                let row = try await connection.record(
                    """
                    WITH added AS (
                        INSERT INTO suppression (kind, value, reason, actor, createdAt)
                        SELECT kind, value, \(reason), \(actor), \(now) FROM unnest(\(kinds)::text[], \(values)::text[]) WITH ORDINALITY AS u(kind, value, n) ORDER BY n
                        ON CONFLICT (kind, value) DO NOTHING RETURNING 1
                    ) SELECT COUNT(*) AS n FROM added
                    """, logger)
                added += Int(try row?("n", as: Int64.self) ?? 0)
                start += chunk.count
            }
            return added
        }
    }

    public func unsuppress(kind: Suppression.Kind, value: String) async throws(StoreError) -> Bool {
        let logger = logger
        return try await transaction { connection in
            try await connection.record("DELETE FROM suppression WHERE kind = \(kind.rawValue) AND value = \(value) RETURNING id", logger) != nil
        }
    }

    public func suppressions() async throws(StoreError) -> [Suppression] {
        let logger = logger
        return try await read { connection in
            try await connection.records("SELECT kind, value, reason, actor, createdAt FROM suppression ORDER BY kind COLLATE \"C\", value COLLATE \"C\"", logger).map {
                Suppression(
                    kind: Suppression.Kind(rawValue: try $0("kind")) ?? .address, value: try $0("value"), reason: try $0("reason"), actor: try $0("actor"),
                    createdAt: try $0("createdAt"))
            }
        }
    }
}
