import Foundation
import GRDB
import GRDBSQLite

/// A multi-row `INSERT` (or a lookup of many keys) whose values are bound straight to SQLite, for the launch's hot
/// path.
///
/// A launch of 100,000 people binds about 2.5 million values. Through `StatementArguments` each becomes an
/// existential and each text a temporary C string before SQLite copies it; that cost more than SQLite's own work on
/// the rows. Here a text is copied into a `BindArena` and bound from there, and numbers as they are. The statement is
/// GRDB's, prepared and cached by it; only binding and stepping are done here, so GRDB's hooks around an execution
/// (transaction observers, its check for a transaction SQLite already rolled back) do not run: a launch registers no
/// observer, and every error ends its transaction. The bound texts live in the arena until the statement ran: from
/// the first `bind` to `execute` (or `forEachRow`), nothing may throw or start another `BulkInsert`, which would
/// rewind the arena under the bindings.
struct BulkInsert {
    private let statement: Statement
    private let connection: OpaquePointer?
    private let texts: BindArena
    private var index: Int32 = 0

    /// `texts` holds the bound texts until the statement ran: one arena per launch, used by one statement at a time.
    init(_ statement: Statement, in db: Database, texts: BindArena) {
        self.statement = statement
        connection = db.sqliteConnection
        self.texts = texts
        sqlite3_reset(statement.sqliteStatement)
        sqlite3_clear_bindings(statement.sqliteStatement)
        texts.rewind()
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
        guard var text = value else {
            index += 1
            sqlite3_bind_null(statement.sqliteStatement, index)
            return
        }
        // Copied into the arena, where SQLite reads it in place until the statement ran (`SQLITE_STATIC`).
        text.withUTF8 { bind(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// A text given as its UTF-8 bytes.
    mutating func bind(utf8 bytes: UnsafeRawBufferPointer) {
        index += 1
        let copy = texts.copy(bytes)
        sqlite3_bind_text(statement.sqliteStatement, index, copy.assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
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
            // The cached statement keeps no pointer into the arena, which the next statement rewinds.
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

    /// Runs the statement (an `INSERT`, which gives no rows) once every placeholder is bound.
    func execute() throws {
        try forEachRow { _ in }
    }
}

/// The texts bound to one multi-row statement, copied end to end into blocks kept for the whole launch.
///
/// Bound as `SQLITE_TRANSIENT`, SQLite copied each of a launch's two million texts into memory of its own and freed
/// it when the bindings were cleared: an allocation and a free per value, a tenth of the launch. Here a text costs a
/// copy into the current block. The blocks are only ever freed with the arena; `rewind` reuses them once the
/// statement that read them has been reset and its bindings cleared (`BulkInsert` does both before rewinding).
final class BindArena {
    private var blocks: [UnsafeMutableRawBufferPointer] = []
    private var large: [UnsafeMutableRawBufferPointer] = []
    private var block = 0
    private var used = 0
    static let blockSize = 1 << 20

    init() {}

    /// Where `bytes` now are, valid until the next `rewind`. Never nil, even for an empty text: a nil pointer
    /// would bind NULL.
    func copy(_ bytes: UnsafeRawBufferPointer) -> UnsafeMutableRawPointer {
        if bytes.count > Self.blockSize / 4 {
            let own = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
            own.copyMemory(from: bytes)
            large.append(own)
            return own.baseAddress!
        }
        if blocks.isEmpty || used + bytes.count > Self.blockSize {
            if !blocks.isEmpty { block += 1 }
            if block == blocks.count { blocks.append(.allocate(byteCount: Self.blockSize, alignment: 1)) }
            used = 0
        }
        let start = blocks[block].baseAddress! + used
        if let source = bytes.baseAddress { start.copyMemory(from: source, byteCount: bytes.count) }
        used += bytes.count
        return start
    }

    /// Makes the blocks free for the next statement's texts.
    func rewind() {
        block = 0
        used = 0
        for buffer in large { buffer.deallocate() }
        large = []
    }

    deinit {
        for buffer in blocks + large { buffer.deallocate() }
    }
}
