import ArgumentParser
import CadenceCore
import CadenceEngine
import CadenceGmail
import CadenceStore
import Foundation

/// Options every command that reads a project shares.
struct ProjectOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The configuration file (default: $CADENCE_CONFIG, else ./cadence.json).", valueName: "path"))
    var config: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The database (default: $CADENCE_DB, else cadence.json's \"database\", else cadence.sqlite).", valueName: "path"))
    var db: String?

    var databasePath: String {
        DatabaseLocation.resolve(explicit: db, environment: ProcessInfo.processInfo.environment, project: location)
    }

    /// The database as messages name it: a SQLite file's path; never a PostgreSQL URL, which may hold a password.
    var databaseName: String {
        PostgresSettings.isURL(databasePath) ? "the PostgreSQL database" : databasePath
    }

    /// Opens the database, or exits with what to do.
    func openDatabase(_ mode: CadenceDatabase.OpenMode = .existing) throws -> CadenceDatabase {
        do {
            return try CadenceDatabase.open(path: databasePath, mode: mode)
        } catch {
            throw CommandFailure(error.description, code: .dataError)
        }
    }

    /// Runs `body` on the store --db names, SQLite or PostgreSQL (for the commands that work on both), or exits
    /// with what to do.
    func withStore<T: Sendable>(listenForPushes: Bool = false, _ body: @Sendable (any CadenceStore) async throws -> T) async throws -> T {
        let location = location
        let target = databasePath
        let environment = ProcessInfo.processInfo.environment
        do {
            return try await ProjectStore.with(
                target, passwordReference: DatabaseLocation.passwordReference(for: target, project: location),
                secrets: SecretStore(root: location.root, environment: environment), environment: environment, listenForPushes: listenForPushes, body)
        } catch let failure as DatabaseCommandFailure {
            throw CommandFailure(failure.description, code: .dataError)
        }
    }

    /// Runs `body` on the store for a command that writes by hand: a SQLite file (created when `create`), or
    /// PostgreSQL.
    func withWritingStore<T: Sendable>(create: Bool = false, _ body: @Sendable (any CadenceStore) async throws -> T) async throws -> T {
        guard PostgresSettings.isURL(databasePath) else { return try await body(try openDatabase(create ? .create : .existing)) }
        return try await withStore(body)
    }

    /// Runs `body` on the store for a command that only reads: a SQLite file opened read-only (nothing migrated,
    /// nothing created), or PostgreSQL.
    func withReadingStore<T: Sendable>(_ body: @Sendable (any CadenceStore) async throws -> T) async throws -> T {
        guard PostgresSettings.isURL(databasePath) else { return try await body(try openDatabase(.readOnly)) }
        return try await withStore(body)
    }

    /// The PostgreSQL database --db names, as it stands, in a new scratch SQLite file at `path` (for dry runs and
    /// simulations), or exits with what to do.
    func snapshot(to path: String) async throws -> CadenceDatabase {
        let location = location
        let target = databasePath
        let environment = ProcessInfo.processInfo.environment
        do {
            return try await DatabaseSnapshot.copy(
                target, passwordReference: DatabaseLocation.passwordReference(for: target, project: location),
                secrets: SecretStore(root: location.root, environment: environment), environment: environment, to: path)
        } catch {
            throw CommandFailure(error.description, code: .dataError)
        }
    }

    var location: ProjectLocation {
        ProjectLocation.resolve(
            explicit: config, environment: ProcessInfo.processInfo.environment,
            currentDirectory: FileManager.default.currentDirectoryPath)
    }
}

/// Output formats for commands whose results editors and CI read.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

/// EX_DATAERR from sysexits.h: the input files are wrong. Usage errors exit 64 through ArgumentParser.
extension ExitCode {
    static let dataError = ExitCode(65)
    /// EX_NOINPUT: an input file does not exist or cannot be read (`cadence classify`).
    static let noInput = ExitCode(66)
    /// EX_CANTCREAT: an output file exists and is not overwritten (`cadence init`).
    static let cannotCreate = ExitCode(73)
}

/// A one-line error for the user and the exit status that goes with it.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    var code: ExitCode
    init(_ message: String, code: ExitCode = .failure) {
        self.description = message
        self.code = code
    }
}

/// Who ran a command, for the event log: the login name, never anything secret.
enum Actor {
    static func current(_ command: String) -> String {
        let user = ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"] ?? "unknown"
        return "\(command) (\(user))"
    }
}

/// Prints a failure as `cadence: error: …` on stderr and exits with its code.
func runReportingFailures(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let failure as CommandFailure {
        FileHandle.standardError.write(Data("cadence: error: \(failure.description)\n".utf8))
        throw failure.code
    } catch let error as StoreError {
        FileHandle.standardError.write(Data("cadence: error: \(error.description)\n".utf8))
        throw ExitCode.dataError
    }
    // A `ValidationError` (a bad argument found while running) goes on to `CadenceCommand.main`, which prints it in
    // the same one-line form for every command.
}
