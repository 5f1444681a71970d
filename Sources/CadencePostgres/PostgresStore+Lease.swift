import CadenceCore
import CadenceStore
import Foundation
import Logging
import PostgresNIO

/// The one runner lease, as the SQLite store keeps it: renewing keeps the fence, changing hands moves it on, and
/// releasing keeps the row so the next holder's fence is still larger. The row is locked for update here and for
/// share by every fenced write, so a lease cannot change hands in the middle of one.
extension PostgresStore {
    public func acquireLease(owner: String, now: Date, seconds: TimeInterval) async throws(StoreError) -> LeaseAnswer {
        let logger = logger
        return try await transaction { connection in
            // A first lease ever: the row must exist before it can be locked, or two first runners would both
            // insert one.
            try await connection.execute("INSERT INTO runnerLease (id, owner, expiresAt, fence) VALUES (1, '', 'epoch', 0) ON CONFLICT (id) DO NOTHING", logger)
            guard let row = try await connection.record("SELECT owner, expiresAt, fence FROM runnerLease WHERE id = 1 FOR NO KEY UPDATE", logger) else {
                throw UnreadableValue(description: "the runner lease row vanished")
            }
            let holder: String = try row("owner")
            let expiresAt: Date = try row("expiresAt")
            let previous: Int64 = try row("fence")
            if holder != owner, expiresAt > now { return .busy(owner: holder, until: expiresAt) }
            let lease = RunnerLease(owner: owner, fence: holder == owner ? previous : previous + 1, expiresAt: now.addingTimeInterval(seconds))
            try await Self.store(lease, connection, logger)
            return .held(lease)
        }
    }

    public func takeOverLease(from previous: String, owner: String, now: Date, seconds: TimeInterval) async throws(StoreError) -> RunnerLease? {
        let logger = logger
        return try await transaction { connection in
            guard let row = try await connection.record("SELECT owner, fence FROM runnerLease WHERE id = 1 FOR NO KEY UPDATE", logger),
                try row("owner", as: String.self) == previous
            else { return nil }
            let lease = RunnerLease(owner: owner, fence: try row("fence", as: Int64.self) + 1, expiresAt: now.addingTimeInterval(seconds))
            try await Self.store(lease, connection, logger)
            return lease
        }
    }

    public func releaseLease(owner: String) async throws(StoreError) {
        let logger = logger
        try await transaction { connection in
            try await connection.execute("UPDATE runnerLease SET expiresAt = 'epoch' WHERE id = 1 AND owner = \(owner)", logger)
        }
    }

    public func currentLease() async throws(StoreError) -> RunnerLease? {
        let logger = logger
        return try await transaction { connection in
            guard let row = try await connection.record("SELECT owner, expiresAt, fence FROM runnerLease WHERE id = 1", logger) else { return nil }
            return RunnerLease(owner: try row("owner"), fence: try row("fence"), expiresAt: try row("expiresAt"))
        }
    }

    static func store(_ lease: RunnerLease, _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.execute(
            """
            INSERT INTO runnerLease (id, owner, expiresAt, fence) VALUES (1, \(lease.owner), \(lease.expiresAt), \(lease.fence))
            ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, expiresAt = EXCLUDED.expiresAt, fence = EXCLUDED.fence
            """, logger)
    }
}
