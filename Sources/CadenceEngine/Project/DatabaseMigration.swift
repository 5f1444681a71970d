import CadenceCore
import CadenceGmail
import CadencePostgres
import CadenceStore
import Foundation

/// `cadence db migrate`: creates or upgrades the schema of the database `--db` names. SQLite files migrate when any
/// command opens them (one host, one writer); a PostgreSQL database migrates only here, under an advisory lock, so
/// runners on several hosts never race to change it.
public enum DatabaseMigration {
    /// Migrates `target` (a path or a URL) and says what it did. `passwordReference` is cadence.json's, for a URL.
    public static func migrate(
        _ target: String, passwordReference: SecretReference?, secrets: SecretStore, environment: [String: String], actor: String
    ) async throws(DatabaseCommandFailure) -> String {
        guard PostgresSettings.isURL(target) else {
            do {
                _ = try CadenceDatabase.open(path: target, mode: .create)
            } catch {
                throw .store(error)
            }
            return "\(target) is at the latest schema (SQLite files are brought up to date whenever cadence opens them)."
        }
        let connector = try PostgresTarget.connector(target, passwordReference: passwordReference, secrets: secrets, environment: environment)
        let settings = connector.settings
        do {
            let outcome = try await PostgresMigrator.migrate(connector, by: actor)
            if outcome.from == outcome.to { return "\(settings) is already at schema version \(outcome.to); nothing to do." }
            return outcome.from == 0
                ? "Created Cadence's schema (version \(outcome.to)) in \(settings)."
                : "Migrated \(settings) from schema version \(outcome.from) to \(outcome.to)."
        } catch {
            throw .postgres(error)
        }
    }
}
