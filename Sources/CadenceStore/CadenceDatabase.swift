import CadenceCore
import Foundation
import GRDB

/// Cadence's memory: one SQLite file in WAL mode, migrated on open, written one invariant-keeping transaction at a
/// time.
///
/// `synchronous = FULL`: in WAL mode NORMAL may lose the last transactions on power loss, and a lost "sent" record
/// is a message sent twice. FULL costs an fsync per commit, which is nothing next to a network send.
public struct CadenceDatabase: CadenceStore {
    /// Every connection's page cache (`PRAGMA cache_size`, negative: KiB), and a launch's while it runs.
    static let cacheSize = -32_768
    static let launchCacheSize = -131_072
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
        /// The file must exist (commands that steer).
        case existing
        /// The file must exist and is only read (status, show, lists): not a byte of it changes.
        case readOnly
    }

    /// Opens the database file at `path`.
    public static func open(path: String, mode: OpenMode) throws(StoreError) -> CadenceDatabase {
        if path.isEmpty { throw StoreError.refused("the database path is empty; give --db a file name such as cadence.sqlite") }
        if PostgresSettings.isURL(path) {
            throw StoreError.refused(
                "this needs a SQLite file, and the database is a PostgreSQL URL; `cadence db copy` it to a SQLite file (docs/scaling.md) and point --db at that"
            )
        }
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists, isDirectory.boolValue {
            throw StoreError.refused("\(path) is a folder; give --db the path of a database file inside it, such as \(path)/cadence.sqlite")
        }
        let folder = (path as NSString).deletingLastPathComponent
        if !exists, !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) {
            if mode == .create { throw StoreError.refused("the folder \(folder) does not exist; create it, or point --db elsewhere") }
        }
        if mode != .create, !exists {
            throw StoreError.missing(path)
        }
        if mode == .readOnly, let database = try openReadOnly(path: path) {
            return database
        }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.publicStatementArguments = false  // candidate data never appears in error messages
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // A 32 MiB page cache (the default is 2 MiB) keeps a large launch's pages in memory until it commits
            // instead of spilling them to the WAL mid-transaction; memory stays capped at that size.
            try db.execute(sql: "PRAGMA cache_size = \(CadenceDatabase.cacheSize)")
            // Statement journals (SQLite keeps one for each multi-row write that could fail halfway) and temporary
            // indexes stay in memory: on disk, a launch's batched inserts made half a million small writes to a
            // temporary file. They hold at most the pages one statement touches.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // Deleted rows are overwritten, not left in free pages: `cadence forget` must leave nothing readable.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB turns the writer connection to synchronous = NORMAL when it enables WAL, after
            // `prepareDatabase` ran; set FULL again on the one connection that commits.
            try pool.barrierWriteWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            return try CadenceDatabase(pool, path: path)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(error, path: path)
        }
    }

    /// A read-only connection, when the file is already at this version (else nil: open it normally to migrate).
    private static func openReadOnly(path: String) throws(StoreError) -> CadenceDatabase? {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.publicStatementArguments = false
        configuration.busyMode = .timeout(5)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            let (superseded, complete) = try queue.read { db in (try migrator.hasBeenSuperseded(db), try migrator.hasCompletedMigrations(db)) }
            if superseded { throw StoreError.newerVersion(path) }
            guard complete else { return nil }
            return CadenceDatabase(readOnly: queue, path: path)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(error, path: path)
        }
    }

    private init(readOnly writer: any DatabaseWriter, path: String) {
        self.writer = writer
        self.path = path
    }

    /// A copy of this database in a new file at `path` (SQLite's online backup), for dry runs: the copy takes the
    /// writes, the original is left byte for byte as it was.
    public func copy(to path: String) throws(StoreError) -> CadenceDatabase {
        do {
            let target = try DatabaseQueue(path: path)
            try writer.backup(to: target)
            try target.close()
            return try Self.open(path: path, mode: .existing)
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

    /// `write` for async callers, through GRDB's async API: the transaction runs on the writer's queue without
    /// blocking a thread of the cooperative pool. A task cancelled before or during it writes nothing.
    func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await writer.write(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(error, path: path ?? "the database")
        }
    }

    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await writer.read(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(error, path: path ?? "the database")
        }
    }
}
