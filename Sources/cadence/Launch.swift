import ArgumentParser
import CadenceCore
import CadenceEngine
import CadenceStore
import Foundation

struct Launch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enrol a candidates CSV in a campaign, in one transaction.",
        discussion: """
            Validates the campaign first. Skips duplicates, anyone already in this campaign, anyone in progress in \
            another campaign and suppressed addresses; enrols candidates who lack data as held. A row that cannot \
            be read stops the launch with nothing written. Relaunching with a corrected file updates held \
            candidates and adds new rows.
            """
    )

    @OptionGroup var project: ProjectOptions

    @Argument(help: ArgumentHelp("A campaign id, or the path of a campaign file.", valueName: "campaign"))
    var campaign: String

    @Option(help: ArgumentHelp("The candidates CSV.", valueName: "csv"))
    var candidates: String

    @Option(help: ArgumentHelp("When the first step may go, ISO 8601 (default: now).", valueName: "time"))
    var start: String?

    @Flag(help: "Print what would happen and write nothing.")
    var dryRun = false

    @Flag(help: "Refuse the launch if any candidate lacks data, instead of holding them.")
    var strict = false

    @Flag(help: "Enrol people who are in progress in another campaign too.")
    var allowConcurrent = false

    @Option(help: "text or json.")
    var format: OutputFormat = .text

    func run() async throws {
        try await runReportingFailuresAsync {
            let now = CommandClock.now
            let startTime = try Timestamp.parse(start, option: "--start") ?? now
            let loaded = try LoadedCampaign.loadOrExit(campaign, location: project.location)
            // A dry run writes nothing, not even a new database file: it works on an empty scratch database that
            // is deleted afterwards (a file, not memory, so a large file's dry run stays small).
            var scratch: String?
            let postgres = PostgresSettings.isURL(project.databasePath)
            var database: CadenceDatabase?
            let existed = postgres || FileManager.default.fileExists(atPath: project.databasePath)
            if dryRun {
                // A dry run works on a scratch copy (or a new scratch file): the real database is not touched at all.
                let path = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-dry-run-\(UUID().uuidString).sqlite").path
                scratch = path
                if postgres {
                    // On PostgreSQL: the database as it stands, read in one snapshot into the scratch file.
                    database = try await project.snapshot(to: path)
                } else {
                    database = existed ? try project.openDatabase(.readOnly).copy(to: path) : try CadenceDatabase.open(path: path, mode: .create)
                }
            } else if !postgres {
                database = try project.openDatabase(.create)
            }
            defer { if let scratch { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: scratch + suffix) } } }
            // A launch that fails leaves no new database file behind.
            func discardNewDatabase() {
                guard !existed, !dryRun else { return }
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: project.databasePath + suffix) }
            }
            var options = Launcher.Options(
                candidatesPath: candidates, now: now, start: startTime, dryRun: dryRun, strict: strict, allowConcurrent: allowConcurrent,
                actor: Actor.current("launch"))
            // On a terminal, one line that counts up; otherwise (a log, CI) plain lines.
            let terminal = isatty(STDERR_FILENO) == 1
            options.progress = { rows in
                FileHandle.standardError.write(Data((terminal ? "\r  \(rows) rows read…" : "launch: \(rows) rows read\n").utf8))
            }
            let report: LaunchReport
            do {
                if let database {
                    report = try Launcher.launch(loaded, database: database, options: options)
                } else {
                    // On PostgreSQL (a migrated database: `cadence db migrate` first), in one transaction.
                    let launchOptions = options
                    report = try await project.withStore { store in try await Launcher.launch(loaded, store: store, options: launchOptions) }
                }
            } catch let error as Launcher.Failure {
                discardNewDatabase()
                switch error {
                case .rows(_, let report):
                    print(format == .json ? report.json : report.text)
                    throw ExitCode.dataError
                case .strict(let report):
                    print(format == .json ? report.json : report.text)
                    throw CommandFailure(
                        "--strict: \(report.held) candidate\(report.held == 1 ? " lacks" : "s lack") data; nothing was launched. Fix the file, or launch without --strict to hold them.",
                        code: .dataError)
                case .changed(let id, let version, let differences):
                    throw CommandFailure(
                        "\(id) has changed since version \(version) was launched:\n" + differences.map { "  \($0)" }.joined(separator: "\n")
                            + "\nRun `cadence update \(id)` to apply the new version to steps not yet sent, then launch again.",
                        code: .dataError)
                case .file(let diagnostics):
                    print(diagnostics.map(\.description).joined(separator: "\n"))
                    throw ExitCode.dataError
                case .store(let error):
                    throw CommandFailure(error.description, code: .dataError)
                case .usage(let message):
                    throw ValidationError(message)
                }
            }
            if isatty(STDERR_FILENO) == 1, report.enrolledActive + report.held + report.skipped.count >= 10_000 {
                FileHandle.standardError.write(Data("\r".utf8))
            }
            print(format == .json ? report.json : report.text)
        }
    }
}
