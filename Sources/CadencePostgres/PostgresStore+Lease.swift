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
        return try await read { connection in
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

/// Mailbox leases: how runners on several hosts share one database. Every time is the database's (`now()`), so
/// hosts whose clocks disagree still agree on who holds what.
extension PostgresStore {
    public func shareMailboxes(
        owner: String, mailboxes: [String], now: Date, seconds: TimeInterval, callBound: TimeInterval
    ) async throws(StoreError) -> MailboxShare {
        let logger = logger
        return try await transaction { connection in
            guard let clock = try await connection.record("SELECT now() AS now", logger) else { throw UnreadableValue(description: "now() returned nothing") }
            let serverNow: Date = try clock("now")
            // A copy (or anything else holding the database's one lease) keeps every runner out while it reads.
            if let holder = try await connection.record("SELECT owner, expiresAt FROM runnerLease WHERE id = 1 AND expiresAt > now() AND owner <> \(owner)", logger) {
                return MailboxShare(now: serverNow, leases: [], busy: .init(owner: try holder("owner"), until: try holder("expiresAt")), shared: true)
            }
            let lifetime = Self.interval(seconds)
            try await connection.execute(
                """
                INSERT INTO runnerPresence (owner, expiresAt) VALUES (\(owner), now() + \(lifetime)::interval)
                ON CONFLICT (owner) DO UPDATE SET expiresAt = EXCLUDED.expiresAt
                """, logger)
            try await connection.execute("DELETE FROM runnerPresence WHERE expiresAt < now() - interval '1 day'", logger)
            let runners = max(1, Int(try await connection.record("SELECT COUNT(*) AS n FROM runnerPresence WHERE expiresAt > now()", logger)?("n", as: Int64.self) ?? 1))
            let wanted = Array(Set(mailboxes)).sorted()
            // A fair share, rounded up: with 50 mailboxes and 4 runners, no runner holds more than 13.
            let share = (wanted.count + runners - 1) / runners
            try await connection.execute(
                """
                INSERT INTO mailboxLease (mailbox, owner, expiresAt, fence, reconcileFrom)
                SELECT mailbox, '', 'epoch', 0, 'epoch' FROM unnest(\(wanted)::text[]) AS wanted(mailbox) ON CONFLICT (mailbox) DO NOTHING
                """, logger)
            // This runner's own live leases, locked (and waited for: nobody else takes a live lease).
            let held: [String] = try await connection.records(
                """
                SELECT mailbox FROM mailboxLease WHERE mailbox = ANY(\(wanted)) AND owner = \(owner) AND expiresAt > now()
                ORDER BY mailbox FOR NO KEY UPDATE
                """, logger
            ).map { try $0("mailbox") }
            // Over the share (another runner joined): the last ones go back at once. A runner renews only between
            // its calls (never while a send of its own is out), so the next holder need not wait for any (no owner);
            // and the fence moves on now, so nothing this runner still meant to record under it is accepted.
            let kept = Array(held.prefix(share))
            let handedBack = Array(held.dropFirst(share))
            if !handedBack.isEmpty {
                try await connection.execute(
                    "UPDATE mailboxLease SET expiresAt = now(), owner = '', fence = fence + 1 WHERE mailbox = ANY(\(handedBack)) AND owner = \(owner)", logger)
            }
            try await connection.execute(
                "UPDATE mailboxLease SET expiresAt = now() + \(lifetime)::interval WHERE mailbox = ANY(\(kept)) AND owner = \(owner)", logger)
            // Free ones up to the share: a row another runner is taking this instant is skipped, not waited for.
            let room = max(0, share - kept.count)
            let taking: [(mailbox: String, owner: String)] =
                room == 0
                ? []
                : try await connection.records(
                    """
                    SELECT mailbox, owner FROM mailboxLease WHERE mailbox = ANY(\(wanted)) AND expiresAt <= now() AND NOT (mailbox = ANY(\(handedBack)))
                    ORDER BY mailbox LIMIT \(room) FOR NO KEY UPDATE SKIP LOCKED
                    """, logger
                ).map { (try $0("mailbox"), try $0("owner")) }
            let bound = Self.interval(callBound)
            for taken in taking {
                // A lease that ran out while its holder was alive: the holder's calls may still be going on until
                // then, so its sends in doubt are confirmed only after the longest call and a margin more. One handed
                // back or released has no owner: nothing of it is in flight.
                let fresh = taken.owner.isEmpty || taken.owner == owner
                try await connection.execute(
                    """
                    UPDATE mailboxLease SET owner = \(owner), fence = fence + 1, expiresAt = now() + \(lifetime)::interval,
                    reconcileFrom = CASE WHEN \(fresh) THEN now() ELSE GREATEST(now(), expiresAt + \(bound)::interval) END
                    WHERE mailbox = \(taken.mailbox)
                    """, logger)
            }
            let mine = kept + taking.map(\.mailbox)
            let leases = try await connection.records(
                "SELECT mailbox, fence, expiresAt, reconcileFrom FROM mailboxLease WHERE mailbox = ANY(\(mine)) AND owner = \(owner) ORDER BY mailbox", logger
            ).map { MailboxLease(mailbox: try $0("mailbox"), fence: try $0("fence"), expiresAt: try $0("expiresAt"), reconcileFrom: try $0("reconcileFrom")) }
            return MailboxShare(now: serverNow, leases: leases, shared: true)
        }
    }

    public func releaseMailboxes(owner: String) async throws(StoreError) {
        let logger = logger
        try await transaction { connection in
            // A stop: the next holders need not wait for this runner's calls (no owner), and the fence moves on, so
            // nothing it recorded late would be accepted.
            try await connection.execute(
                "UPDATE mailboxLease SET expiresAt = now(), owner = '', fence = fence + 1 WHERE owner = \(owner) AND expiresAt > now()", logger)
            try await connection.execute("DELETE FROM runnerPresence WHERE owner = \(owner)", logger)
        }
    }

    /// Seconds as PostgreSQL interval text, to the millisecond.
    static func interval(_ seconds: TimeInterval) -> String {
        String(format: "%.3f seconds", max(0, seconds))
    }
}
