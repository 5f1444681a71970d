import ArgumentParser
import CadenceEngine
import CadenceGmail
import Foundation

/// `cadence db`: the database itself, apart from any campaign.
struct Db: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Create or upgrade the database's schema, or copy it between SQLite and PostgreSQL.",
        subcommands: [Migrate.self, Copy.self]
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
                do throws(DatabaseCommandFailure) {
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

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a whole Cadence database between SQLite and PostgreSQL (either way).",
            discussion: """
                Stop every runner and command first: the copy refuses while a runner holds the lease or a send is in \
                doubt, and into a destination that holds any row (a new SQLite file, or an empty PostgreSQL database, \
                which it migrates first). Rows keep their ids. The copy is kept only if every table's row count and \
                checksum match on both sides.
                """
        )

        @OptionGroup var project: ProjectOptions

        @Option(help: ArgumentHelp("The database to copy: a SQLite file or a postgres:// URL.", valueName: "path-or-url"))
        var from: String

        @Option(help: ArgumentHelp("Where to copy it: a new SQLite file or an empty PostgreSQL database.", valueName: "path-or-url"))
        var to: String

        func run() async throws {
            try await runReportingFailuresAsync {
                let environment = ProcessInfo.processInfo.environment
                let location = project.location
                func target(_ value: String) -> String { DatabaseLocation.resolve(explicit: value, environment: [:], project: location) }
                do throws(DatabaseCommandFailure) {
                    let report = try await DatabaseCopy.copy(
                        from: target(from), to: target(to), passwordReference: { DatabaseLocation.passwordReference(for: $0, project: location) },
                        secrets: SecretStore(root: location.root, environment: environment), environment: environment, actor: Actor.current("db copy"),
                        clock: CommandClock.current)
                    print(report)
                } catch {
                    throw CommandFailure(error.description, code: .dataError)
                }
            }
        }
    }
}
