import CadenceCore
import Foundation
import GRDB

/// The SQLite side of `cadence db copy`: any table read a page at a time in key order, and written in batches.
extension CadenceDatabase {
    /// Up to `limit` rows of `table` in key order, from `offset`.
    public func rows(of table: TableLayout, offset: Int, limit: Int) throws(StoreError) -> [[CellValue]] {
        let columns = table.columns.map(\.name).joined(separator: ", ")
        let order = table.key.joined(separator: ", ")
        return try read { db in
            try Row.fetchAll(db, sql: "SELECT \(columns) FROM \(table.name) ORDER BY \(order) LIMIT ? OFFSET ?", arguments: [limit, offset]).map { row in
                table.columns.enumerated().map { index, column in Self.cell(row[index] as DatabaseValue, column.kind) }
            }
        }
    }

    /// Writes the whole database, as one consistent snapshot, into a new file at `path` (SQLite's `VACUUM INTO`,
    /// which refuses an existing file), then closes this one.
    public func export(to path: String) throws(StoreError) {
        do {
            try writer.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
            try writer.close()
        } catch {
            throw StoreError(error, path: path)
        }
    }

    public func count(of table: TableLayout) throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table.name)") ?? 0 }
    }

    /// Inserts `rows` into `table` in one transaction, keeping their ids.
    public func insert(_ rows: [[CellValue]], into table: TableLayout) throws(StoreError) {
        guard !rows.isEmpty else { return }
        let sql =
            "INSERT INTO \(table.name) (\(table.columns.map(\.name).joined(separator: ", "))) VALUES ("
            + Array(repeating: "?", count: table.columns.count).joined(separator: ", ") + ")"
        try write { db in
            let statement = try db.cachedStatement(sql: sql)
            for row in rows {
                try statement.execute(arguments: StatementArguments(row.map(Self.databaseValue)))
            }
        }
    }

    /// Why the database cannot be copied now: a runner's lease still running, or sends whose outcome is not known.
    public func copyBlockers(now: Date) throws(StoreError) -> [String] {
        try read { db in
            var reasons: [String] = []
            if let row = try Row.fetchOne(db, sql: "SELECT owner, expiresAt FROM runnerLease WHERE expiresAt > ?", arguments: [now]) {
                reasons.append("a runner (\(row["owner"] as String)) holds the lease until \(Timestamps.display(row["expiresAt"])); stop it first")
            }
            let doubtful = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sendRecord WHERE state IN ('intent', 'unknown')") ?? 0
            if doubtful > 0 {
                reasons.append(
                    "\(doubtful) send\(doubtful == 1 ? " is" : "s are") in doubt (begun, outcome not yet known); run `cadence run --once` to reconcile them first")
            }
            return reasons
        }
    }

    static func cell(_ value: DatabaseValue, _ kind: TableLayout.Kind) -> CellValue {
        if value.isNull { return .null }
        switch kind {
        case .integer: return Int64.fromDatabaseValue(value).map(CellValue.integer) ?? .null
        case .real: return Double.fromDatabaseValue(value).map(CellValue.real) ?? .null
        case .text: return String.fromDatabaseValue(value).map(CellValue.text) ?? .null
        case .blob: return Data.fromDatabaseValue(value).map { .blob(Array($0)) } ?? .null
        case .date: return Date.fromDatabaseValue(value).map(CellValue.date) ?? .null
        case .boolean: return Bool.fromDatabaseValue(value).map(CellValue.boolean) ?? .null
        }
    }

    static func databaseValue(_ cell: CellValue) -> DatabaseValue {
        switch cell {
        case .null: .null
        case .integer(let number): number.databaseValue
        case .real(let number): number.databaseValue
        case .text(let text): text.databaseValue
        case .blob(let bytes): Data(bytes).databaseValue
        case .date(let date): date.databaseValue
        case .boolean(let flag): flag.databaseValue
        }
    }
}
