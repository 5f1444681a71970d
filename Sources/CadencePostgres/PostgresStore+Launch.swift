import CadenceCore
import CadenceStore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// `cadence launch` on PostgreSQL.
extension PostgresStore {
    /// The advisory lock a launch holds for its whole transaction: "CADENCE\u{2}". Launches run one after another,
    /// as on SQLite, since each balances mailboxes by the people already in progress and spreads starts over days
    /// counting earlier launches.
    static let launchLockKey: Int64 = 0x4341_4445_4E43_4502

    /// Runs a launch in one transaction: records the campaign's first version if it has none, then lets `body`
    /// enrol rows through the session. `commit: false` (a dry run, or a launch that found bad rows) rolls
    /// everything back. Errors from `body` (an unreadable file) come back as they were thrown, after the rollback.
    public func launch<T: Sendable>(
        _ campaign: CadenceDatabase.LaunchCampaign, actor: String, now: Date, allowConcurrent: Bool, launchID: String, firstStep: String,
        _ body: (PostgresLaunchSession) async throws -> (result: T, commit: Bool)
    ) async throws -> T {
        let logger = logger
        do {
            return try await client.withConnection { connection in
                try await connection.execute("BEGIN", logger)
                do {
                    try await connection.execute("SELECT pg_advisory_xact_lock(\(Self.launchLockKey))", logger)
                    if try await connection.record("SELECT version FROM campaign WHERE id = \(campaign.id)", logger) == nil {
                        try await Self.saveVersion(campaign, version: 1, actor: actor, now: now, connection, logger)
                    }
                    let session = try await PostgresLaunchSession(
                        connection: connection, logger: logger, campaignID: campaign.id, launchID: launchID, actor: actor, now: now,
                        allowConcurrent: allowConcurrent, firstStep: firstStep)
                    let (result, commit) = try await body(session)
                    try await session.flush()
                    if commit { try await session.countEnrolments() }
                    try await connection.execute(commit ? "COMMIT" : "ROLLBACK", logger)
                    return result
                } catch {
                    try? await connection.execute("ROLLBACK", logger)
                    throw error
                }
            }
        } catch let error as PSQLError {
            // Another transaction locking many people at once (a pause of another campaign, the runners' tasks)
            // met this launch's locks in the other order: PostgreSQL gave up one of the two. Nothing was written.
            if let state = error.serverInfo?[.sqlState], ["40P01", "40001"].contains(state) { throw LaunchConflict(reason: storeError(error).description) }
            throw storeError(error)
        }
    }

    /// A launch that PostgreSQL chose to end because another transaction needed the rows it held (a deadlock);
    /// nothing of it was kept, and running it again is safe.
    public struct LaunchConflict: Error, Sendable, CustomStringConvertible {
        public var reason: String
        public var description: String { "\(reason); nothing was written" }

        public init(reason: String) {
            self.reason = reason
        }
    }

    /// A campaign's version, with its files, as `CadenceDatabase.saveVersion` records it: the first creates the
    /// campaign's row, a later one (an update) moves it on.
    static func saveVersion(
        _ campaign: CadenceDatabase.LaunchCampaign, version: Int, actor: String, now: Date, _ connection: PostgresConnection, _ logger: Logger
    ) async throws {
        let zone = campaign.files.first { $0.kind == .campaign }.flatMap { CadenceDatabase.definition(content: $0.content, path: $0.path) }?.timeZone
        let number = Int32(version)
        if version == 1 {
            try await connection.execute(
                """
                INSERT INTO campaign (id, name, sourcePath, version, createdAt, updatedAt, timeZone)
                VALUES (\(campaign.id), \(campaign.name), \(campaign.sourcePath), 1, \(now), \(now), \(zone ?? "UTC"))
                """, logger)
        } else {
            try await connection.execute(
                """
                UPDATE campaign SET name = \(campaign.name), sourcePath = \(campaign.sourcePath), version = \(number), updatedAt = \(now),
                timeZone = COALESCE(\(zone), timeZone) WHERE id = \(campaign.id)
                """, logger)
        }
        try await connection.execute(
            "INSERT INTO campaignVersion (campaignId, version, digest, createdAt) VALUES (\(campaign.id), \(number), \(campaign.digest), \(now))", logger)
        for file in campaign.files {
            try await connection.execute(
                """
                INSERT INTO snapshotFile (campaignId, version, kind, path, content, digest)
                VALUES (\(campaign.id), \(number), \(file.kind.rawValue), \(file.path), \(ByteBuffer(bytes: file.content)), \(file.digest))
                """, logger)
        }
        let kind = version == 1 ? EventKind.campaignLaunched : .campaignUpdated
        try await connection.execute(
            "INSERT INTO event (at, campaignId, kind, actor, detail) VALUES (\(now), \(campaign.id), \(kind.rawValue), \(actor), \("version \(version)"))", logger)
    }

    /// How many people each mailbox has in progress, in every campaign: a launch gives new people to the mailboxes
    /// with the most room.
    public func enrollmentsInProgress() async throws(StoreError) -> [String: Int] {
        let logger = logger
        let states = EnrollmentStatus.inProgress.map(\.rawValue)
        return try await read { connection in
            var counts: [String: Int] = [:]
            for try await (mailbox, count) in try await connection.query(
                "SELECT mailbox, COUNT(*) FROM enrollment WHERE state = ANY(\(states)) GROUP BY mailbox", logger: logger
            ).decode((String, Int64).self) {
                counts[mailbox] = Int(count)
            }
            return counts
        }
    }
}
