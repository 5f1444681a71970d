import Foundation
import GRDB
import GRDBSQLite

/// A multi-row `INSERT` (or a lookup of many keys) whose values are bound straight to SQLite, for the launch's hot
/// path.
///
/// A launch of 100,000 people binds about 2.5 million values. Through `StatementArguments` each becomes an
/// existential and each text a temporary C string before SQLite copies it; that cost more than SQLite's own work on
/// the rows. Here a text is bound from its UTF-8 storage with its length, and numbers as they are. The statement is
/// GRDB's, prepared and cached by it; only binding and stepping are done here, so GRDB's hooks around an execution
/// (transaction observers, its check for a transaction SQLite already rolled back) do not run: a launch registers no
/// observer, and every error ends its transaction.
struct BulkInsert {
    private let statement: Statement
    private let connection: OpaquePointer?
    private var index: Int32 = 0

    init(_ statement: Statement, in db: Database) {
        self.statement = statement
        connection = db.sqliteConnection
        sqlite3_reset(statement.sqliteStatement)
        sqlite3_clear_bindings(statement.sqliteStatement)
    }

    mutating func bind(_ value: Int64) {
        index += 1
        sqlite3_bind_int64(statement.sqliteStatement, index, value)
    }

    mutating func bind(_ value: Int?) {
        bind(value.map(Int64.init))
    }

    mutating func bind(_ value: Int64?) {
        index += 1
        if let value { sqlite3_bind_int64(statement.sqliteStatement, index, value) } else { sqlite3_bind_null(statement.sqliteStatement, index) }
    }

    mutating func bind(_ value: String?) {
        index += 1
        guard var text = value else {
            sqlite3_bind_null(statement.sqliteStatement, index)
            return
        }
        let (statement, index) = (statement.sqliteStatement, index)
        text.withUTF8 { bytes in
            _ = bytes.withMemoryRebound(to: CChar.self) { characters in
                // An empty text still needs a pointer: a nil one would bind NULL.
                guard let start = characters.baseAddress else { return sqlite3_bind_text(statement, index, "", 0, transient) }
                return sqlite3_bind_text(statement, index, start, Int32(characters.count), transient)
            }
        }
    }

    mutating func bind(_ value: DatabaseValue) {
        switch value.storage {
        case .null:
            index += 1
            sqlite3_bind_null(statement.sqliteStatement, index)
        case .int64(let number): bind(number)
        case .double(let number):
            index += 1
            sqlite3_bind_double(statement.sqliteStatement, index, number)
        case .string(let text): bind(text)
        case .blob:
            // The launch binds no blobs; GRDB's own binding for anything else.
            index += 1
            _ = value.bind(to: statement.sqliteStatement, at: index)
        }
    }

    /// Runs a query once every placeholder is bound, handing each row's columns to `body` as SQLite holds them
    /// (valid only during the call).
    func forEachRow(_ body: (_ row: OpaquePointer) -> Void) throws {
        let expected = sqlite3_bind_parameter_count(statement.sqliteStatement)
        precondition(index == expected, "bound \(index) of \(expected) values")
        defer {
            sqlite3_reset(statement.sqliteStatement)
            sqlite3_clear_bindings(statement.sqliteStatement)
        }
        while true {
            let code = sqlite3_step(statement.sqliteStatement)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: code), message: connection.map { String(cString: sqlite3_errmsg($0)) }, sql: statement.sql)
            }
            body(statement.sqliteStatement)
        }
    }

    /// Runs the statement once every placeholder is bound.
    func execute() throws {
        let expected = sqlite3_bind_parameter_count(statement.sqliteStatement)
        precondition(index == expected, "bound \(index) of \(expected) values")
        let code = sqlite3_step(statement.sqliteStatement)
        defer {
            sqlite3_reset(statement.sqliteStatement)
            // The cached statement keeps no copy of this batch's texts.
            sqlite3_clear_bindings(statement.sqliteStatement)
        }
        guard code == SQLITE_DONE else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code), message: connection.map { String(cString: sqlite3_errmsg($0)) }, sql: statement.sql)
        }
    }
}

/// SQLite's `SQLITE_TRANSIENT`: it copies a text bound with it before `sqlite3_bind_text` returns.
private let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
