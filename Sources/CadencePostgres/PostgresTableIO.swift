import CadenceCore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The PostgreSQL side of `cadence db copy`, on one connection: any table read a page at a time in key order, and
/// written many rows per statement.
public struct PostgresTableIO: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    public init(connection: PostgresConnection, logger: Logger = Logger(label: "cadence.postgres")) {
        self.connection = connection
        self.logger = logger
    }

    /// Up to `limit` rows of `table` in key order (or in the order they were recorded, each with its `seq` at the
    /// end: `TableLayout.arrival`), after the row whose key is `after` (from the start when nil).
    public func rows(of table: TableLayout, after: [CellValue]?, limit: Int) async throws -> [[CellValue]] {
        let columns = table.columns.map(\.name).joined(separator: ", ") + (table.arrival ? ", seq" : "")
        var bindings = PostgresBindings()
        var condition = ""
        if let after {
            for cell in after { Self.bind(cell, &bindings) }
            condition = "WHERE (\(Self.order(table))) > (\((1...after.count).map { "$\($0)" }.joined(separator: ", "))) "
        }
        let sql = "SELECT \(columns) FROM \(table.name) \(condition)ORDER BY \(Self.order(table)) LIMIT \(limit)"
        var rows: [[CellValue]] = []
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger) {
            let cells = row.makeRandomAccess()
            var values: [CellValue] = []
            values.reserveCapacity(table.columns.count)
            for (index, column) in table.columns.enumerated() {
                do {
                    values.append(try Self.cell(cells[index], column.kind))
                } catch {
                    throw PostgresFailure.other(
                        CopyValueProblem(description: "\(table.name).\(column.name) holds a value that is not a \(column.kind); nothing was copied: correct or clear it, then copy again"))
                }
            }
            if table.arrival { values.append(.integer(try cells[table.columns.count].decode(Int64.self))) }
            rows.append(values)
        }
        return rows
    }

    /// The key in SQLite's order: text by its bytes (`COLLATE "C"`), not by the database's language collation,
    /// so both stores read a table's rows in the same sequence and their checksums can be compared.
    static func order(_ table: TableLayout) -> String {
        if table.arrival { return "seq" }
        return table.key.map { key in table.columns.first { $0.name == key }?.kind == .text ? "\(key) COLLATE \"C\"" : key }.joined(separator: ", ")
    }

    public func count(of table: TableLayout) async throws -> Int {
        try await connection.query(PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \(table.name)"), logger: logger).collect().first?.decode(Int.self) ?? 0
    }

    /// Inserts `rows`, as many per statement as PostgreSQL's 65,535 parameters allow (at most 1,000).
    public func insert(_ rows: [[CellValue]], into table: TableLayout) async throws {
        let perStatement = min(1_000, 65_535 / table.columns.count)
        var start = 0
        while start < rows.count {
            let batch = rows[start..<min(rows.count, start + perStatement)]
            var bindings = PostgresBindings(capacity: batch.count * table.columns.count)
            var groups: [String] = []
            groups.reserveCapacity(batch.count)
            for row in batch {
                let first = bindings.count
                groups.append("(" + (1...row.count).map { "$\(first + $0)" }.joined(separator: ", ") + ")")
                for cell in row { Self.bind(cell, &bindings) }
            }
            let sql = "INSERT INTO \(table.name) (\(table.columns.map(\.name).joined(separator: ", "))) VALUES " + groups.joined(separator: ", ")
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
            start += batch.count
        }
    }

    /// Moves a table's id sequence past its rows, so the next row PostgreSQL numbers does not collide.
    public func resetSequence(of table: TableLayout) async throws {
        guard table.identity, let key = table.key.first else { return }
        try await connection.query(
            PostgresQuery(
                unsafeSQL: "SELECT setval(pg_get_serial_sequence('\(table.name.lowercased())', '\(key.lowercased())'), COALESCE(MAX(\(key)), 0) + 1, false) FROM \(table.name)"),
            logger: logger)
    }

    /// Takes (or renews) the runner lease for a copy, by the database's clock, as the SQLite store does (the
    /// fence grows when the lease changes hands); then says why the database cannot be copied, and which fence the
    /// copy holds.
    public func holdForCopy(owner: String, seconds: Int) async throws -> (blockers: [String], fence: Int64?) {
        let taken = try await connection.query(
            """
            INSERT INTO runnerLease (id, owner, expiresAt, fence) VALUES (1, \(owner), now() + make_interval(secs => \(seconds)), 1)
            ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, expiresAt = EXCLUDED.expiresAt,
                fence = runnerLease.fence + CASE WHEN runnerLease.owner = EXCLUDED.owner THEN 0 ELSE 1 END
            WHERE runnerLease.owner = EXCLUDED.owner OR runnerLease.expiresAt <= now()
            RETURNING fence
            """, logger: logger
        ).collect()
        guard let fence = try taken.first?.decode(Int64.self) else {
            for try await (holder, until) in try await connection.query("SELECT owner, expiresAt FROM runnerLease WHERE id = 1", logger: logger).decode(
                (String, Date).self)
            {
                return (["a runner (\(holder)) holds the lease until \(Timestamps.display(until)); stop it first"], nil)
            }
            return (["the runner lease could not be taken; try again"], nil)
        }
        // Runners sharing this database hold mailbox leases rather than the database's one lease.
        for try await (holder, until) in try await connection.query(
            "SELECT owner, MAX(expiresAt) FROM mailboxLease WHERE expiresAt > now() GROUP BY owner ORDER BY owner", logger: logger
        ).decode((String, Date).self) {
            return (["a runner (\(holder)) holds mailboxes until \(Timestamps.display(until)); stop it first"], fence)
        }
        let doubtful =
            try await connection.query("SELECT COUNT(*) FROM sendRecord WHERE state IN ('intent', 'unknown')", logger: logger).collect().first?.decode(Int.self)
            ?? 0
        guard doubtful > 0 else { return ([], fence) }
        return (
            ["\(doubtful) send\(doubtful == 1 ? " is" : "s are") in doubt (begun, outcome not yet known); run `cadence run --once` to reconcile them first"],
            fence
        )
    }

    /// Ends a copy's lease at once; the fence stays.
    public func releaseCopyLease(owner: String) async throws {
        try await connection.query("UPDATE runnerLease SET expiresAt = 'epoch' WHERE owner = \(owner)", logger: logger)
    }

    static func cell(_ cell: PostgresCell, _ kind: TableLayout.Kind) throws -> CellValue {
        switch kind {
        case .integer: return try cell.decode(Int64?.self).map(CellValue.integer) ?? .null
        case .real: return try cell.decode(Double?.self).map(CellValue.real) ?? .null
        case .text: return try cell.decode(String?.self).map(CellValue.text) ?? .null
        case .blob: return try cell.decode(ByteBuffer?.self).map { .blob(Array($0.readableBytesView)) } ?? .null
        case .date: return try cell.decode(Date?.self).map(CellValue.date) ?? .null
        case .boolean: return try cell.decode(Bool?.self).map(CellValue.boolean) ?? .null
        }
    }

    static func bind(_ cell: CellValue, _ bindings: inout PostgresBindings) {
        switch cell {
        case .null: bindings.appendNull()
        case .integer(let number): bindings.append(number)
        case .real(let number): bindings.append(number)
        case .text(let text): bindings.append(text)
        case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
        case .date(let date): bindings.append(date)
        case .boolean(let flag): bindings.append(flag)
        }
    }
}

/// A value a PostgreSQL source holds that its column's kind cannot read.
struct CopyValueProblem: Error, CustomStringConvertible {
    let description: String
}
