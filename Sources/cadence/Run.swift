import ArgumentParser
import CadenceCore
import CadenceEngine
import CadenceStore
import Dispatch
import CadenceGmail
import Foundation
import Synchronization

/// Set by SIGINT or SIGTERM: the runner finishes the send in flight and stops.
let stopRequested = Atomic<Bool>(false)

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send what is due, each step exactly once, within every window and limit.",
        discussion: """
            Reconciles sends whose outcome is unknown, opens due tasks, and sends due steps through each mailbox's \
            provider. Only one runner per database at a time. SIGINT or SIGTERM stops it after the send in flight. \
            See docs/exactly-once.md.
            """
    )

    @OptionGroup var project: ProjectOptions

    @Flag(help: "Do one pass and exit.")
    var once = false

    @Option(help: ArgumentHelp("Seconds between passes.", valueName: "seconds"))
    var interval: Int = 60

    @Option(help: ArgumentHelp("Seed for the send-gap jitter (reproducible runs).", valueName: "n"))
    var seed: UInt64 = 1

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
                let copy = try project.openDatabase(.readOnly).copy(to: scratch + "/cadence.sqlite")
                let result = try await Simulation.run(
                    database: copy, configuration: configuration, scratchFolder: scratch, from: CommandClock.now, until: until, seed: seed)
                print(Simulation.text(result))
                print("This was a simulation on a copy of the database: nothing was sent and nothing was changed.")
                return
            }
            let database = try project.openDatabase()
            let owner = "\(ProcessInfo.processInfo.hostName):\(getpid())"
            let leaseSeconds = Double(max(interval, 30) * 3)
            if let holder = try database.acquireLease(owner: owner, now: CommandClock.now, seconds: leaseSeconds) {
                // A runner on this machine whose process is gone (killed, crashed) cannot hold the database.
                let parts = holder.owner.split(separator: ":")
                if parts.count == 2, parts[0] == ProcessInfo.processInfo.hostName, let pid = Int32(parts[1]), kill(pid, 0) != 0, errno == ESRCH {
                    try database.takeOverLease(from: holder.owner, owner: owner, now: CommandClock.now, seconds: leaseSeconds)
                } else {
                    throw CommandFailure("another runner (\(holder.owner)) is using this database until \(Timestamps.display(holder.until)); stop it first, or wait", code: .failure)
                }
            }
            defer { try? database.releaseLease(owner: owner) }
            for signalNumber in [SIGINT, SIGTERM] { signal(signalNumber, SIG_IGN) }
            let sources = [SIGINT, SIGTERM].map { signalNumber in
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler { stopRequested.store(true, ordering: .relaxed) }
                source.resume()
                return source
            }
            defer { sources.forEach { $0.cancel() } }
            let access = GmailAccess(
                store: SecretStore(root: location.root, environment: ProcessInfo.processInfo.environment), clock: CommandClock.current,
                sleeper: TaskSleeper(), logger: CadenceLog.logger)
            let endpoints = configuration.gmailMailboxes.first?.1.endpoints ?? GoogleEndpoints()
            try await GoogleHTTP.with(endpoints, logger: CadenceLog.logger) { http in
                let gmail = configuration.gmailMailboxes.isEmpty ? nil : access.sender(http: http)
                // Readiness is read when a step needs it: a `cadence auth login` in another terminal takes effect
                // without a restart.
                var runner = Runner(
                    database: database, configuration: configuration, sender: ProviderRouter(outbox: OutboxFolderSender(root: location.root), gmail: gmail),
                    seed: seed, gmailReadiness: AuthStatus.readiness(access: access))
                if let gmail { runner.watch = MailboxWatch(gmail: gmail, database: database, settings: configuration.replies) }
                runner.clock = CommandClock.current
                // Renewed before every send: a pass slowed by Gmail's pacing must not outlive the lease, and if
                // another runner took it over meanwhile, this one stops sending at once.
                // While the lease has more than two thirds of its time left nobody else can take it, so it is
                // written only when it has run down that far: not one extra commit per send.
                let renewed = Mutex<Date>(.distantPast)
                runner.leaseCheck = { () throws(StoreError) -> Bool in
                    let now = CommandClock.now
                    if now.timeIntervalSince(renewed.withLock { $0 }) < leaseSeconds / 3 { return true }
                    guard try database.acquireLease(owner: owner, now: now, seconds: leaseSeconds) == nil else { return false }
                    renewed.withLock { $0 = now }
                    return true
                }
                repeat {
                    let now = CommandClock.now
                    _ = try database.acquireLease(owner: owner, now: now, seconds: Double(max(interval, 30) * 3))
                    let report = try await runner.runOnce(now: now)
                    print("\(Timestamps.display(now))  \(report.text)")
                    if once || stopRequested.load(ordering: .relaxed) { break }
                    // Between passes, pushes queued by `cadence serve` are picked up within a quarter second. A
                    // mailbox that cannot be read is left for the next pass, not retried four times a second.
                    var pushesBlocked = false
                    for _ in 0..<max(1, interval * 4) where !stopRequested.load(ordering: .relaxed) {
                        try await Task.sleep(nanoseconds: 250_000_000)
                        guard !pushesBlocked else { continue }
                        let pushed = try await runner.handlePushes(now: CommandClock.now)
                        if pushed.incoming > 0 {
                            print("\(Timestamps.display(CommandClock.now))  pushed: incoming \(pushed.incoming), stopping \(pushed.stoppedByIncoming).")
                        }
                        if !pushed.watchProblems.isEmpty {
                            print("\(Timestamps.display(CommandClock.now))  pushed: \(pushed.watchProblems.joined(separator: "; ")); trying again at the next pass.")
                            pushesBlocked = true
                        }
                    }
                } while !stopRequested.load(ordering: .relaxed)
            }
        }
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
