import CadenceCore
import CadenceGmail
import CadenceStore
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `cadence run` for one project, put together: the lease taken, the providers and reply watching wired, and the
/// runner service run in a service group that stops gracefully on SIGTERM and SIGINT.
public enum RunnerProcess {
    /// Why `cadence run` could not start or had to stop.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// Another runner holds the database.
        case busy(holder: String, until: Date)
        /// This runner lost the lease while running (see `RunnerService.Stop`).
        case leaseLost
        /// The lease asked for is too short for one provider attempt and the time to record its outcome.
        case leaseTooShort(asked: Int, minimum: Int)

        public var description: String {
            switch self {
            case .leaseTooShort(let asked, let minimum):
                "--lease \(asked) is too short: one Gmail attempt (cadence.json's connect and request timeouts) and the time to record its outcome must fit in two thirds of it; use at least --lease \(minimum)"
            case .busy(let holder, let until):
                "another runner (\(RunnerIdentity(owner: holder)?.display ?? holder)) is using this database until \(Timestamps.display(until)); stop it first, or wait"
            case .leaseLost: RunnerService.Stop.leaseLost.description
            }
        }
    }

    public struct Options: Sendable {
        public var interval: Int
        public var once: Bool
        public var seed: UInt64
        /// How long the runner holds its mailboxes between renewals; nil: `LeaseKeeper.lifetime`.
        public var lease: Int?
        /// Extra seconds a mailbox's new holder waits before confirming the old holder's sends in doubt.
        public var handoverMargin: Int

        public init(interval: Int, once: Bool, seed: UInt64, lease: Int? = nil, handoverMargin: Int = 30) {
            self.interval = interval
            self.once = once
            self.seed = seed
            self.lease = lease
            self.handoverMargin = handoverMargin
        }
    }

    /// Runs until `options.once` is done, a signal asks it to stop, or the lease is lost. `secrets` reads the
    /// project's secrets (token files, client secret); `report` gets each pass's line.
    public static func run(
        root: String, configuration: ProjectConfiguration, store database: any CadenceStore, secrets: SecretStore, clock: any WallClock, options: Options,
        logger: Logger, report: @escaping @Sendable (String) -> Void
    ) async throws {
        let minimum = LeaseKeeper.minimumLifetime(configuration)
        if let asked = options.lease, Double(asked) < minimum { throw Failure.leaseTooShort(asked: asked, minimum: Int(minimum.rounded(.up))) }
        let lease = LeaseKeeper(
            store: database, seconds: options.lease.map(Double.init) ?? LeaseKeeper.lifetime(interval: options.interval, configuration), clock: clock,
            mailboxes: configuration.mailboxes.map(\.name), callBound: LeaseKeeper.callBound(configuration, handoverMargin: Double(options.handoverMargin)))
        if case .busy(let holder, let until) = try await lease.acquire() { throw Failure.busy(holder: holder, until: until) }
        // The service releases the lease when it ends; this covers a failure before it starts.
        do {
            let access = GmailAccess(store: secrets, clock: clock, sleeper: TaskSleeper(), logger: logger)
            let endpoints = configuration.gmailMailboxes.first?.1.endpoints ?? GoogleEndpoints()
            try await GoogleHTTP.with(endpoints, logger: logger) { http in
                let gmail = configuration.gmailMailboxes.isEmpty ? nil : access.sender(http: http, seed: options.seed)
                // Readiness is read when a step needs it: a `cadence auth login` in another terminal takes effect
                // without a restart.
                var runner = Runner(
                    store: database, configuration: configuration, sender: ProviderRouter(outbox: OutboxFolderSender(root: root), gmail: gmail),
                    seed: options.seed, lease: lease, gmailReadiness: AuthStatus.readiness(access: access))
                if let gmail {
                    var watch = MailboxWatch(gmail: gmail, store: database, settings: configuration.replies)
                    watch.fence = { (mailbox: String) async throws(StoreError) -> Int64? in try await lease.current(for: mailbox)?.fence }
                    runner.watch = watch
                }
                if let tracking = configuration.tracking { runner.tracking = try TrackingKeyLoader.load(tracking, secrets: secrets) }
                runner.clock = clock
                runner.metrics = RunnerMetrics()
                if let gmail { runner.quotaUse = { mailbox in await gmail.budgetUse(mailbox) } }
                let service = RunnerService(runner: runner, clock: clock, interval: options.interval, once: options.once, report: report)
                let group = ServiceGroup(
                    configuration: .init(
                        services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)], gracefulShutdownSignals: [.sigterm, .sigint],
                        logger: logger))
                do {
                    try await group.run()
                } catch RunnerService.Stop.leaseLost {
                    throw Failure.leaseLost
                }
            }
        } catch {
            await lease.release()
            throw error
        }
    }
}
