import ArgumentParser
import CadenceCore
import CadenceEngine
import CadenceGmail
import CadenceServer
import CadenceStore
import Foundation
import UnixSignals

/// `cadence serve`: Cadence's HTTP server, for Gmail's Pub/Sub pushes and tracking links.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP server for Gmail push notifications and for tracking and unsubscribe links.",
        discussion: """
            Every push is authenticated (the OIDC token Pub/Sub attaches, and/or the secret token in the push URL; \
            see "push" in docs/configuration.md), then queued in the database and answered 204 at once. \
            `cadence run` does the reading: it syncs a pushed mailbox within a second. With a "tracking" section it \
            also answers open pixels, click links and one-click unsubscribes (docs/tracking.md). Listens on 127.0.0.1:8080 \
            unless cadence.json's "server" says otherwise; put a TLS proxy in front for Pub/Sub to reach it. \
            SIGINT or SIGTERM stops it.
            """
    )

    @OptionGroup var project: ProjectOptions

    @Option(help: ArgumentHelp("Address to listen on (overrides cadence.json's \"server\".\"host\").", valueName: "address"))
    var host: String?

    @Option(help: ArgumentHelp("Port to listen on; 0 picks a free one (overrides \"server\".\"port\").", valueName: "port"))
    var port: Int?

    @Option(
        help: ArgumentHelp(
            "Also serve Prometheus metrics (every runner's sends, deferrals by reason, quota waits, claim times, leases) at /metrics on this port; 0 picks a free one.",
            valueName: "port"))
    var metricsPort: Int?

    @Option(help: ArgumentHelp("Address the metrics listen on (default 127.0.0.1: keep them off the internet).", valueName: "address"))
    var metricsHost = "127.0.0.1"

    func validate() throws {
        if let port, !(0...65_535).contains(port) { throw ValidationError("--port must be between 0 (any free port) and 65535, not \(port)") }
        if let metricsPort, !(0...65_535).contains(metricsPort) {
            throw ValidationError("--metrics-port must be between 0 (any free port) and 65535, not \(metricsPort)")
        }
    }

    func run() async throws {
        try await runReportingFailuresAsync {
            let (configuration, access) = try project.gmailContext()
            let (host, port) = (host, port)
            let metrics = metricsPort.map { (host: metricsHost, port: $0) }
            try await project.withStore { database in try await Self.serve(configuration, access, database, host: host, port: port, metrics: metrics) }
        }
    }

    static func serve(
        _ configuration: ProjectConfiguration, _ access: GmailAccess, _ database: any CadenceStore, host: String?, port: Int?,
        metrics: (host: String, port: Int)? = nil
    ) async throws {
        let endpoints = configuration.gmailMailboxes.first?.1.endpoints ?? GoogleEndpoints()
        try await GoogleHTTP.with(endpoints, logger: CadenceLog.logger) { http in
            let push: PushEndpoint?
            do {
                push = try PushService.endpoint(
                    configuration: configuration, database: database, store: access.store, http: http, clock: CommandClock.current, logger: CadenceLog.logger)
            } catch {
                throw CommandFailure("cannot start the push endpoint: \(error)", code: .dataError)
            }
            let settings = configuration.server
            var tracking: TrackingEndpoint?
            if let trackingSettings = configuration.tracking {
                let keys: TrackingKeys
                do {
                    keys = try TrackingKeyLoader.load(trackingSettings, secrets: access.store)
                } catch {
                    throw CommandFailure("cannot serve tracking links: \(error)", code: .dataError)
                }
                tracking = TrackingEndpoint(
                    keys: keys, store: database, recorder: TrackingRecorder(store: database, logger: CadenceLog.logger),
                    policy: IncomingPolicy(configuration.replies), clock: CommandClock.current, logger: CadenceLog.logger)
            }
            let metricsEndpoint = metrics.map { metrics in
                MetricsEndpoint(
                    host: metrics.host, port: metrics.port,
                    page: { () async -> Result<String, MetricsUnavailable> in
                        do {
                            return .success(try await FleetMetrics.exposition(database, now: CommandClock.now))
                        } catch {
                            return .failure(MetricsUnavailable("the database cannot be read: \(error)"))
                        }
                    },
                    listening: { address in
                        FileHandle.standardOutput.write(Data("Metrics on \(address)/metrics.\n".utf8))
                    })
            }
            do {
                try await CadenceHTTPServer.run(
                    host: host ?? settings.host, port: port ?? settings.port, push: push, pushPath: configuration.push.path, tracking: tracking,
                    trackingPath: configuration.tracking?.path ?? "/t", trustedProxies: settings.trustedProxySet, metrics: metricsEndpoint, logger: CadenceLog.logger,
                    shutdownSignals: [.sigterm, .sigint]
                ) { address in
                    var what =
                        push == nil
                        ? "no push endpoint: cadence.json has no authenticated \"push\" section, so replies are read by polling alone"
                        : "push endpoint \(configuration.push.path) (\([configuration.push.oidc != nil ? "OIDC token" : nil, configuration.push.token != nil ? "URL token" : nil].compactMap { $0 }.joined(separator: " and ")))"
                    if let path = configuration.tracking?.path {
                        what += "; tracking links under \(path)/"
                        if !settings.trustedProxies.isEmpty {
                            what += " (X-Forwarded-For trusted from \(settings.trustedProxies.map(\.description).joined(separator: ", ")))"
                        }
                    }
                    // Written straight through, not buffered: scripts wait for this line to know it is up.
                    FileHandle.standardOutput.write(Data("Listening on \(address): \(what). Ctrl-C stops.\n".utf8))
                }
            } catch {
                throw CommandFailure("the server stopped: \(error) (is the port in use? set \"server\".\"port\" or pass --port; for the metrics, --metrics-port)", code: .failure)
            }
        }
    }
}

/// `cadence watch`: Gmail push notifications for every Gmail mailbox, through the configured Pub/Sub topic.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Register each Gmail mailbox's push notifications (users.watch) with the Pub/Sub topic in cadence.json.",
        discussion: """
            Gmail stops pushing after 7 days; `cadence run` renews every registration daily. Pushes only make replies \
            arrive sooner: without them `cadence run` still reads every mailbox each pass (polling). --stop ends them.
            """
    )

    @OptionGroup var project: ProjectOptions

    @Flag(help: "Stop the push notifications instead (users.stop).")
    var stop = false

    func run() async throws {
        try await runReportingFailuresAsync {
            let (configuration, access) = try project.gmailContext()
            let stop = stop
            let lines = try await project.withStore { database in
                let endpoints = configuration.gmailMailboxes.first?.1.endpoints ?? GoogleEndpoints()
                return try await GoogleHTTP.with(endpoints, logger: CadenceLog.logger) { http in
                    let gmail = access.sender(http: http)
                    return stop
                        ? try await GmailWatchCommand.stop(configuration, gmail: gmail, store: database)
                        : try await GmailWatchCommand.start(configuration, gmail: gmail, store: database, now: CommandClock.now)
                }
            }
            for line in lines where !line.failed { print(line.text) }
            let failed = lines.filter(\.failed)
            for line in failed { FileHandle.standardError.write(Data("cadence: error: \(line.text)\n".utf8)) }
            if !failed.isEmpty { throw ExitCode.failure }
        }
    }
}
