import CadenceCore
import CadenceFakeGmail
import Foundation
import GRDB
import Testing

extension ProcessTests.KillTests {
    /// GMAIL_KILLS (default 24) runs of `cadence run --once` against the fake Gmail are SIGKILLed.
    static let gmailKills = Int(ProcessInfo.processInfo.environment["GMAIL_KILLS"] ?? "") ?? 24

    @Test("against the fake Gmail, with tracking on: killed right after an intent, right after Gmail accepted, and at random, every step goes out exactly once, with the links recorded with it")
    func killAgainstGmail() async throws {
        let people = 40  // Cadence paces itself to Gmail's 2 sends a second, so every send takes real time here
        let start = ISO8601DateFormatter().date(from: "2026-12-01T09:00:00Z")!
        let clock = AdjustableClock(start)
        // Gmail may replace Message-IDs and its search lags its store: lookups must go through the history.
        var options = FakeGmailOptions.unlimited
        options.replaceMessageIDs = true
        options.searchIndexLag = 600
        try await withFakeGmail(options: options, clock: clock) { server in
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-gmail-kill-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: root) }
            server.gmail.addMailbox("sam@example.com")
            server.gmail.addClient(id: "kill-client", secret: "kill-secret")
            let refresh = server.gmail.issueRefreshToken(clientID: "kill-client", user: "sam@example.com", scopes: GmailScope.required)
            let google = server.googleSection(clientID: "kill-client", clientSecret: .file("secrets/client_secret.txt"))
            let files: [String: String] = [
                "cadence.json":
                    #"{ "google": \#(google), "tracking": { "baseURL": "https://t.example.com", "key": { "file": "secrets/tracking.key" }, "defaults": { "opens": true } }, "mailboxes": [ { "name": "sam", "address": "sam@example.com", "displayName": "Sam", "timeZone": "UTC", "provider": "gmail", "limits": { "dailyCap": 2000, "hourlyCap": 2000, "minimumGap": "0s" } } ] }"#,
                "sequences/k.json":
                    #"{ "id": "k", "name": "K", "mailboxes": ["sam"], "timeZone": "UTC", "sendWindow": { "days": ["mon","tue","wed","thu","fri","sat","sun"], "start": "00:00", "end": "24:00" }, "steps": [ { "id": "intro", "type": "email", "template": "intro.md" }, { "id": "bump", "type": "reply", "delay": "0m", "inThreadOf": "intro", "template": "bump.md" } ] }"#,
                "templates/intro.md":
                    "Subject: Hello <<candidate.firstName>>\n\nHi <<candidate.firstName>>, see [the role](https://jobs.example.com/r?for=<<candidate.email>>).\n\n[Unsubscribe](<<links.unsubscribe>>)\n",
                "templates/bump.md": "Bumping.\n",
                "people.csv": "email,firstName\n" + (1...people).map { "p\($0)@example.org,P\($0)" }.joined(separator: "\n") + "\n",
                "secrets/client_secret.txt": "kill-secret\n",
                "secrets/tracking.key": "kill-test-tracking-key-0123456789abcdef\n",
                "secrets/sam.token.json":
                    #"{"address": "sam@example.com", "scopes": ["\#(GmailScope.send)", "\#(GmailScope.readonly)"], "refreshToken": "\#(refresh)", "authorizedAt": "2026-12-01T09:00:00Z"}"#,
            ]
            for (path, content) in files {
                let url = root.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(content.utf8).write(to: url)
                if path.hasPrefix("secrets/") { chmod(url.path, 0o600) }
            }
            var minute = 0
            func environment() -> [String: String] {
                // Each run a minute later: the fake's clock and the runner's agree, and a lookup's recheck can settle.
                let now = start.addingTimeInterval(Double(minute) * 61)
                clock.set(now)
                return ["CADENCE_NOW": ISO8601DateFormatter().string(from: now), "USER": "kill-test"]
            }
            let launch = try CadenceBinary.run(["launch", "k", "--candidates", "people.csv"], in: root, environment: environment())
            #expect(launch.status == 0, "\(launch.stderr)")

            var random = SeededRandom(state: Self.seed)
            var killed = 0, acceptedThenKilled = 0, afterIntent = 0
            for kill in 0..<Self.gmailKills {
                minute += 1
                let process = Process()
                process.executableURL = CadenceBinary.executable
                process.arguments = ["run", "--once"]
                process.currentDirectoryURL = root
                process.environment = ProcessInfo.processInfo.environment.merging(environment()) { $1 }
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                let sentBefore = server.gmail.report().allSent.count
                let recordsBefore = sendRecords(root)
                try process.run()
                switch kill % 3 {
                case 0:  // Gmail has just stored a message; its outcome is not recorded yet
                    _ = try await Patience.waitUntil(every: 0.0002) { !process.isRunning || server.gmail.report().allSent.count != sentBefore }
                case 1:  // an intent has just been committed; Gmail may not have the message yet
                    _ = try await Patience.waitUntil(every: 0.0002) { !process.isRunning || sendRecords(root) != recordsBefore }
                    if process.isRunning, sendRecords(root) > recordsBefore { afterIntent += 1 }
                default:
                    try await Task.sleep(nanoseconds: random.next() % 300_000_000)
                }
                let accepted = server.gmail.report().allSent.count > sentBefore
                if process.isRunning { sigkill(process.processIdentifier) }
                process.waitUntilExit()
                if process.terminationReason == .uncaughtSignal {
                    killed += 1
                    if kill % 3 == 0, accepted { acceptedThenKilled += 1 }
                }
            }
            print("gmail kill test: \(killed) runs killed: \(afterIntent) right after an intent, \(acceptedThenKilled) right after Gmail accepted a message")
            #expect(killed >= Self.gmailKills / 2)
            #expect(acceptedThenKilled >= Self.gmailKills / 6)
            #expect(afterIntent >= Self.gmailKills / 6)
            for _ in 0..<(people * 2 / 100 + 30) {
                minute += 1
                let pass = try CadenceBinary.run(["run", "--once"], in: root, environment: environment())
                #expect(pass.status == 0, "\(pass.stderr)")
                if pass.stdout.contains("Sent 0; reconciled 0;"), pass.stdout.contains("outcome unknown 0;") { break }
            }
            // The fake is the oracle: every step of every candidate exactly once, none twice, none missing.
            let report = server.gmail.report()
            #expect(report.duplicates.isEmpty, "sent twice: \(report.duplicates)")
            #expect(report.allSent.count == people * 2)
            #expect(Set(report.allSent.compactMap(\.sendID)).count == people * 2)
            // Every follow-up is in its intro's thread.
            let byRecipient = Dictionary(grouping: report.allSent, by: { $0.to.first ?? "" })
            #expect(byRecipient.values.allSatisfy { Set($0.map(\.threadID)).count == 1 })
            let queue = try DatabaseQueue(path: root.appendingPathComponent("cadence.sqlite").path)
            defer { try? queue.close() }
            let (pending, finished) = try await queue.read { db in
                (
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sendRecord WHERE state != 'sent'") ?? -1,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM enrollment WHERE state = 'finished'") ?? -1
                )
            }
            #expect(pending == 0)
            #expect(finished == people)
            // Each intro's one link is recorded once with its send, pointing where the campaign linked; and what
            // Gmail holds is what the intent recorded (a resend sends the recorded bytes, tokens and all).
            let links = try await queue.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT s.sendId, l.link, l.url FROM trackedLink l JOIN sendRecord s ON s.id = l.sendRecordId ORDER BY s.sendId")
            }
            #expect(links.count == people)
            #expect(links.allSatisfy { ($0["link"] as Int) == 1 && ($0["url"] as String).hasPrefix("https://jobs.example.com/r?for=p") })
            let recorded = try await queue.read { db in
                try Row.fetchAll(db, sql: "SELECT sendId, message FROM sendRecord").map { ($0["sendId"] as String, Array($0["message"] as Data)) }
            }
            for (sendID, bytes) in recorded {
                guard let sent = report.allSent.first(where: { $0.sendID == sendID }), let raw = server.gmail.rawMessage(sent.id, in: "sam@example.com") else {
                    Issue.record("\(sendID) is not in Gmail")
                    continue
                }
                func html(_ bytes: [UInt8]) -> String? { (try? MailMessage.parse(bytes))?.allParts.first { $0.mimeType == "text/html" }?.text }
                #expect(html(raw) == html(bytes) && html(raw)?.contains("https://t.example.com/t/o/") == true, "\(sendID)")
            }
        }
    }
}
