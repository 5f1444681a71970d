import CadenceCore
import CadenceEngine
import CadenceFakeGmail
import CadenceGmail
import CadenceStore
import Foundation
import GRDB
import Logging

/// Reply-watching benchmarks (see BENCHMARKS.md):
///
/// - `reply-latency push|poll PEOPLE INTERVAL CADENCE`: real `cadence serve` and `cadence run --interval INTERVAL`
///   processes against the fake Gmail on the machine's clock. Each candidate in turn replies; the time until the
///   database shows them stopped is measured from the moment the reply lands in the mailbox, and with push also
///   from the moment the fake's push reached `cadence serve`.
/// - `reply-quota HOURS REPLIES_PER_HOUR`: quota units reply watching spends per mailbox per hour at the default
///   60-second poll interval, on a virtual clock.
enum ReplyBenchmarks {
    static let pushAccount = "gmail-push@bench-project.iam.gserviceaccount.com"
    static let audience = "https://hooks.example.com/hooks/gmail"
    static let address = "rep1@acme.example.com"

    static func main(_ arguments: [String]) async throws -> Bool {
        switch arguments[1] {
        case "reply-latency" where arguments.count == 6:
            guard let people = Int(arguments[3]), let interval = Int(arguments[4]), ["push", "poll"].contains(arguments[2]) else { break }
            return try await latency(push: arguments[2] == "push", people: people, interval: interval, binary: arguments[5])
        case "reply-quota" where arguments.count == 4:
            guard let hours = Int(arguments[2]), let replies = Int(arguments[3]) else { break }
            return try await quota(hours: hours, repliesPerHour: replies)
        default: break
        }
        FileHandle.standardError.write(Data("usage: cadence-benchmarks reply-latency push|poll PEOPLE INTERVAL PATH_TO_CADENCE | reply-quota HOURS REPLIES_PER_HOUR\n".utf8))
        return false
    }

    /// A one-mailbox Gmail project on `server`: a two-step campaign (intro, then a follow-up two days later).
    static func project(server: FakeGmailServer, people: Int, push: Bool) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-reply-bench-\(UUID().uuidString)").path
        for folder in ["secrets", "sequences", "templates"] { try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true) }
        server.gmail.addMailbox(address)
        server.gmail.addClient(id: "bench", secret: "bench-secret")
        _ = FileManager.default.createFile(atPath: root + "/secrets/client.txt", contents: Data("bench-secret".utf8), attributes: [.posixPermissions: 0o600])
        let store = SecretStore(root: root, environment: [:])
        let refresh = server.gmail.issueRefreshToken(clientID: "bench", user: address, scopes: GmailScope.required)
        try TokenFile(address: address, scopes: GmailScope.required, refreshToken: Secret(refresh), authorizedAt: Date()).write("secrets/rep1.token.json", to: store)
        let google = server.googleSection(clientID: "bench", clientSecret: .file("secrets/client.txt"))
        let pushSection =
            push
            ? #", "push": { "topic": "projects/bench-project/topics/gmail-inbox", "oidc": { "audience": "\#(audience)", "serviceAccountEmail": "\#(pushAccount)", "certsURL": "\#(server.baseURL)/oauth2/v3/certs" } }"#
            : ""
        try Data(
            #"{ "google": \#(google), "mailboxes": [ { "name": "rep1", "address": "\#(address)", "displayName": "Rep", "timeZone": "UTC", "provider": "gmail", "limits": { "dailyCap": 2000, "hourlyCap": 2000, "minimumGap": "0s" } } ]\#(pushSection) }"#
                .utf8
        )
        .write(to: URL(fileURLWithPath: root + "/cadence.json"))
        try Data(
            #"{ "id": "bench", "name": "Bench", "mailboxes": ["rep1"], "timeZone": "UTC", "sendWindow": { "days": ["mon","tue","wed","thu","fri","sat","sun"], "start": "00:00", "end": "24:00" }, "steps": [ { "id": "intro", "type": "email", "template": "intro.md" }, { "id": "bump", "type": "reply", "delay": "2d", "inThreadOf": "intro", "template": "bump.md" } ] }"#
                .utf8
        )
        .write(to: URL(fileURLWithPath: root + "/sequences/bench.json"))
        try Data("Subject: Hello <<candidate.firstName>>\n\nHi <<candidate.firstName>>, a short note.\n".utf8).write(to: URL(fileURLWithPath: root + "/templates/intro.md"))
        try Data("Bumping this.\n".utf8).write(to: URL(fileURLWithPath: root + "/templates/bump.md"))
        try Data(("email,firstName\n" + (1...people).map { "p\($0)@example.org,P\($0)" }.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: root + "/people.csv"))
        return root
    }

    static func command(_ binary: String, _ arguments: [String], in root: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.standardError
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    static func latency(push: Bool, people: Int, interval: Int, binary: String) async throws -> Bool {
        let clock = AdjustableClock()  // the machine's clock: the processes read it too
        return try await withFakeGmail(options: .unlimited, clock: clock) { server in
            let root = try project(server: server, people: people, push: push)
            defer { try? FileManager.default.removeItem(atPath: root) }
            guard try command(binary, ["launch", "bench", "--candidates", "people.csv"], in: root) == 0,
                try command(binary, ["run", "--once"], in: root) == 0
            else { return false }
            var processes: [Process] = []
            defer {
                for process in processes where process.isRunning { process.terminate() }
                for process in processes { process.waitUntilExit() }
            }
            if push {
                guard try command(binary, ["watch"], in: root) == 0 else { return false }
                let serve = Process()
                serve.executableURL = URL(fileURLWithPath: binary)
                serve.arguments = ["serve", "--port", "0"]
                serve.currentDirectoryURL = URL(fileURLWithPath: root)
                let output = Pipe()
                serve.standardOutput = output
                try serve.run()
                processes.append(serve)
                let line = String(decoding: output.fileHandleForReading.availableDataLine(), as: UTF8.self)
                guard let range = line.range(of: "http://127.0.0.1:"), let port = Int(line[range.upperBound...].prefix { $0.isNumber }) else {
                    FileHandle.standardError.write(Data("cadence serve did not start: \(line)\n".utf8))
                    return false
                }
                server.gmail.setPushSubscription(FakePushSubscription(endpoint: "http://127.0.0.1:\(port)/hooks/gmail", serviceAccountEmail: pushAccount, audience: audience))
            }
            let run = Process()
            run.executableURL = URL(fileURLWithPath: binary)
            run.arguments = ["run", "--interval", String(interval)]
            run.currentDirectoryURL = URL(fileURLWithPath: root)
            run.standardOutput = FileHandle.nullDevice
            try run.run()
            processes.append(run)
            try await Task.sleep(nanoseconds: 2_000_000_000)  // its first pass
            let database = try DatabaseQueue(
                path: root + "/cadence.sqlite",
                configuration: {
                    var c = Configuration(); c.readonly = true; return c
                }())
            var fromReply: [Double] = [], fromPush: [Double] = [], serveAnswer: [Double] = []
            var generator = SystemRandomNumberGenerator()
            let sent = server.gmail.report().allSent
            for index in 1...people {
                // Replies land at random moments of the poll cycle (push: within a second of each other).
                let pause = push ? Double.random(in: 0.05...0.3, using: &generator) : Double.random(in: 0...Double(interval), using: &generator)
                try await Task.sleep(nanoseconds: UInt64(pause * 1e9))
                let candidate = "p\(index)@example.org"
                guard let intro = sent.first(where: { $0.to == [candidate] }) else { return false }
                let reply = "From: \(candidate)\r\nTo: \(address)\r\nSubject: Re: \(intro.subject)\r\nIn-Reply-To: \(intro.messageID ?? "")\r\n\r\nThanks, happy to talk.\r\n"
                let landed = Date()
                try server.gmail.deliver(Array(reply.utf8), to: address, threadID: intro.threadID)
                let deadline = landed.addingTimeInterval(Double(interval) * 2 + 30)
                var stopped: Date?
                while stopped == nil, Date() < deadline {
                    let state = try await database.read { db in
                        try String.fetchOne(db, sql: "SELECT e.state FROM enrollment e JOIN candidate c ON c.id = e.candidateId WHERE c.addressKey = ?", arguments: [candidate])
                    }
                    if state == "stopped" { stopped = Date() } else { try await Task.sleep(nanoseconds: 2_000_000) }
                }
                guard let stopped else {
                    FileHandle.standardError.write(Data("\(candidate) was not stopped within \(Int(deadline.timeIntervalSince(landed))) s\n".utf8))
                    return false
                }
                fromReply.append(stopped.timeIntervalSince(landed))
                if push, let delivery = server.gmail.pushDeliveries().last, delivery.mailbox == address {
                    fromPush.append(stopped.timeIntervalSince(delivery.sentAt))
                    serveAnswer.append(delivery.answeredAt.timeIntervalSince(delivery.sentAt))
                }
            }
            func summary(_ values: [Double]) -> String {
                let sorted = values.sorted()
                guard !sorted.isEmpty else { return "none" }
                let p = { (q: Double) in sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * q))] * 1000 }
                return String(format: "median %.0f ms, p95 %.0f ms, max %.0f ms (n=%d)", p(0.5), p(0.95), (sorted.last ?? 0) * 1000, sorted.count)
            }
            print("\(push ? "push" : "polling alone"), cadence run --interval \(interval):")
            print("  reply lands -> enrolment stopped: \(summary(fromReply))")
            if push {
                print("  push reaches cadence serve -> enrolment stopped: \(summary(fromPush))")
                print("  cadence serve's answer to the push (204): \(summary(serveAnswer))")
                print("  pushes answered: \(server.gmail.pushDeliveries().map { $0.status.map(String.init) ?? "none" }.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 })")
            }
            return true
        }
    }

    /// Runner passes every 60 virtual seconds (the default `--interval`) for `hours`, with replies spread evenly.
    static func quota(hours: Int, repliesPerHour: Int) async throws -> Bool {
        let start = Date(timeIntervalSince1970: 1_796_119_200)
        let clock = AdjustableClock(start)
        let quiet = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        let people = max(1, hours * repliesPerHour)
        return try await withFakeGmail(options: FakeGmailOptions(), clock: clock) { server in
            let root = try project(server: server, people: people, push: false)
            defer { try? FileManager.default.removeItem(atPath: root) }
            let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: root)
            let loaded = try LoadedCampaign.load("bench", location: location)
            let database = try CadenceDatabase.open(path: root + "/cadence.sqlite", mode: .create)
            _ = try Launcher.launch(loaded, database: database, options: .init(candidatesPath: "people.csv", now: start, actor: "bench"))
            return try await GoogleHTTP.with(server.endpoints, logger: quiet) { http in
                let access = GmailAccess(store: SecretStore(root: root, environment: [:]), clock: clock, sleeper: ClockAdvancingSleeper(clock), logger: quiet)
                let gmail = access.sender(http: http)
                let lease = LeaseKeeper(store: database, owner: "bench", seconds: 600, clock: clock)
                var runner = Runner(
                    store: database, configuration: loaded.configuration, sender: ProviderRouter(outbox: OutboxFolderSender(root: root), gmail: gmail), batch: 1_000,
                    seed: 1, lease: lease)
                runner.watch = MailboxWatch(gmail: gmail, store: database, settings: loaded.configuration.replies)
                // Send every intro first, then count only what watching costs from here on.
                while try await runner.runOnce(now: clock.now).sent > 0 {}
                var now = clock.now
                let before = server.gmail.unitsCharged(address)
                let calls = ["history.list", "messages.get", "getProfile", "messages.list"].map { ($0, server.gmail.calls(of: $0)) }
                let sent = server.gmail.report().allSent
                var replied = 0
                let passes = hours * 60
                for pass in 0..<passes {
                    if repliesPerHour > 0, pass % max(1, 60 / repliesPerHour) == 0, replied < people {
                        replied += 1
                        let candidate = "p\(replied)@example.org"
                        if let intro = sent.first(where: { $0.to == [candidate] }) {
                            let reply = "From: \(candidate)\r\nTo: \(address)\r\nSubject: Re: \(intro.subject)\r\n\r\nYes.\r\n"
                            try server.gmail.deliver(Array(reply.utf8), to: address, threadID: intro.threadID)
                        }
                    }
                    _ = try await runner.runOnce(now: now)
                    now = now.addingTimeInterval(60)
                    clock.set(now)
                }
                let units = server.gmail.unitsCharged(address) - before
                let perCall = calls.map { "\($0.0) \(server.gmail.calls(of: $0.0) - $0.1)" }.joined(separator: ", ")
                print(
                    "polling every 60 s for \(hours) h, \(repliesPerHour) replies/h: \(units) quota units = \(units / max(1, hours)) units per mailbox per hour (calls: \(perCall)); Gmail allows 6,000 a minute"
                )
                return true
            }
        }
    }
}

extension FileHandle {
    /// Bytes up to the first newline (blocking): a child's first line of output.
    func availableDataLine() -> [UInt8] {
        var line: [UInt8] = []
        while true {
            let byte = readData(ofLength: 1)
            guard let first = byte.first else { return line }
            if first == UInt8(ascii: "\n") { return line }
            line.append(first)
        }
    }
}
