import CadenceCore
import CadenceGmail
import CadencePostgres
import CadenceStore
import Foundation

/// The store `--db` names, for the commands that work on either backend (`run`, `serve`, `watch`): a SQLite file,
/// or a PostgreSQL database at this binary's schema version, on a pool of connections kept for the whole command.
///
/// The pool runs beside the command rather than as one of its services: the runner takes its lease before its
/// service group starts and gives it back after the group ends, and both need the database.
public enum ProjectStore {
    /// `listenForPushes`: a runner, woken by PostgreSQL's `NOTIFY` when any `serve` queues a push.
    public static func with<T: Sendable>(
        _ target: String, passwordReference: SecretReference?, secrets: SecretStore, environment: [String: String], listenForPushes: Bool = false,
        _ body: @Sendable (any CadenceStore) async throws -> T
    ) async throws -> T {
        guard PostgresSettings.isURL(target) else {
            let database: CadenceDatabase
            do {
                database = try CadenceDatabase.open(path: target, mode: .existing)
            } catch {
                throw DatabaseCommandFailure.store(error)
            }
            return try await body(database)
        }
        let connector = try PostgresTarget.connector(target, passwordReference: passwordReference, secrets: secrets, environment: environment)
        do {
            return try await PostgresStore.withStore(connector, listen: listenForPushes, body)
        } catch let failure as PostgresFailure {
            throw DatabaseCommandFailure.postgres(failure)
        }
    }
}
