import CadenceCore
import CadenceGmail
import CadencePostgres
import CadenceStore
import Foundation
import PostgresNIO

/// `cadence db copy --from A --to B`: moves a whole Cadence database between SQLite and PostgreSQL, either way (or
/// between two of the same kind), for a team that outgrows one file or comes back to one.
///
/// It refuses while a runner holds the lease or a send is in doubt (a copy taken then could send twice or lose a
/// send), and into a destination that holds any row. Rows keep their ids; every table's row count and checksum
/// (`TableChecksum`, in key order) must match on both sides before the copy is kept: a PostgreSQL destination is
/// written in one transaction, committed only then, with its id sequences moved past the copied rows; a SQLite
/// destination is written beside its final name and written out whole (`VACUUM INTO`) only then.
public enum DatabaseCopy {
    public struct Report: Sendable, CustomStringConvertible {
        public var source: String
        public var destination: String
        public var tables: [(name: String, rows: Int)]

        public var description: String {
            let width = tables.map(\.name.count).max() ?? 0
            var lines = ["Copied \(source) to \(destination):"]
            for table in tables where table.rows > 0 {
                lines.append("  " + table.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(table.rows) row\(table.rows == 1 ? "" : "s")")
            }
            lines.append("Every table's row count and checksum match (\(tables.count) tables, \(tables.map(\.rows).reduce(0, +)) rows).")
            return lines.joined(separator: "\n")
        }
    }

    static let pageSize = 2_000

    public static func copy(
        from source: String, to destination: String, passwordReference: (String) -> SecretReference?, secrets: SecretStore, environment: [String: String],
        actor: String, now: Date
    ) async throws(DatabaseCommandFailure) -> Report {
        func connector(_ url: String) throws(DatabaseCommandFailure) -> PostgresConnector {
            try PostgresTarget.connector(url, passwordReference: passwordReference(url), secrets: secrets, environment: environment)
        }
        let sourceName = PostgresSettings.isURL(source) ? try connector(source).settings.description : (source as NSString).standardizingPath
        let destinationName =
            PostgresSettings.isURL(destination) ? try connector(destination).settings.description : (destination as NSString).standardizingPath
        if sourceName == destinationName { throw .refused(["the source and the destination are the same database"]) }
        do {
            let tables = try await withSource(source, connector: connector) { from in
                let blockers = try await from.copyBlockers(now: now)
                if !blockers.isEmpty { throw DatabaseCommandFailure.refused(blockers) }
                return try await withDestination(destination, connector: connector, actor: actor) { to in
                    try await transfer(from: from, to: to)
                }
            }
            return Report(source: sourceName, destination: destinationName, tables: tables)
        } catch let failure as DatabaseCommandFailure {
            throw failure
        } catch let failure as PostgresFailure {
            throw .postgres(failure)
        } catch let error as StoreError {
            throw .store(error)
        } catch {
            throw .copy("the copy failed and the destination was left as it was: \(error)")
        }
    }

    /// Copies every table a page at a time, then compares counts and checksums table by table.
    static func transfer(from: any CopyEndpoint, to: any CopyEndpoint) async throws -> [(name: String, rows: Int)] {
        var copied: [(name: String, rows: Int)] = []
        for table in TableLayout.all {
            var offset = 0
            while true {
                let rows = try await from.rows(of: table, offset: offset, limit: pageSize)
                try await to.insert(rows, into: table)
                offset += rows.count
                if rows.count < pageSize { break }
            }
            copied.append((table.name, offset))
        }
        for table in TableLayout.all {
            let (sourceRows, sourceSum) = try await checksum(table, from)
            let (destinationRows, destinationSum) = try await checksum(table, to)
            guard sourceRows == destinationRows, sourceSum == destinationSum else {
                throw DatabaseCommandFailure.mismatch(
                    "\(table.name) differs after copying (\(sourceRows) rows in the source, \(destinationRows) in the destination\(sourceRows == destinationRows ? ", checksums differ" : "")); the destination was left as it was. If something wrote to the source meanwhile, stop every cadence command and runner, then copy again"
                )
            }
        }
        try await to.finish()
        return copied
    }

    static func checksum(_ table: TableLayout, _ endpoint: any CopyEndpoint) async throws -> (Int, String) {
        var sum = TableChecksum()
        var offset = 0
        while true {
            let rows = try await endpoint.rows(of: table, offset: offset, limit: pageSize)
            for row in rows { sum.add(row) }
            offset += rows.count
            if rows.count < pageSize { break }
        }
        return (sum.rows, sum.finalize())
    }

    static func withSource<T: Sendable>(
        _ source: String, connector: (String) throws(DatabaseCommandFailure) -> PostgresConnector, _ body: (any CopyEndpoint) async throws -> T
    ) async throws -> T {
        guard PostgresSettings.isURL(source) else {
            let database = try CadenceDatabase.open(path: source, mode: .existing)
            return try await body(SQLiteCopyEndpoint(database: database))
        }
        let postgres = try connector(source)
        try await PostgresMigrator.requireLatest(postgres)
        return try await postgres.withConnection { connection in try await body(PostgresCopyEndpoint(io: PostgresTableIO(connection: connection))) }
    }

    static func withDestination<T: Sendable>(
        _ destination: String, connector: (String) throws(DatabaseCommandFailure) -> PostgresConnector, actor: String,
        _ body: (any CopyEndpoint) async throws -> T
    ) async throws -> T {
        guard PostgresSettings.isURL(destination) else {
            if FileManager.default.fileExists(atPath: destination) {
                throw DatabaseCommandFailure.refused(["\(destination) exists; copy into a new file (or move the old one aside)"])
            }
            // Written and checked beside its final name, then written out whole (VACUUM INTO): a copy that fails or
            // does not match leaves no file at the destination.
            let partial = destination + ".copying"
            func removePartial() { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: partial + suffix) } }
            removePartial()
            do {
                let database = try CadenceDatabase.open(path: partial, mode: .create)
                let result = try await body(SQLiteCopyEndpoint(database: database))
                try database.export(to: destination)
                removePartial()
                return result
            } catch {
                removePartial()
                throw error
            }
        }
        let postgres = try connector(destination)
        _ = try await PostgresMigrator.migrate(postgres, by: actor)
        return try await postgres.withConnection { connection in
            try await connection.withTransaction(logger: postgres.logger) { connection in
                let endpoint = PostgresCopyEndpoint(io: PostgresTableIO(connection: connection))
                var filled: [String] = []
                for table in TableLayout.all where try await endpoint.count(of: table) > 0 { filled.append(table.name) }
                if !filled.isEmpty {
                    throw DatabaseCommandFailure.refused(["\(postgres.settings) already holds rows (in \(filled.joined(separator: ", "))); copy into an empty database"])
                }
                return try await body(endpoint)
            }
        }
    }
}

/// One side of a copy: SQLite or PostgreSQL.
protocol CopyEndpoint: Sendable {
    func rows(of table: TableLayout, offset: Int, limit: Int) async throws -> [[CellValue]]
    func count(of table: TableLayout) async throws -> Int
    func insert(_ rows: [[CellValue]], into table: TableLayout) async throws
    func copyBlockers(now: Date) async throws -> [String]
    /// After the check, before the copy is kept.
    func finish() async throws
}

struct SQLiteCopyEndpoint: CopyEndpoint {
    let database: CadenceDatabase

    func rows(of table: TableLayout, offset: Int, limit: Int) async throws -> [[CellValue]] { try database.rows(of: table, offset: offset, limit: limit) }
    func count(of table: TableLayout) async throws -> Int { try database.count(of: table) }
    func insert(_ rows: [[CellValue]], into table: TableLayout) async throws { try database.insert(rows, into: table) }
    func copyBlockers(now: Date) async throws -> [String] { try database.copyBlockers(now: now) }
    func finish() async throws {}
}

struct PostgresCopyEndpoint: CopyEndpoint {
    let io: PostgresTableIO

    func rows(of table: TableLayout, offset: Int, limit: Int) async throws -> [[CellValue]] { try await io.rows(of: table, offset: offset, limit: limit) }
    func count(of table: TableLayout) async throws -> Int { try await io.count(of: table) }
    func insert(_ rows: [[CellValue]], into table: TableLayout) async throws { try await io.insert(rows, into: table) }
    func copyBlockers(now: Date) async throws -> [String] { try await io.copyBlockers(now: now) }
    func finish() async throws {
        for table in TableLayout.all { try await io.resetSequence(of: table) }
    }
}
