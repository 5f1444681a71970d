import CadenceCore
import CadenceGmail
import CadencePostgres
import CadenceStore
import Foundation

/// `cadence db migrate`: creates or upgrades the schema of the database `--db` names. SQLite files migrate when any
/// command opens them (one host, one writer); a PostgreSQL database migrates only here, under an advisory lock, so
/// runners on several hosts never race to change it.
public enum DatabaseMigration {
    public enum Failure: Error, CustomStringConvertible {
        case postgres(PostgresFailure)
        case store(StoreError)
        case secret(SecretError)

        public var description: String {
            switch self {
            case .postgres(let failure): failure.description
            case .store(let error): error.description
            case .secret(let error): error.description
            }
        }
    }

    /// Migrates `target` (a path or a URL) and says what it did. `passwordReference` is cadence.json's, for a URL.
    public static func migrate(
        _ target: String, passwordReference: SecretReference?, secrets: SecretStore, environment: [String: String], actor: String
    ) async throws(Failure) -> String {
        guard PostgresSettings.isURL(target) else {
            do {
                _ = try CadenceDatabase.open(path: target, mode: .create)
            } catch {
                throw .store(error)
            }
            return "\(target) is at the latest schema (SQLite files are brought up to date whenever cadence opens them)."
        }
        do {
            var settings: PostgresSettings
            do {
                settings = try PostgresSettings.parse(target, environment: environment, login: ProcessInfo.processInfo.userName, home: environment["HOME"])
            } catch {
                throw PostgresFailure.settings(error.description)
            }
            if let passwordReference, settings.passwordSource != .url {
                let secret: Secret
                do {
                    secret = try secrets.text(passwordReference, what: "the database password")
                } catch {
                    throw Failure.secret(error)
                }
                settings.password = secret.revealed
                settings.passwordSource = .configuration(passwordReference.description)
            }
            let outcome = try await PostgresMigrator.migrate(try PostgresConnector(settings: settings), by: actor)
            if outcome.from == outcome.to { return "\(settings) is already at schema version \(outcome.to); nothing to do." }
            return outcome.from == 0
                ? "Created Cadence's schema (version \(outcome.to)) in \(settings)."
                : "Migrated \(settings) from schema version \(outcome.from) to \(outcome.to)."
        } catch let failure as PostgresFailure {
            throw .postgres(failure)
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .postgres(.settings("\(error)"))
        }
    }
}
