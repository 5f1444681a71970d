import ArgumentParser
import CadenceEngine
import CadenceGmail
import Foundation

/// `cadence db`: the database itself, apart from any campaign.
struct Db: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Create or upgrade the database's schema.",
        subcommands: [Migrate.self]
    )

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or upgrade the schema of the database --db names (a SQLite file or a postgres:// URL).",
            discussion: """
                On PostgreSQL, run it once before starting runners and after every upgrade of cadence: runners never \
                change the schema, and refuse one older or newer than they know. Two hosts migrating at once are safe \
                (an advisory lock serialises them). The password comes from cadence.json's "database"."password", \
                PGPASSWORD, or the password file (PGPASSFILE, else ~/.pgpass, mode 0600), as with libpq.
                """
        )

        @OptionGroup var project: ProjectOptions

        func run() async throws {
            try await runReportingFailuresAsync {
                let target = project.databasePath
                let environment = ProcessInfo.processInfo.environment
                do throws(DatabaseMigration.Failure) {
                    let message = try await DatabaseMigration.migrate(
                        target, passwordReference: DatabaseLocation.passwordReference(for: target, project: project.location),
                        secrets: SecretStore(root: project.location.root, environment: environment), environment: environment,
                        actor: Actor.current("db migrate"))
                    print(message)
                } catch {
                    throw CommandFailure(error.description, code: .dataError)
                }
            }
        }
    }
}
