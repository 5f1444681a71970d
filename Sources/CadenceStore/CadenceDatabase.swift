import CadenceCore
import Foundation
import GRDB

/// Cadence's memory: one SQLite file in WAL mode, migrated on open, written one invariant-keeping transaction at a
/// time.
///
/// `synchronous = FULL`: in WAL mode NORMAL may lose the last transactions on power loss, and a lost "sent" record
/// is a message sent twice. FULL costs an fsync per commit, which is nothing next to a network send.
public struct CadenceDatabase: Sendable {
    public let writer: any DatabaseWriter
    /// The file, for messages; nil in memory.
    public let path: String?

    /// Opens (and migrates) the database in `writer`. Refuses a database written by a newer Cadence.
    public init(_ writer: any DatabaseWriter, path: String? = nil) throws(StoreError) {
        self.writer = writer
        self.path = path
        let display = path ?? "the database"
        do {
            try writer.read { db in
                if try Self.migrator.hasBeenSuperseded(db) { throw StoreError.newerVersion(display) }
            }
            try Self.migrator.migrate(writer)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(error, path: display)
        }
    }

    public enum OpenMode: Sendable {
        /// Create the file if it does not exist (launch).
        case create
        /// The file must exist (every command that only reads or steers).
        case existing
    }

    /// Opens the database file at `path`.
    public static func open(path: String, mode: OpenMode) throws(StoreError) -> CadenceDatabase {
        if mode == .existing, !FileManager.default.fileExists(atPath: path) {
            throw StoreError.missing(path)
        }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.publicStatementArguments = false  // candidate data never appears in error messages
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // A 32 MiB page cache (the default is 2 MiB) keeps a large launch's pages in memory until it commits
            // instead of spilling them to the WAL mid-transaction; memory stays capped at that size.
            try db.execute(sql: "PRAGMA cache_size = -32768")
        }
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            return try CadenceDatabase(pool, path: path)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(error, path: path)
        }
    }

    /// An empty in-memory database, for tests.
    public static func inMemory() throws(StoreError) -> CadenceDatabase {
        do {
            return try CadenceDatabase(DatabaseQueue())
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(error, path: "memory")
        }
    }

    /// Runs `body` in one write transaction, mapping SQLite's failures to `StoreError`.
    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.write(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(error, path: path ?? "the database")
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.read(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(error, path: path ?? "the database")
        }
    }
}
