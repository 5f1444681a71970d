import CadenceCore
import CadenceStore
import Logging
import NIOCore
import PostgresNIO

/// Cadence's memory on PostgreSQL, for teams whose runners outgrow one SQLite file: so far the part a runner needs
/// to send (`SendingStore`), keeping the same contract as the SQLite store and tested by the same suite.
///
/// Every method is one transaction on a connection from the pool. PostgreSQL lets other runners write alongside,
/// which SQLite's single writer never did, so each transaction takes row locks before it decides, always in the
/// same order to avoid deadlocks: the runner lease (shared, so a takeover waits for writes under the old fence),
/// then the candidate, then the enrolment, then the send record.
public struct PostgresStore: CadenceStore {
    let client: PostgresClient
    let logger: Logger
    /// The database as messages name it, without its password.
    let display: String
    /// Signalled by `LISTEN` on a connection of its own, when the store was opened to listen.
    public let pushWakeups: PushWakeups?

    /// The channel `enqueuePush` notifies, with the mailbox as payload.
    static let pushChannel = "cadence_push"

    /// A store on `client`, whose `run()` must be going (`withStore` does that, or a `ServiceGroup`).
    public init(client: PostgresClient, display: String, logger: Logger = Logger(label: "cadence.postgres"), pushWakeups: PushWakeups? = nil) {
        self.client = client
        self.display = display
        self.logger = logger
        self.pushWakeups = pushWakeups
    }

    /// Runs `body` with a store on a pool of connections to `connector`'s database, refusing a database whose
    /// schema is not this version's (`cadence db migrate` upgrades it; a runner never migrates by itself).
    ///
    /// `connections` caps the pool: a runner works one step at a time and needs few, and a fleet of runners and
    /// servers must stay under the server's `max_connections` (100 by default).
    ///
    /// With `listen`, a connection of its own listens for `enqueuePush`'s notifications (a runner, woken at once by
    /// a push any `serve` received); it listens again after every reconnection, and signals then too, since pushes
    /// may have been queued while it was away.
    public static func withStore<T: Sendable>(
        _ connector: PostgresConnector, connections: Int = 4, listen: Bool = false, _ body: @Sendable (PostgresStore) async throws -> T
    ) async throws -> T {
        try await PostgresMigrator.requireLatest(connector)
        var configuration = connector.clientConfiguration()
        configuration.options.maximumConnections = connections
        // The pool's own chatter stays out of the output (its failures reach the caller as errors), including the
        // warning that a first query came before `run()` had started, which it merely queues.
        var background = connector.logger
        background.logLevel = .error
        let client = PostgresClient(configuration: configuration, backgroundLogger: background)
        let listener = listen ? PushListener(connector: connector) : nil
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            if let listener { group.addTask { await listener.run() } }
            defer {
                group.cancelAll()
                listener?.stop()
            }
            return try await body(
                PostgresStore(client: client, display: connector.settings.description, logger: connector.logger, pushWakeups: listener?.wakeups))
        }
    }

    /// Runs `body` in one transaction. A deadlock or serialization failure (another runner's transaction got in
    /// the way) is retried from the start, as PostgreSQL advises; nothing of a failed attempt was kept.
    func transaction<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws(StoreError) -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
            } catch {
                let problem = Self.cause(of: error)
                if attempt < 5, let error = problem as? PSQLError, let state = error.serverInfo?[.sqlState], ["40001", "40P01"].contains(state) {
                    continue
                }
                throw storeError(problem)
            }
        }
    }

    /// Runs `body`, one statement that only reads, on a pooled connection without `BEGIN` and `COMMIT`: a single
    /// statement sees one snapshot by itself, and the two round trips saved are a third of what a send costs.
    func read<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws(StoreError) -> T {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch {
            throw storeError(error)
        }
    }

    /// What went wrong inside a transaction: a failed rollback after it does not change the answer.
    static func cause(of error: any Error) -> any Error {
        guard let transaction = error as? PostgresTransactionError else { return error }
        return transaction.closureError ?? transaction.beginError ?? transaction.commitError ?? error
    }

    func storeError(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if error is CancellationError { return .cancelled }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                return .other("\(display): \(message)" + (error.serverInfo?[.sqlState].map { " [SQLSTATE \($0)]" } ?? ""))
            }
            return .other("\(display): \(error.code)" + (error.underlying.map { ": \($0)" } ?? ""))
        }
        return .other("\(display): \(error)")
    }
}

/// A row read by column name (PostgreSQL folds unquoted names to lower case; the store's SQL spells them as the
/// SQLite schema does).
struct PostgresRecord {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) {
        self.row = row.makeRandomAccess()
    }

    func callAsFunction<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        try row[name.lowercased()].decode(T.self)
    }
}

extension PostgresConnection {
    /// Every row `query` returns, read by name.
    func records(_ query: PostgresQuery, _ logger: Logger) async throws -> [PostgresRecord] {
        var records: [PostgresRecord] = []
        for try await row in try await self.query(query, logger: logger) { records.append(PostgresRecord(row)) }
        return records
    }

    func record(_ query: PostgresQuery, _ logger: Logger) async throws -> PostgresRecord? {
        try await records(query, logger).first
    }

    /// Runs a statement whose rows (if any) nobody reads; a statement that must say how many rows it changed
    /// returns them (`RETURNING`) and is read with `records`.
    func execute(_ query: PostgresQuery, _ logger: Logger) async throws {
        for try await _ in try await self.query(query, logger: logger) {}
    }
}
