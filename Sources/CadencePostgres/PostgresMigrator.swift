import CadenceCore
import Logging
import PostgresNIO

/// Creates or upgrades Cadence's schema on PostgreSQL, in one transaction under an advisory lock, so two hosts
/// running `cadence db migrate` at once cannot both apply a version: the second waits, then finds nothing to do.
/// Runners never migrate; they check (`requireLatest`) and refuse a schema older or newer than they know.
public enum PostgresMigrator {
    /// The advisory lock's key: "CADENCE\u{1}" as a 64-bit number, unlikely to collide with another application's.
    static let lockKey: Int64 = 0x4341_4445_4E43_4501

    public struct Outcome: Sendable, Equatable {
        public var from: Int
        public var to: Int

        public init(from: Int, to: Int) {
            self.from = from
            self.to = to
        }
    }

    /// Applies every version the database lacks; refuses a database whose schema is newer than this binary's.
    public static func migrate(_ database: PostgresConnector, by actor: String) async throws(PostgresFailure) -> Outcome {
        try await database.withConnection { connection in
            try await connection.withTransaction(logger: database.logger) { connection in
                try await migrate(on: connection, by: actor, database.settings, database.logger)
            }
        }
    }

    /// The same, inside a transaction the caller holds (`db copy` creates the schema and the rows in one, so a copy
    /// that fails leaves the database as it was).
    public static func migrate(on connection: PostgresConnection, by actor: String, _ settings: PostgresSettings, _ logger: Logger) async throws -> Outcome {
        try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS cadence_schema (
                version INTEGER PRIMARY KEY,
                migratedAt TIMESTAMPTZ NOT NULL DEFAULT now(),
                migratedBy TEXT NOT NULL
            )
            """, logger: logger)
        let current = try await version(connection, logger)
        if current > PostgresSchema.latest {
            throw PostgresFailure.newerSchema(database: current, known: PostgresSchema.latest, settings)
        }
        for version in stride(from: current + 1, through: PostgresSchema.latest, by: 1) {
            for statement in PostgresSchema.versions[version - 1] {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await connection.query("INSERT INTO cadence_schema (version, migratedBy) VALUES (\(version), \(actor))", logger: logger)
        }
        return Outcome(from: current, to: PostgresSchema.latest)
    }

    /// The database's schema version: 0 when Cadence never migrated it.
    public static func version(_ database: PostgresConnector) async throws(PostgresFailure) -> Int {
        try await database.withConnection { connection in try await version(connection, database.logger) }
    }

    /// For runners and commands that use the database: the schema must be exactly this binary's.
    public static func requireLatest(_ database: PostgresConnector) async throws(PostgresFailure) {
        let found = try await version(database)
        if found > PostgresSchema.latest { throw .newerSchema(database: found, known: PostgresSchema.latest, database.settings) }
        if found < PostgresSchema.latest { throw .needsMigration(database: found, known: PostgresSchema.latest, database.settings) }
    }

    static func version(_ connection: PostgresConnection, _ logger: Logger) async throws -> Int {
        let exists = try await connection.query("SELECT to_regclass('cadence_schema') IS NOT NULL", logger: logger).collect()
        guard try exists.first?.decode(Bool.self) == true else { return 0 }
        let rows = try await connection.query("SELECT COALESCE(MAX(version), 0) FROM cadence_schema", logger: logger).collect()
        return try rows.first?.decode(Int.self) ?? 0
    }
}
