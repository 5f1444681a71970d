import CadenceCore
import Foundation
import GRDB

/// The SQLite side of `cadence db copy`: any table read a page at a time in key order, and written in batches.
extension CadenceDatabase {
    /// Up to `limit` rows of `table` in key order (or in the order they were recorded, each with its `rowid` at the
    /// end: `TableLayout.arrival`), after the row whose key is `after` (from the start when nil): paging by key, so
    /// each page costs the same however far into the table it is. `TableLayout.page` splits off the cursor.
    public func rows(of table: TableLayout, after: [CellValue]?, limit: Int) throws(StoreError) -> [[CellValue]] {
        let columns = table.columns.map(\.name).joined(separator: ", ") + (table.arrival ? ", rowid" : "")
        let order = table.arrival ? "rowid" : table.key.joined(separator: ", ")
        var arguments: [DatabaseValue] = []
        var condition = ""
        if let after {
            condition = "WHERE (\(order)) > (\(Array(repeating: "?", count: after.count).joined(separator: ", "))) "
            arguments = after.map(Self.databaseValue)
        }
        arguments.append(limit.databaseValue)
        return try read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(columns) FROM \(table.name) \(condition)ORDER BY \(order) LIMIT ?", arguments: StatementArguments(arguments)
            ).map { row in
                try table.columns.enumerated().map { index, column in
                    guard let cell = Self.cell(row[index] as DatabaseValue, column.kind) else {
                        throw StoreError.refused(
                            "\(table.name).\(column.name) holds a value that is not a \(column.kind) in the row with \(table.key.map { "\($0) \(row[$0] as DatabaseValue)" }.joined(separator: ", ")); nothing was copied: correct or clear that value, then copy again"
                        )
                    }
                    return cell
                } + (table.arrival ? [.integer(row[table.columns.count])] : [])
            }
        }
    }

    public func count(of table: TableLayout) throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table.name)") ?? 0 }
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

    /// Takes (or renews) the runner lease for a copy, so no runner sends while the rows are read; then says why
    /// the database cannot be copied (another runner's lease, or sends whose outcome is not known) and which fence
    /// the copy holds: a fence that changes during the copy means a runner held the lease in between.
    public func holdForCopy(owner: String, now: Date, seconds: TimeInterval) async throws(StoreError) -> (blockers: [String], fence: Int64?) {
        switch try await acquireLease(owner: owner, now: now, seconds: seconds) {
        case .busy(let holder, let until):
            return (["a runner (\(holder)) holds the lease until \(Timestamps.display(until)); stop it first"], nil)
        case .held(let lease):
            let doubtful = try await read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sendRecord WHERE state IN ('intent', 'unknown')") ?? 0 }
            guard doubtful > 0 else { return ([], lease.fence) }
            return (
                [
                    "\(doubtful) send\(doubtful == 1 ? " is" : "s are") in doubt (begun, outcome not yet known); run `cadence run --once` to reconcile them first"
                ], lease.fence
            )
        }
    }

    /// The value as its column's kind, or nil when it is not one (text in a date column): refused, never copied
    /// as empty.
    static func cell(_ value: DatabaseValue, _ kind: TableLayout.Kind) -> CellValue? {
        if value.isNull { return .null }
        switch kind {
        case .integer:
            guard case .int64(let number) = value.storage else { return nil }
            return .integer(number)
        case .real:
            switch value.storage {
            case .double(let number): return .real(number)
            case .int64(let number): return .real(Double(number))
            default: return nil
            }
        case .text:
            guard case .string(let text) = value.storage else { return nil }
            return .text(text)
        case .blob:
            guard case .blob(let data) = value.storage else { return nil }
            return .blob(Array(data))
        case .date: return Date.fromDatabaseValue(value).map(CellValue.date)
        case .boolean:
            guard case .int64(let number) = value.storage, number == 0 || number == 1 else { return nil }
            return .boolean(number == 1)
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

extension CadenceDatabase {
    /// Clears the lease fences stamped on sends, in a scratch copy of a database that runners share: their mailbox
    /// fences mean nothing to this file's one lease, and a simulation confirming a send in doubt must not find it
    /// stamped by a holder later than itself.
    public func clearSendFences() throws(StoreError) {
        try write { db in try db.execute(sql: "UPDATE sendRecord SET fence = NULL") }
    }
}
