import CadenceCore
import CadenceGmail
import CadencePostgres
import CadenceStore
import Foundation
import PostgresNIO

/// `cadence db copy --from A --to B`: moves a whole Cadence database between SQLite and PostgreSQL, either way (or
/// between two of the same kind), for a team that outgrows one file or comes back to one.
///
/// It holds the source's runner lease while it reads, and refuses when a runner holds it or a send is in doubt (a
/// copy taken then could send twice or lose a send), and into a destination that holds any row. Rows keep their
/// ids; every table's row count and checksum (`TableChecksum`, in key order) must match on both sides before the copy is kept: a PostgreSQL destination is
/// written in one transaction, committed only then, with its id sequences moved past the copied rows; a SQLite
/// destination is written beside its final name and written out whole (`VACUUM INTO`) only then.
public enum DatabaseCopy {
    public struct Report: Sendable, CustomStringConvertible {
        public var source: String
        public var destination: String
        public var tables: [(name: String, rows: Int)]
        /// Files an interrupted copy left beside a SQLite destination: named, not deleted (one may be another copy's,
        /// still running), since each holds a full copy of the data.
        public var leftovers: [String] = []

        public var description: String {
            let width = tables.map(\.name.count).max() ?? 0
            var lines = ["Copied \(source) to \(destination):"]
            for table in tables where table.rows > 0 {
                lines.append("  " + table.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(table.rows) row\(table.rows == 1 ? "" : "s")")
            }
            lines.append("Every table's row count and checksum match (\(tables.count) tables, \(tables.map(\.rows).reduce(0, +)) rows).")
            for leftover in leftovers { lines.append("Left by an interrupted copy, holding a copy of the data: \(leftover); delete it.") }
            return lines.joined(separator: "\n")
        }
    }

    public static func copy(
        from source: String, to destination: String, passwordReference: (String) -> SecretReference?, secrets: SecretStore, environment: [String: String],
        actor: String, clock: any WallClock
    ) async throws(DatabaseCommandFailure) -> Report {
        func connector(_ url: String) throws(DatabaseCommandFailure) -> PostgresConnector {
            try PostgresTarget.connector(url, passwordReference: passwordReference(url), secrets: secrets, environment: environment)
        }
        let sourceName = PostgresSettings.isURL(source) ? try connector(source).settings.description : (source as NSString).standardizingPath
        let destinationName =
            PostgresSettings.isURL(destination) ? try connector(destination).settings.description : (destination as NSString).standardizingPath
        if sourceName == destinationName { throw .refused(["the source and the destination are the same database"]) }
        let owner = "cadence db copy \(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
        do {
            let tables = try await withSource(source, connector: connector) { from in
                // The source's runner lease is held for the whole copy, renewed at every page; then nothing may be
                // in doubt. The fence it gets must still be the lease's when the copy is kept: if it moved, a runner
                // held the lease in between and may have sent what the copy lacks.
                let hold = try await from.hold(owner: owner, now: clock.now)
                guard hold.blockers.isEmpty, let fence = hold.fence else {
                    if hold.fence != nil { try? await from.release(owner: owner) }
                    throw DatabaseCommandFailure.refused(hold.blockers)
                }
                let lease = CopyLease(endpoint: from, owner: owner, fence: fence, clock: clock)
                let tables: [(name: String, rows: Int)]
                do {
                    tables = try await withDestination(destination, connector: connector, actor: actor) { to in
                        try await transfer(from: from, to: to, lease: lease)
                    }
                } catch {
                    try? await from.release(owner: owner)
                    throw error
                }
                // The copy is kept: a lease that cannot be let go now simply runs out (in ten minutes at most).
                try? await from.release(owner: owner)
                return tables
            }
            var report = Report(source: sourceName, destination: destinationName, tables: tables)
            if !PostgresSettings.isURL(destination) { report.leftovers = leftovers(beside: destinationName) }
            return report
        } catch {
            throw classify(error)
        }
    }

    /// The temporary files of earlier copies to `destination` that did not finish.
    static func leftovers(beside destination: String) -> [String] {
        let folder = (destination as NSString).deletingLastPathComponent
        let name = (destination as NSString).lastPathComponent
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)) ?? []
        return files.filter { $0.hasPrefix(name + ".copying-") || $0.hasPrefix(name + ".copied-") }.sorted().map { (folder as NSString).appendingPathComponent($0) }
    }

    /// An error in the words of the part that failed: a refusal as it is, PostgreSQL's and SQLite's as theirs.
    static func classify(_ error: any Error) -> DatabaseCommandFailure {
        switch error {
        case let failure as DatabaseCommandFailure: return failure
        case PostgresFailure.other(let cause): return classify(cause)
        case let failure as PostgresFailure: return .postgres(failure)
        case let error as StoreError: return .store(error)
        default: return .copy("the copy failed and the destination was left as it was: \(error)")
        }
    }

    /// Copies every table a page at a time, then compares counts and checksums table by table; the lease is
    /// renewed (and its fence checked) at every page and once more before the copy is kept.
    static func transfer(from: any CopyEndpoint, to: any CopyEndpoint, lease: CopyLease) async throws -> [(name: String, rows: Int)] {
        var copied: [(name: String, rows: Int)] = []
        for table in TableLayout.copied {
            var count = 0
            try await forEachPage(of: table, in: from, lease: lease) { rows in
                try await to.insert(rows, into: table)
                count += rows.count
            }
            copied.append((table.name, count))
        }
        for table in TableLayout.copied {
            let (sourceRows, sourceSum) = try await checksum(table, from, lease: lease)
            let (destinationRows, destinationSum) = try await checksum(table, to, lease: lease)
            guard sourceRows == destinationRows, sourceSum == destinationSum else {
                throw DatabaseCommandFailure.mismatch(
                    "\(table.name) differs after copying (\(sourceRows) rows in the source, \(destinationRows) in the destination\(sourceRows == destinationRows ? ", checksums differ" : "")); the destination was left as it was. If something wrote to the source meanwhile, stop every cadence command and runner, then copy again"
                )
            }
        }
        try await lease.renew()
        try await to.finish()
        return copied
    }

    /// Rows per page: fewer for tables that hold messages and attachments, so a page stays a few megabytes. Pages
    /// go by key, not by offset, so a small page costs no more per row than a large one.
    static func pageSize(_ table: TableLayout) -> Int {
        table.columns.contains { $0.kind == .blob } ? 50 : 2_000
    }

    /// The copy's own hold on the source's runner lease arrives at the destination already ended (its fence kept),
    /// so the copy does not keep runners off the new database.
    static func released(_ owner: String, _ table: TableLayout, _ row: [CellValue]) -> [CellValue] {
        guard table.name == "runnerLease", let ownerColumn = table.columns.firstIndex(where: { $0.name == "owner" }),
            let expiry = table.columns.firstIndex(where: { $0.name == "expiresAt" }), row[ownerColumn] == .text(owner)
        else { return row }
        var row = row
        row[expiry] = .date(Date(timeIntervalSince1970: 0))
        return row
    }

    static func checksum(_ table: TableLayout, _ endpoint: any CopyEndpoint, lease: CopyLease) async throws -> (Int, String) {
        var sum = TableChecksum()
        try await forEachPage(of: table, in: endpoint, lease: lease) { rows in
            for row in rows { sum.add(row) }
        }
        return (sum.rows, sum.finalize())
    }

    /// Reads `table` a page at a time in key order (each page after the last one's key), renewing the lease before
    /// each, and hands over its rows with the copy's own lease shown as ended (`released`).
    static func forEachPage(
        of table: TableLayout, in endpoint: any CopyEndpoint, lease: CopyLease, _ body: ([[CellValue]]) async throws -> Void
    ) async throws {
        var after: [CellValue]?
        let size = pageSize(table)
        while true {
            try await lease.renew()
            let read = try await endpoint.rows(of: table, after: after, limit: size)
            let page = table.page(read)
            try await body(page.rows.map { released(lease.owner, table, $0) })
            after = page.next
            if read.count < size { break }
        }
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
            let partial = destination + ".copying-" + UUID().uuidString
            let finished = destination + ".copied-" + UUID().uuidString
            func removePartial() {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: partial + suffix) }
                try? FileManager.default.removeItem(atPath: finished)
            }
            do {
                let database = try CadenceDatabase.open(path: partial, mode: .create)
                let result = try await body(SQLiteCopyEndpoint(database: database))
                try database.export(to: finished)
                // VACUUM INTO does not sync what it writes: sync it before it takes the final name.
                let handle = try FileHandle(forUpdating: URL(fileURLWithPath: finished))
                try handle.synchronize()
                try handle.close()
                try FileManager.default.moveItem(atPath: finished, toPath: destination)  // refuses a file that appeared meanwhile
                removePartial()
                return result
            } catch {
                removePartial()
                throw error
            }
        }
        let postgres = try connector(destination)
        return try await postgres.withConnection { connection in
            // The schema and the rows in one transaction: a copy that fails or is refused leaves the database as it was.
            try await connection.withTransaction(logger: postgres.logger) { connection in
                _ = try await PostgresMigrator.migrate(on: connection, by: actor, postgres.settings, postgres.logger)
                let endpoint = PostgresCopyEndpoint(io: PostgresTableIO(connection: connection))
                var filled: [String] = []
                for table in TableLayout.copied where try await endpoint.count(of: table) > 0 { filled.append(table.name) }
                if !filled.isEmpty {
                    throw DatabaseCommandFailure.refused(["\(postgres.settings) already holds rows (in \(filled.joined(separator: ", "))); copy into an empty database"])
                }
                return try await body(endpoint)
            }
        }
    }
}

/// The copy's hold on the source's runner lease.
struct CopyLease: Sendable {
    let endpoint: any CopyEndpoint
    let owner: String
    let fence: Int64
    let clock: any WallClock

    /// Renews the lease; refuses the copy if it is no longer this copy's, or changed hands in between.
    func renew() async throws {
        let hold = try await endpoint.hold(owner: owner, now: clock.now)
        guard hold.blockers.isEmpty, hold.fence == fence else {
            throw DatabaseCommandFailure.refused(
                ["the source's runner lease changed hands during the copy (\((hold.blockers.first ?? "a runner held it in between"))), so the copy may lack its sends"])
        }
    }
}

/// One side of a copy: SQLite or PostgreSQL.
protocol CopyEndpoint: Sendable {
    func rows(of table: TableLayout, after: [CellValue]?, limit: Int) async throws -> [[CellValue]]
    func count(of table: TableLayout) async throws -> Int
    func insert(_ rows: [[CellValue]], into table: TableLayout) async throws
    /// Takes or renews the runner lease for the copy: why the copy cannot go on (empty: it can), and its fence.
    func hold(owner: String, now: Date) async throws -> (blockers: [String], fence: Int64?)
    func release(owner: String) async throws
    /// After the check, before the copy is kept.
    func finish() async throws
}

struct SQLiteCopyEndpoint: CopyEndpoint {
    let database: CadenceDatabase

    func rows(of table: TableLayout, after: [CellValue]?, limit: Int) async throws -> [[CellValue]] { try database.rows(of: table, after: after, limit: limit) }
    func count(of table: TableLayout) async throws -> Int { try database.count(of: table) }
    func insert(_ rows: [[CellValue]], into table: TableLayout) async throws { try database.insert(rows, into: table) }
    func hold(owner: String, now: Date) async throws -> (blockers: [String], fence: Int64?) {
        try await database.holdForCopy(owner: owner, now: now, seconds: 600)
    }
    func release(owner: String) async throws { try await database.releaseLease(owner: owner) }
    func finish() async throws {}
}

struct PostgresCopyEndpoint: CopyEndpoint {
    let io: PostgresTableIO

    func rows(of table: TableLayout, after: [CellValue]?, limit: Int) async throws -> [[CellValue]] { try await io.rows(of: table, after: after, limit: limit) }
    func count(of table: TableLayout) async throws -> Int { try await io.count(of: table) }
    func insert(_ rows: [[CellValue]], into table: TableLayout) async throws { try await io.insert(rows, into: table) }
    func hold(owner: String, now: Date) async throws -> (blockers: [String], fence: Int64?) { try await io.holdForCopy(owner: owner, seconds: 600) }
    func release(owner: String) async throws { try await io.releaseCopyLease(owner: owner) }
    func finish() async throws {
        for table in TableLayout.copied { try await io.resetSequence(of: table) }
    }
}
