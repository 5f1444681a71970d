import AsyncHTTPClient
import CadenceCore
import CadenceEngine
import CadenceFakeGmail
import CadenceGmail
import CadenceStore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// `cadence demo --sandbox`: the bundled campaign through the real Gmail path — OAuth with PKCE, `messages.send`,
/// threads, quotas, token refresh — against a sandbox mailbox: the strict fake Gmail, started on 127.0.0.1 for
/// the length of the demo. Nothing leaves the machine, and it is labelled as a sandbox at every step.
public enum SandboxDemo {
    static let clientID = "sandbox-client.apps.googleusercontent.com"
    static let clientSecret = "sandbox-client-secret"

    public static func run(source: ExampleSource, scratch: String, reportPath: String? = nil, output: @escaping @Sendable (String) -> Void) async throws {
        try source.copy(to: scratch)
        let clock = AdjustableClock(Demo.start)
        let quiet = Logger(label: "cadence.sandbox") { _ in SwiftLogNoOpLogHandler() }
        try await withFakeGmail(clock: clock) { server in
            try await run(source: source, server: server, scratch: scratch, clock: clock, logger: quiet, reportPath: reportPath, output: output)
        }
    }

    private static func run(
        source: ExampleSource, server: FakeGmailServer, scratch: String, clock: AdjustableClock, logger: Logger, reportPath: String?,
        output: @escaping @Sendable (String) -> Void
    ) async throws {
        // The sandbox: the example's first mailbox becomes a Gmail mailbox hosted by the fake.
        let location = ProjectLocation(configurationPath: scratch + "/cadence.json", displayBase: scratch)
        let first = try sandboxMailbox(source: source, location: location)
        server.gmail.addMailbox(first.address.description)
        server.gmail.addClient(id: clientID, secret: clientSecret)
        try FileManager.default.createDirectory(atPath: scratch + "/secrets", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        FileManager.default.createFile(atPath: scratch + "/secrets/client_secret.txt", contents: Data(clientSecret.utf8), attributes: [.posixPermissions: 0o600])
        var keyBytes: [UInt8] = []
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<32 { keyBytes.append(UInt8.random(in: 0...255, using: &generator)) }
        FileManager.default.createFile(
            atPath: scratch + "/secrets/tracking.key", contents: Data(Data(keyBytes).base64EncodedString().utf8), attributes: [.posixPermissions: 0o600])
        try pointAtSandbox(location, mailbox: first.name, google: server.googleSection(clientID: clientID, clientSecret: .file("secrets/client_secret.txt")))

        output(
            """
            SANDBOX: a stand-in for Gmail runs on \(server.baseURL) for this demo only. Cadence talks to it over
            HTTP exactly as it talks to Google (OAuth, messages.send, threads, quotas); nothing leaves this machine.


            """)
        output("1. Check the configuration (cadence validate)\n")
        let report = ProjectValidator.validate(location: location)
        output(report.text + "\n\n")
        guard !report.hasErrors else { throw Demo.Failure.invalidExample(source) }
        let loaded = try LoadedCampaign.load(Demo.campaign, location: location)
        guard let mailbox = loaded.configuration.mailbox(named: first.name), case .gmail(let settings) = mailbox.provider else {
            throw Demo.Failure.unusableConfiguration("mailbox \(first.name) did not become a sandbox Gmail mailbox; this is a bug in cadence demo --sandbox")
        }

        let secrets = SecretStore(root: scratch, environment: [:])
        let access = GmailAccess(store: secrets, clock: clock, sleeper: ClockAdvancingSleeper(clock), logger: logger)
        let trackingKeys = try loaded.configuration.tracking.map { try TrackingKeyLoader.load($0, secrets: secrets) }
        output("2. Authorise the mailbox (cadence auth login \(mailbox.name))\n")
        var random = SystemRandomNumberGenerator()
        let login = try await AuthLogin.run(mailbox: mailbox, access: access, timeoutMinutes: 1, random: &random) { url in
            output("   The consent page: \(url.split(separator: "?").first ?? "")?…\n")
            output("   (a real mailbox's owner signs in and presses Allow here; the sandbox consents by itself)\n")
            await Self.consent(url)
        }
        output("   Authorised \(login.address) with \(login.scopes.map(GmailScope.shortName).joined(separator: ", ")); PKCE and state checked; refresh token saved with mode 600.\n\n")
        output("3. Ask Gmail who the mailbox is (cadence config check --online)\n")
        for line in await ConfigCheck.run(loaded.configuration, access: access, online: true) {
            output("   \(line.ok ? "ok" : "problem")  \(line.mailbox): \(line.text)\n")
        }
        output("\n")

        output("4. Launch it (cadence launch \(Demo.campaign) --candidates \(Demo.candidates))\n")
        let database = try CadenceDatabase.open(path: scratch + "/cadence.sqlite", mode: .create)
        let launch = try Launcher.launch(loaded, database: database, options: .init(candidatesPath: Demo.candidates, now: Demo.start, actor: "demo"))
        output(launch.text + "\n\n")

        output("5. Run it to the end through the sandbox Gmail, on a simulated clock (cadence run)\n")
        // Two days in, one candidate answers in her thread: the sandbox delivers the reply to the mailbox, and
        // reply watching stops her before her follow-up.
        let replier = "ana.ruiz@example.org"
        let replied = Mutex(false)
        let gmail = server.gmail
        let result = try await GoogleHTTP.with(settings.endpoints, logger: logger) { http in
            let sender = access.sender(http: http)
            return try await Simulation.run(
                database: database, configuration: loaded.configuration,
                sender: ProviderRouter(outbox: OutboxFolderSender(root: scratch), gmail: sender),
                from: Demo.start, until: Demo.start.addingTimeInterval(60 * 86_400), seed: 1,
                watch: MailboxWatch(gmail: sender, store: database, settings: loaded.configuration.replies), tracking: trackingKeys,
                moved: { now in
                    if now > clock.now { clock.set(now) }
                    guard now > Demo.start.addingTimeInterval(2 * 86_400), !replied.withLock({ $0 }),
                        let intro = gmail.report().allSent.first(where: { $0.to == [replier] })
                    else { return }
                    replied.withLock { $0 = true }
                    let reply =
                        "From: Ana Ruiz <\(replier)>\r\nTo: \(first.address)\r\nSubject: Re: \(intro.subject)\r\nIn-Reply-To: \(intro.messageID ?? "")\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi Sam, thanks for reaching out. Happy to talk on Thursday.\r\n"
                    _ = try? gmail.deliver(Array(reply.utf8), to: first.address.description, threadID: intro.threadID)
                    output("   (sandbox: \(replier) replies in her thread on \(Timestamps.display(now)))\n")
                })
        }
        output(Simulation.text(result) + "\n")
        let sent = server.gmail.report()
        let threads = Dictionary(grouping: sent.allSent, by: \.threadID)
        output(
            """
            The sandbox Gmail sent \(sent.allSent.count) messages in \(threads.count) threads; \
            \(sent.duplicates.isEmpty ? "none was sent twice" : "DUPLICATES: \(sent.duplicates)"); \
            access tokens issued: \(server.gmail.calls(of: "token")) (each lasts an hour of simulated time, then is refreshed).

            """)
        if let thread = threads.values.filter({ $0.count > 1 }).min(by: { $0[0].to.first ?? "" < $1[0].to.first ?? "" }) {
            output("One thread, as Gmail holds it (\(thread[0].to.joined()), thread \(thread[0].threadID)):\n")
            for message in thread { output("   \(Timestamps.display(message.at))  \(message.subject)\n") }
        }
        if let stopped = try await database.candidate(replier)?.enrollments.first, case .stopped = stopped.state {
            output("\(replier) replied, so reply watching stopped her sequence: \(StatusOutput.describe(stopped.state)).\n")
        }
        if let trackingKeys {
            try await SandboxTracking.show(
                server: server, mailbox: first.address.description, database: database, keys: trackingKeys, clock: clock, skipping: replier, logger: logger,
                output: output)
        }
        output("\n7. Where everyone stands (cadence status)\n")
        output(StatusOutput.text(try await database.status(campaign: nil, now: result.finished[Demo.campaign] ?? Demo.start)) + "\n\n")
        if let reportPath { try await Demo.writeReport(database, configuration: loaded.configuration, now: clock.now, to: reportPath, output: output) }
        output(
            """
            This was the sandbox: the same code sends through your Gmail once cadence.json's mailbox says
            "provider": "gmail" and `cadence auth login` has run (see docs/gmail.md). The temporary folder is deleted.

            """)
    }

    /// The mailbox the sandbox hosts: the example's first. A cadence.json that cannot be read stops the demo with
    /// its first problem.
    static func sandboxMailbox(source: ExampleSource, location: ProjectLocation) throws -> Mailbox {
        let file: String
        switch source {
        case .project(let root): file = "cadence.json in \(root)"
        case .builtIn: file = "the built-in cadence.json"
        }
        let bytes = FileManager.default.contents(atPath: location.configurationPath).map(Array.init) ?? []
        let decoded = ConfigurationDecoder.decode(bytes, file: "cadence.json")
        guard let configuration = decoded.configuration else {
            let first = decoded.diagnostics.first.map { " (\($0.description))" } ?? ""
            throw Demo.Failure.unusableConfiguration(
                "\(file) cannot be used\(first); fix it (cadence validate shows every problem), "
                    + "or run cadence demo --sandbox in a folder without cadence.json to use the example built into cadence")
        }
        guard let first = configuration.mailboxes.first else {
            throw Demo.Failure.unusableConfiguration(
                "\(file) has no mailbox for the sandbox to host; add one, or run cadence demo --sandbox in a folder without cadence.json")
        }
        return first
    }

    /// Rewrites the scratch copy's cadence.json so that `mailbox` sends through Gmail at the sandbox (`google`, the
    /// fake's endpoints), whatever the file's layout.
    static func pointAtSandbox(_ location: ProjectLocation, mailbox: String, google: String) throws {
        let url = URL(fileURLWithPath: location.configurationPath)
        guard var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any],
            var mailboxes = object["mailboxes"] as? [[String: Any]],
            let index = mailboxes.firstIndex(where: { $0["name"] as? String == mailbox })
        else { throw Demo.Failure.unusableConfiguration("cannot find mailbox \(mailbox) in cadence.json again; this is a bug in cadence demo --sandbox") }
        mailboxes[index]["provider"] = "gmail"
        object["mailboxes"] = mailboxes
        object["google"] = try JSONSerialization.jsonObject(with: Data(google.utf8))
        // Tracking through the sandbox's own `cadence serve`, opens on and the standard unsubscribe footer, with a
        // key made for this demo. The address is a stand-in: the demo calls the local server itself.
        object["tracking"] =
            [
                "baseURL": SandboxTracking.baseURL, "key": ["file": "secrets/tracking.key"], "defaults": ["opens": true, "footer": true],
            ] as [String: Any]
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]).write(to: url)
    }

    /// Plays the browser at the sandbox's consent page: open it, follow its redirect back to Cadence.
    static func consent(_ url: String) async {
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: .init(redirectConfiguration: .disallow))
        if let consent = try? await client.execute(HTTPClientRequest(url: url), timeout: .seconds(10)) {
            _ = try? await consent.body.collect(upTo: 1 << 20)
            if let location = consent.headers.first(name: "Location"), let back = try? await client.execute(HTTPClientRequest(url: location), timeout: .seconds(10)) {
                _ = try? await back.body.collect(upTo: 1 << 20)
            }
        }
        try? await client.shutdown()
    }
}
