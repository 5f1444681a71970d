import CadenceCore
import CadenceEngine
import CadenceFakeGmail
import CadenceGmail
import CadenceStore
import Foundation
import Logging
import Synchronization

/// Waiting moves the shared clock instead of the wall: backoff and quota pacing take no real time, and the fake
/// Gmail sees the time pass.
final class ClockSleeper: Sleeper, Sendable {
    let clock: AdjustableClock
    let waits = Mutex<[Double]>([])
    init(_ clock: AdjustableClock) { self.clock = clock }
    func sleep(seconds: Double) async throws {
        waits.withLock { $0.append(seconds) }
        clock.advance(by: seconds)
    }
    var total: Double { waits.withLock { $0.reduce(0, +) } }
}

/// A launched campaign whose mailbox `sam` is a Gmail mailbox on the fake, with a runner that sends through it.
final class SendingScene: @unchecked Sendable {
    /// Tuesday 2026-12-01 10:00 UTC.
    static let tuesday = Date(timeIntervalSince1970: 1_796_119_200)
    static let sam = "sam@northwind.example.com"

    let project: GmailProject
    let database: CadenceDatabase
    let configuration: ProjectConfiguration
    let clockSleeper: ClockSleeper
    let http: GoogleHTTP
    var runner: Runner
    var lease: LeaseKeeper { runner.lease }

    var fake: FakeGmail { project.gmail }
    var clock: AdjustableClock { project.clock }

    static func files(
        people: Int, google: String, attachment: Bool = false, colleagueReply: String = "stop", emails: [String]? = nil, tracking: Bool = false,
        trackingLink: String = "https://jobs.example.com/r?id=7&src=mail", secondLink: String? = nil, hotLeads: Bool = false
    ) -> [String: String] {
        let trackingSection = tracking ? "\"tracking\": { \"baseURL\": \"https://t.example.com\", \"key\": { \"file\": \"secrets/tracking.key\" }, \"defaults\": { \"opens\": true } }," : ""
        let link = tracking ? "\nSee [the role](\(trackingLink))\(secondLink.map { " and [the team](\($0))" } ?? "").\n" : ""
        return [
            "cadence.json": """
            { \(trackingSection) "google": \(google),
              "mailboxes": [ { "name": "sam", "address": "\(sam)", "displayName": "Sam Carter", "timeZone": "UTC", "provider": "gmail",
                               "limits": { "dailyCap": 500, "hourlyCap": 500, "minimumGap": "1s" } } ] }
            """,
            "sequences/q1.json": """
            { "id": "q1", "name": "Q1", "mailboxes": ["sam"], "timeZone": "UTC", "colleagueReply": "\(colleagueReply)",\(hotLeads ? " \"tracking\": { \"hotLeads\": true }," : "")
              "steps": [ { "id": "intro", "type": "email", "template": "intro.md"\(attachment ? ", \"attachments\": [\"deck.pdf\"]" : "") },
                         { "id": "bump", "type": "reply", "delay": "1d", "inThreadOf": "intro", "template": "bump.md" } ] }
            """,
            "templates/intro.md":
                "Subject: Quick question, <<candidate.firstName>>\n\nHi <<candidate.firstName>>, are you open to a chat?\n\(link)\nNot interested? Reply \"remove me\" and I will not write again.\n",
            "templates/bump.md": "Bumping this, <<candidate.firstName>>.\n",
            "people.csv": "email,firstName\n" + (emails ?? (1...people).map { "p\($0)@example.org" }).enumerated().map { "\($1),P\($0 + 1)" }.joined(separator: "\n") + "\n",
        ]
    }

    private init(project: GmailProject, database: CadenceDatabase, configuration: ProjectConfiguration, clockSleeper: ClockSleeper, http: GoogleHTTP, runner: Runner) {
        self.project = project
        self.database = database
        self.configuration = configuration
        self.clockSleeper = clockSleeper
        self.http = http
        self.runner = runner
    }

    /// Runs `body` with the scene. `sendTimeout` shortens the HTTP timeout of the runner's sends alone, for timeout
    /// tests: every other call (reading the mailbox, refreshing the token, the lookups that reconcile the send)
    /// keeps the ordinary timeout, so only the call meant to time out can. `emails` replaces the `people`
    /// candidates p1@example.org, p2@example.org, … (named P1, P2, … either way).
    static func with(
        options: FakeGmailOptions = .unlimited, people: Int = 3, sendTimeout: Int? = nil, attachment: Bool = false, colleagueReply: String = "stop",
        emails: [String]? = nil, tracking: Bool = false, trackingLink: String = "https://jobs.example.com/r?id=7&src=mail", secondLink: String? = nil,
        hotLeads: Bool = false, _ body: @Sendable (SendingScene) async throws -> Void
    ) async throws {
        try await GmailProject.with(options: options) { project in
            project.clock.set(tuesday)
            let google = project.server.googleSection(clientID: GmailProject.clientID, clientSecret: .file("secrets/client_secret.json"))
            for (path, content) in files(
                people: people, google: google, attachment: attachment, colleagueReply: colleagueReply, emails: emails, tracking: tracking,
                trackingLink: trackingLink, secondLink: secondLink, hotLeads: hotLeads)
            {
                try FileManager.default.createDirectory(atPath: (project.root + "/" + path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(content.utf8).write(to: URL(fileURLWithPath: project.root + "/" + path))
            }
            if attachment {
                try Data(repeating: 0x25, count: 800_000).write(to: URL(fileURLWithPath: project.root + "/sequences/deck.pdf"))
            }
            if tracking {
                _ = FileManager.default.createFile(
                    atPath: project.root + "/secrets/tracking.key", contents: Data("scene-tracking-key-0123456789abcdef".utf8), attributes: [.posixPermissions: 0o600])
            }
            try project.authorize(user: sam)
            let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: project.root)
            let loaded = try LoadedCampaign.load("q1", location: location)
            let database = try CadenceDatabase.open(path: project.root + "/cadence.sqlite", mode: .create)
            _ = try Launcher.launch(loaded, database: database, options: .init(candidatesPath: "people.csv", now: tuesday, actor: "t"))
            let sleeper = ClockSleeper(project.clock)
            let access = GmailAccess(store: project.store, clock: project.clock, sleeper: sleeper, logger: project.logs.logger)
            guard case .gmail(let settings) = loaded.configuration.mailboxes[0].provider else { throw FakeGmailServerError("not gmail") }
            var sendEndpoints = settings.endpoints
            if let sendTimeout { sendEndpoints.requestTimeoutSeconds = sendTimeout }
            try await GoogleHTTP.with(settings.endpoints, logger: project.logs.logger) { http in
                try await GoogleHTTP.with(sendEndpoints, logger: project.logs.logger) { sendHTTP in
                    let gmail = access.sender(http: http)
                    let router = ProviderRouter(outbox: OutboxFolderSender(root: project.root), gmail: gmail)
                    var sender: any MailSender = router
                    if sendTimeout != nil {
                        sender = SplitSender(sending: ProviderRouter(outbox: OutboxFolderSender(root: project.root), gmail: access.sender(http: sendHTTP)), asking: router)
                    }
                    // On the scene's clock, renewed as passes move it on.
                    let lease = LeaseKeeper(store: database, owner: "scene", seconds: 600, clock: project.clock)
                    var runner = Runner(
                        store: database, configuration: loaded.configuration, sender: sender, seed: 3, lease: lease,
                        gmailReadiness: AuthStatus.readiness(access: access))
                    runner.watch = MailboxWatch(gmail: gmail, store: database)
                    if let settings = loaded.configuration.tracking { runner.tracking = try TrackingKeyLoader.load(settings, secrets: project.store) }
                    try await body(SendingScene(project: project, database: database, configuration: loaded.configuration, clockSleeper: sleeper, http: http, runner: runner))
                }
            }
        }
    }

    /// One runner pass at `tuesday + seconds`, with the fake's clock set to the same instant.
    @discardableResult
    func pass(at seconds: TimeInterval) async throws -> Runner.Report {
        let now = Self.tuesday.addingTimeInterval(seconds)
        clock.set(now)
        return try await runner.runOnce(now: now)
    }

    /// Passes every `step` seconds from `from` to `to`.
    func passes(from: TimeInterval, to: TimeInterval, step: TimeInterval = 30) async throws -> Runner.Report {
        var total = Runner.Report()
        var t = from
        while t <= to {
            let report = try await pass(at: t)
            total.sent += report.sent
            total.reconciled += report.reconciled
            total.unknown += report.unknown
            total.deferred += report.deferred
            total.held += report.held
            total.incoming += report.incoming
            total.stoppedByIncoming += report.stoppedByIncoming
            t += step
        }
        return total
    }

    var sent: [FakeGmailReport.Sent] { fake.report().allSent }

    /// The Gmail sender on its own, for tests of the provider without the runner.
    func sender() -> GmailSender {
        GmailAccess(store: project.store, clock: clock, sleeper: clockSleeper, logger: project.logs.logger).sender(http: http)
    }

    func state(_ address: String) throws -> EnrollmentState? {
        try database.candidate(address)?.enrollments.first?.state
    }
}
