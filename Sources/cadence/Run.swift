import ArgumentParser
import CadenceCore
import CadenceEngine
import CadenceGmail
import CadenceStore
import Foundation

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send what is due, each step exactly once, within every window and limit.",
        discussion: """
            Reconciles sends whose outcome is unknown, opens due tasks, and sends due steps through each mailbox's \
            provider. Only one runner per database at a time. SIGINT or SIGTERM stops it after the send in flight, which is recorded first. \
            See docs/exactly-once.md.
            """
    )

    @OptionGroup var project: ProjectOptions

    @Flag(help: "Do one pass and exit.")
    var once = false

    @Option(help: ArgumentHelp("Seconds between passes.", valueName: "seconds"))
    var interval: Int = 60

    @Option(help: ArgumentHelp("Seed for the send-gap and backoff jitter (reproducible runs).", valueName: "n"))
    var seed: UInt64 = 1

    @Option(
        help: ArgumentHelp(
            "Seconds this runner holds its mailboxes between renewals (default: at least 90). Shorter: another runner takes over sooner when a host dies.",
            valueName: "seconds"))
    var lease: Int?

    @Option(
        help: ArgumentHelp(
            "Extra seconds (default 30) a runner that takes a mailbox over from one that stopped renewing waits, beyond the longest Gmail call, before it confirms that runner's sends in doubt: for network delays and stalled hosts.",
            valueName: "seconds"))
    var handoverMargin: Int = 30

    @Flag(help: "Run on a virtual clock against a copy of the database and a scratch outbox; print the timeline. Sends nothing.")
    var simulate = false

    @Option(help: ArgumentHelp("With --simulate: how far ahead, ISO 8601.", valueName: "time"))
    var until: String?

    func run() async throws {
        try await runReportingFailuresAsync {
            let location = project.location
            guard let bytes = FileManager.default.contents(atPath: location.configurationPath),
                let configuration = ConfigurationDecoder.decode(bytes, file: location.display(location.configurationPath)).configuration
            else { throw CommandFailure("cannot read a valid \(location.display(location.configurationPath)); run `cadence validate`", code: .dataError) }
            if simulate {
                guard let until = try Timestamp.parse(until, option: "--until") else {
                    throw ValidationError("--simulate needs --until TIME, e.g. --until 2027-01-31T00:00:00Z")
                }
                let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-simulation-\(UUID().uuidString)").path
                try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: scratch) }
                let copy =
                    PostgresSettings.isURL(project.databasePath)
                    ? try await project.snapshot(to: scratch + "/cadence.sqlite")
                    : try project.openDatabase(.readOnly).copy(to: scratch + "/cadence.sqlite")
                let result = try await Simulation.run(
                    database: copy, configuration: configuration, scratchFolder: scratch, from: CommandClock.now, until: until, seed: seed)
                print(Simulation.text(result))
                print("This was a simulation on a copy of the database: nothing was sent and nothing was changed.")
                return
            }
            do {
                let options = RunnerProcess.Options(interval: interval, once: once, seed: seed, lease: lease, handoverMargin: handoverMargin)
                try await project.withStore(listenForPushes: true) { store in
                    try await RunnerProcess.run(
                        root: location.root, configuration: configuration, store: store,
                        secrets: SecretStore(root: location.root, environment: ProcessInfo.processInfo.environment), clock: CommandClock.current,
                        options: options, logger: CadenceLog.logger
                    ) { line in print(line) }
                }
            } catch let failure as RunnerProcess.Failure {
                throw CommandFailure(failure.description, code: .failure)
            }
        }
    }

    func validate() throws {
        // A pass at least every second and at most once a day: 0 or less would spin against Gmail's quota.
        guard (1...86_400).contains(interval) else {
            throw ValidationError("--interval must be between 1 and 86400 seconds (got \(interval))")
        }
        if let lease, !(1...86_400).contains(lease) { throw ValidationError("--lease must be between 1 and 86400 seconds (got \(lease))") }
        guard (0...3_600).contains(handoverMargin) else { throw ValidationError("--handover-margin must be between 0 and 3600 seconds (got \(handoverMargin))") }
    }
}

func runReportingFailuresAsync(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as CommandFailure {
        FileHandle.standardError.write(Data("cadence: error: \(failure.description)\n".utf8))
        throw failure.code
    } catch let error as StoreError {
        FileHandle.standardError.write(Data("cadence: error: \(error.description)\n".utf8))
        throw ExitCode.dataError
    }
}
