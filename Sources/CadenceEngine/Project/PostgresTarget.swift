import CadenceCore
import CadenceGmail
import CadencePostgres
import Foundation

/// A `postgres://` target made ready to connect: libpq's settings, then cadence.json's password reference (above
/// PGPASSWORD and the password file, below a password in the URL itself).
enum PostgresTarget {
    static func connector(
        _ url: String, passwordReference: SecretReference?, secrets: SecretStore, environment: [String: String]
    ) throws(DatabaseCommandFailure) -> PostgresConnector {
        var settings: PostgresSettings
        do {
            settings = try PostgresSettings.parse(url, environment: environment, login: ProcessInfo.processInfo.userName, home: environment["HOME"])
        } catch {
            throw .postgres(.settings(error.description))
        }
        if let passwordReference, settings.passwordSource != .url {
            do {
                settings.password = try secrets.text(passwordReference, what: "the database password").revealed
            } catch {
                throw .secret(error)
            }
            settings.passwordSource = .configuration(passwordReference.description)
        }
        do {
            return try PostgresConnector(settings: settings)
        } catch {
            throw .postgres(error)
        }
    }
}
