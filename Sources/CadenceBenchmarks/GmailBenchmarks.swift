import CadenceCore
import CadenceEngine
import CadenceFakeGmail
import CadenceGmail
import CadenceStore
import Foundation
import Logging
import Synchronization

/// Gmail sending benchmarks against the fake over real HTTP on loopback (see BENCHMARKS.md):
///
/// - `gmail-quota`: many mailboxes, the fake enforcing Gmail's per-user rate, a campaign larger than the quota
///   admits in the run, on a virtual clock: how much of the quota ceiling Cadence used, how many 429s it provoked,
///   how many messages went twice.
/// - `gmail-throughput`: the fake's limits off and Cadence's pacing on a virtual clock (so waiting costs nothing),
///   every send durable: sends per second end to end, and how the time splits between Gmail calls and the rest.
enum GmailBenchmarks {
    static let start = Date(timeIntervalSince1970: 1_796_119_200)  // Tue 2026-12-01 10:00 UTC

    static func main(_ arguments: [String]) async throws -> Bool {
        switch (arguments[1], arguments.dropFirst(2).compactMap { Int($0) }) {
        case ("gmail-quota", let numbers) where numbers.count == 3:
            return try await quota(mailboxes: numbers[0], perMailbox: numbers[1], minutes: numbers[2])
        case ("gmail-throughput", let numbers) where numbers.count == 2:
            return try await throughput(mailboxes: numbers[0], sends: numbers[1], outbox: false)
        case ("outbox-throughput", let numbers) where numbers.count == 2:
            return try await throughput(mailboxes: numbers[0], sends: numbers[1], outbox: true)
        default:
            FileHandle.standardError.write(
                Data("usage: cadence-benchmarks gmail-quota MAILBOXES PEOPLE_PER_MAILBOX MINUTES | gmail-throughput MAILBOXES SENDS | outbox-throughput MAILBOXES SENDS\n".utf8))
            return false
        }
    }

    /// Sums the time spent inside the provider, to split the run's time.
    final class TimedSender: MailSender {
        let inner: any MailSender
        let seconds = Mutex<Double>(0)
        init(_ inner: any MailSender) { self.inner = inner }
        func send(_ request: SendRequest, from mailbox: Mailbox) async throws(SendFailure) -> SentMessage {
            let began = ContinuousClock.now
            defer { let spent = ContinuousClock.now - began; seconds.withLock { $0 += Double(spent.components.seconds) + Double(spent.components.attoseconds) / 1e18 } }
            return try await inner.send(request, from: mailbox)
        }
        func lookUp(_ request: SendRequest, in mailbox: Mailbox) async throws(SendFailure) -> SentMessage? { try await inner.lookUp(request, in: mailbox) }
        func recheckDelay(for mailbox: Mailbox) -> TimeInterval { inner.recheckDelay(for: mailbox) }
        func storedMessageID(of providerMessageID: String, in mailbox: Mailbox) async throws(SendFailure) -> String? { try await inner.storedMessageID(of: providerMessageID, in: mailbox) }
    }

    struct Scene {
        var database: CadenceDatabase
        var configuration: ProjectConfiguration
        var runner: Runner
        var sender: TimedSender
        var gmail: GmailSender
        var root: String
    }

    /// A project of `mailboxes` Gmail mailboxes on `server`, each authorised, with one campaign of one email step
    /// over all of them and `people` candidates, launched.
    static func scene(server: FakeGmailServer, clock: AdjustableClock, mailboxes: Int, people: Int, http: GoogleHTTP, outbox: Bool = false, _ body: (Scene) async throws -> Bool) async throws -> Bool {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-gmail-bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/secrets", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/sequences", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/templates", withIntermediateDirectories: true)
        server.gmail.addClient(id: "bench", secret: "bench-secret")
        _ = FileManager.default.createFile(atPath: root + "/secrets/client.txt", contents: Data("bench-secret".utf8), attributes: [.posixPermissions: 0o600])
        let store = SecretStore(root: root, environment: [:])
        var entries: [String] = []
        for index in 1...mailboxes {
            let address = "rep\(index)@acme.example.com"
            server.gmail.addMailbox(address)
            let refresh = server.gmail.issueRefreshToken(clientID: "bench", user: address, scopes: GmailScope.required)
            try TokenFile(address: address, scopes: GmailScope.required, refreshToken: Secret(refresh), authorizedAt: start).write("secrets/rep\(index).token.json", to: store)
            entries.append(
                #"{ "name": "rep\#(index)", "address": "\#(address)", "displayName": "Rep \#(index)", "timeZone": "UTC", "provider": "\#(outbox ? "outbox" : "gmail")", "limits": { "dailyCap": 2000, "hourlyCap": 2000, "minimumGap": "0s" } }"#
            )
        }
        let google = server.googleSection(clientID: "bench", clientSecret: .file("secrets/client.txt"))
        try Data(#"{ "google": \#(google), "mailboxes": [ \#(entries.joined(separator: ", ")) ] }"#.utf8).write(to: URL(fileURLWithPath: root + "/cadence.json"))
        let names = (1...mailboxes).map { "\"rep\($0)\"" }.joined(separator: ", ")
        try Data(
            #"{ "id": "bench", "name": "Bench", "mailboxes": [\#(names)], "timeZone": "UTC", "sendWindow": { "days": ["mon","tue","wed","thu","fri","sat","sun"], "start": "00:00", "end": "24:00" }, "steps": [ { "id": "intro", "type": "email", "template": "intro.md" } ] }"#
                .utf8
        ).write(to: URL(fileURLWithPath: root + "/sequences/bench.json"))
        try Data("Subject: Hello <<candidate.firstName>>\n\nHi <<candidate.firstName>>, a short note.\n".utf8).write(to: URL(fileURLWithPath: root + "/templates/intro.md"))
        try Data(("email,firstName\n" + (1...people).map { "p\($0)@example.org,P\($0)" }.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: root + "/people.csv"))
        let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: root)
        let loaded = try LoadedCampaign.load("bench", location: location)
        let database = try CadenceDatabase.open(path: root + "/cadence.sqlite", mode: .create)
        _ = try Launcher.launch(loaded, database: database, options: .init(candidatesPath: "people.csv", now: start, actor: "bench"))
        let quiet = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        let access = GmailAccess(store: store, clock: clock, sleeper: ClockAdvancingSleeper(clock), logger: quiet)
        let gmail = access.sender(http: http)
        let sender = TimedSender(ProviderRouter(outbox: OutboxFolderSender(root: root), gmail: gmail))
        let lease = LeaseKeeper(store: database, owner: "bench", seconds: 600, clock: clock)
        let runner = Runner(store: database, configuration: loaded.configuration, sender: sender, batch: 1_000, seed: 1, lease: lease)
        return try await body(Scene(database: database, configuration: loaded.configuration, runner: runner, sender: sender, gmail: gmail, root: root))
    }

    static func quota(mailboxes: Int, perMailbox: Int, minutes: Int) async throws -> Bool {
        let clock = AdjustableClock(start)
        let quiet = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        return try await withFakeGmail(options: FakeGmailOptions(), clock: clock) { server in
            try await GoogleHTTP.with(server.endpoints, logger: quiet) { http in
                try await scene(server: server, clock: clock, mailboxes: mailboxes, people: mailboxes * perMailbox, http: http) { scene in
                    var scene = scene
                    let end = start.addingTimeInterval(Double(minutes) * 60)
                    let began = ContinuousClock.now
                    var passes = 0
                    while clock.now < end {
                        passes += 1
                        let report = try await scene.runner.runOnce(now: clock.now)
                        if report.sent == 0 && report.deferred == 0 { break }
                    }
                    let elapsed = ContinuousClock.now - began
                    let report = server.gmail.report()
                    // The most any client could have had accepted in the window: each mailbox's rolling minute
                    // admits 6,000 units, so `minutes` whole minutes admit 6,000 × minutes. Cadence spends 105
                    // units a message (the send, then reading back the Message-ID Gmail stored).
                    let inWindow = report.allSent.filter { $0.at < end }.count
                    let units = inWindow * 105
                    let ceiling = mailboxes * 6_000 * minutes
                    print(
                        "mailboxes \(mailboxes), campaign \(mailboxes * perMailbox) people, \(minutes) min of virtual time (\(passes) passes, \(String(format: "%.1f", Double(elapsed.components.seconds))) s real)"
                    )
                    print(
                        "sent in the window \(inWindow) (\(report.allSent.count) in all); quota units \(units) of a ceiling of \(ceiling) (\(mailboxes) × 6,000/min × \(minutes) min): \(String(format: "%.1f", 100 * Double(units) / Double(ceiling))) % used"
                    )
                    print("429s provoked: \(server.gmail.rateLimitedAnswers()); duplicates: \(report.duplicates.count); still waiting: \(mailboxes * perMailbox - report.allSent.count)")
                    return report.duplicates.isEmpty
                }
            }
        }
    }

    /// With `outbox`, the same run through the outbox provider (each .eml flushed and renamed): the engine's own
    /// cost without HTTP, measured the same way in the same process, as the peer to compare with.
    static func throughput(mailboxes: Int, sends: Int, outbox: Bool) async throws -> Bool {
        let clock = AdjustableClock(start)
        let quiet = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        return try await withFakeGmail(options: .unlimited, clock: clock) { server in
            try await GoogleHTTP.with(server.endpoints, logger: quiet) { http in
                try await scene(server: server, clock: clock, mailboxes: mailboxes, people: sends, http: http, outbox: outbox) { scene in
                    var scene = scene
                    let began = ContinuousClock.now
                    var passes = 0
                    var total = 0
                    while total < sends, passes < 10_000 {
                        passes += 1
                        total += try await scene.runner.runOnce(now: clock.now).sent
                    }
                    let elapsed = ContinuousClock.now - began
                    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                    let inGmail = scene.sender.seconds.withLock { $0 }
                    let report = server.gmail.report()
                    let label = outbox ? "outbox" : "gmail"
                    print(
                        "\(label): mailboxes \(mailboxes), sends \(total) in \(String(format: "%.2f", seconds)) s real: \(String(format: "%.0f", Double(total) / seconds)) sends/s end to end (\(passes) passes)"
                    )
                    print(
                        "\(label): time inside the provider (\(outbox ? "write, fsync and rename of the .eml" : "messages.send + Message-ID read-back over HTTP, the fake's own work included")): \(String(format: "%.2f", inGmail)) s (\(String(format: "%.0f", 100 * inGmail / seconds)) %); the rest (render, intent and outcome commits with fsync, scheduling): \(String(format: "%.2f", seconds - inGmail)) s"
                    )
                    if !outbox { print("gmail: duplicates \(report.duplicates.count)") }
                    return report.duplicates.isEmpty
                }
            }
        }
    }
}
