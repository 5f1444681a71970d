import CadenceCore
import CadenceFakeGmail
import CadencePostgres
import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing

extension ProcessTests.KillTests {
    /// How many Gmail mailboxes the PostgreSQL kill test shares among its runners (PG_KILL_MAILBOXES; 50 in CI,
    /// 200 for the figures), and how many SIGKILLs it deals (PG_KILLS, at least 40).
    static let postgresMailboxes = Int(ProcessInfo.processInfo.environment["PG_KILL_MAILBOXES"] ?? "") ?? 50
    static let postgresKills = max(40, Int(ProcessInfo.processInfo.environment["PG_KILLS"] ?? "") ?? 40)

    /// A runner process of the kill test, restarted after every kill.
    final class RunnerSlot: Sendable {
        let process = Mutex<Process?>(nil)
        let index: Int
        init(index: Int) { self.index = index }
    }

    @Test(
        "4 runners share one PostgreSQL database and 50 Gmail mailboxes, SIGKILLed and restarted at random at least 40 times: every due step goes out exactly once, follow-ups in their threads, a domain cap never exceeded, and no send after a reply",
        .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
    func killRunnersSharingPostgres() async throws {
        let mailboxes = (0..<Self.postgresMailboxes).map { String(format: "m%03d", $0) }
        let freeMail = 3 * mailboxes.count  // three people per mailbox, at a free-mail domain (no domain cap)
        let capped = 20  // at acme.example, whose daily cap is 8
        let domainCap = 8
        try await withFakeGmail(options: .unlimited, clock: SystemClock()) { server in
            try await PostgresTestServer.withScratchDatabase { url in
                let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-pg-kill-\(UUID().uuidString)")
                defer { try? FileManager.default.removeItem(at: root) }
                server.gmail.addClient(id: "kill-client", secret: "kill-secret")
                var files: [String: String] = [
                    "secrets/client_secret.txt": "kill-secret\n",
                    "templates/intro.md": "Subject: Hello <<candidate.firstName>>\n\nHi <<candidate.firstName>>, a role for you.\n",
                    "templates/bump.md": "Bumping this.\n",
                ]
                var google = server.googleSection(clientID: "kill-client", clientSecret: .file("secrets/client_secret.txt"))
                google.removeLast()
                google += #", "connectTimeout": "1s", "requestTimeout": "3s"}"#
                var entries: [String] = []
                for name in mailboxes {
                    let address = "\(name)@example.com"
                    server.gmail.addMailbox(address)
                    let refresh = server.gmail.issueRefreshToken(clientID: "kill-client", user: address, scopes: GmailScope.required)
                    files["secrets/\(name).token.json"] =
                        #"{"address": "\#(address)", "scopes": ["\#(GmailScope.send)", "\#(GmailScope.readonly)"], "refreshToken": "\#(refresh)", "authorizedAt": "2026-12-01T09:00:00Z"}"#
                    entries.append(
                        #"{ "name": "\#(name)", "address": "\#(address)", "displayName": "Sam", "timeZone": "UTC", "provider": "gmail", "limits": { "dailyCap": 2000, "hourlyCap": 2000, "minimumGap": "0s" } }"#
                    )
                }
                files["cadence.json"] = #"{ "google": \#(google), "mailboxes": [\#(entries.joined(separator: ", "))] }"#
                files["sequences/k.json"] =
                    #"{ "id": "k", "name": "K", "mailboxes": [\#(mailboxes.map { "\"\($0)\"" }.joined(separator: ", "))], "timeZone": "UTC", "limits": { "perDomainDailyCap": \#(domainCap) }, "sendWindow": { "days": ["mon","tue","wed","thu","fri","sat","sun"], "start": "00:00", "end": "24:00" }, "steps": [ { "id": "intro", "type": "email", "template": "intro.md" }, { "id": "bump", "type": "reply", "delay": "0m", "inThreadOf": "intro", "template": "bump.md" } ] }"#
                let people = (1...freeMail).map { "p\($0)@gmail.com,P\($0)" } + (1...capped).map { "a\($0)@acme.example,A\($0)" }
                files["people.csv"] = "email,firstName\n" + people.joined(separator: "\n") + "\n"
                for (path, content) in files {
                    let file = root.appendingPathComponent(path)
                    try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try Data(content.utf8).write(to: file)
                    if path.hasPrefix("secrets/") { chmod(file.path, 0o600) }
                }
                // As an operator does today: launch on SQLite, copy the database to PostgreSQL, run there.
                let launch = try CadenceBinary.run(["launch", "k", "--candidates", "people.csv"], in: root, environment: ["USER": "kill-test"])
                #expect(launch.status == 0, "\(launch.stderr)")
                let copy = try CadenceBinary.run(["db", "copy", "--from", "cadence.sqlite", "--to", url], in: root)
                #expect(copy.status == 0, "\(copy.stderr)")

                let slots = (0..<4).map { RunnerSlot(index: $0) }
                @Sendable func start(_ slot: RunnerSlot) throws {
                    let process = Process()
                    process.executableURL = CadenceBinary.executable
                    process.arguments = ["run", "--db", url, "--interval", "1", "--lease", "15", "--handover-margin", "1"]
                    process.currentDirectoryURL = root
                    process.environment = ProcessInfo.processInfo.environment.merging(["USER": "kill-test"]) { $1 }
                    let log = root.appendingPathComponent("runner-\(slot.index).log")
                    if !FileManager.default.fileExists(atPath: log.path) { FileManager.default.createFile(atPath: log.path, contents: nil) }
                    let handle = try FileHandle(forWritingTo: log)
                    handle.seekToEndOfFile()
                    process.standardOutput = handle
                    process.standardError = handle
                    try process.run()
                    slot.process.withLock { $0 = process }
                }
                func stopAll() {
                    for slot in slots {
                        if let process = slot.process.withLock({ $0 }), process.isRunning {
                            sigkill(process.processIdentifier)
                            process.waitUntilExit()
                        }
                    }
                }
                defer { stopAll() }
                for slot in slots { try start(slot) }

                let expectedFree = freeMail * 2
                func sentTo(_ predicate: (String) -> Bool) -> [FakeGmailReport.Sent] {
                    server.gmail.report().allSent.filter { predicate($0.to.first ?? "") }
                }
                // A reply races a send: five people answer the moment their intro is stored, while their follow-up
                // is already due.
                let repliers = ["p1@gmail.com", "p2@gmail.com", "p3@gmail.com", "p4@gmail.com", "p5@gmail.com"]
                var replied: Set<String> = []
                var random = SeededRandom(state: Self.seed)
                var kills = 0, graceful = 0
                let started = ContinuousClock.now
                let done = try await Patience.waitUntil(deadline: 300, every: 0.05) {
                    let report = server.gmail.report()
                    for person in repliers where !replied.contains(person) {
                        guard let intro = report.mailboxes.lazy.compactMap({ box in box.sent.first { $0.to.first == person }.map { (box.address, $0) } }).first
                        else { continue }
                        let raw = Array("From: \(person)\r\nTo: \(intro.0)\r\nSubject: Re: \(intro.1.subject)\r\nIn-Reply-To: <\(intro.1.messageID ?? "")>\r\n\r\nNot interested, thanks.\r\n".utf8)
                        _ = try server.gmail.deliver(raw, to: intro.0, threadID: intro.1.threadID)
                        replied.insert(person)
                    }
                    if kills + graceful < Self.postgresKills + 2, ContinuousClock.now - started > .seconds(2) {
                        // Every few hundred milliseconds a runner dies (twice it is stopped cleanly instead, handing its
                        // mailboxes over at once) and a new one takes its place.
                        if random.next() % 4 == 0 {
                            let slot = slots[Int(random.next() % UInt64(slots.count))]
                            if let process = slot.process.withLock({ $0 }), process.isRunning {
                                if graceful < 2, kills > 10 * (graceful + 1) {
                                    _ = kill(process.processIdentifier, SIGTERM)
                                    graceful += 1
                                } else {
                                    sigkill(process.processIdentifier)
                                    kills += 1
                                }
                                process.waitUntilExit()
                                try start(slot)
                            }
                        }
                        return false
                    }
                    let free = report.allSent.filter { ($0.to.first ?? "").hasSuffix("@gmail.com") }
                    let repliersDone = repliers.allSatisfy { person in free.contains { $0.to.first == person } }
                    return repliersDone && free.count >= expectedFree - repliers.count
                        && Set(free.map { "\($0.to.first ?? "") \($0.subject)" }).count == free.count
                        && sentTo { $0.hasSuffix("@acme.example") }.count >= domainCap
                }
                let sentNow = server.gmail.report().allSent
                // Let the sends in flight settle: the runners stop cleanly, and one last pass confirms what is in doubt.
                for slot in slots {
                    if let process = slot.process.withLock({ $0 }), process.isRunning { _ = kill(process.processIdentifier, SIGTERM) }
                }
                for slot in slots { slot.process.withLock { $0 }?.waitUntilExit() }
                var settled = false
                for _ in 0..<20 where !settled {
                    let pass = try CadenceBinary.run(["run", "--once", "--db", url, "--lease", "15", "--handover-margin", "1"], in: root, environment: ["USER": "kill-test"])
                    #expect(pass.status == 0, "\(pass.stderr)")
                    settled = pass.stdout.contains("outcome unknown 0;") && pass.stdout.contains("Sent 0; reconciled 0;")
                    if !settled { try await Task.sleep(for: .seconds(1)) }
                }
                let logs = slots.map { (try? String(contentsOf: root.appendingPathComponent("runner-\($0.index).log"), encoding: .utf8)) ?? "" }
                #expect(
                    done,
                    """
                    not done within 5 minutes: \(sentNow.filter { ($0.to.first ?? "").hasSuffix("@gmail.com") }.count) of \(expectedFree) sends to free-mail people \
                    (\(Set(sentNow.map { "\($0.to.first ?? "") \($0.subject)" }).count) distinct), \(sentNow.filter { ($0.to.first ?? "").hasSuffix("@acme.example") }.count) to acme.example, \
                    repliers answered: \(replied.sorted()); runner logs:\n\(logs.map { String($0.suffix(2_000)) }.joined(separator: "\n---\n"))
                    """)
                print("postgres kill test: \(mailboxes.count) mailboxes, \(kills) SIGKILLs, \(graceful) clean stops, \(server.gmail.report().allSent.count) sends")
                #expect(kills >= Self.postgresKills)

                // The fake is the oracle: nothing twice, nothing missing, every follow-up in its intro's thread.
                let report = server.gmail.report()
                #expect(report.duplicates.isEmpty, "sent twice: \(report.duplicates)")
                let byRecipient = Dictionary(grouping: report.allSent, by: { $0.to.first ?? "" })
                for index in 1...freeMail {
                    let person = "p\(index)@gmail.com"
                    let sends = byRecipient[person] ?? []
                    if repliers.contains(person) {
                        #expect((1...2).contains(sends.count), "\(person): \(sends.count) sends")
                    } else {
                        #expect(sends.count == 2, "\(person): \(sends.count) sends")
                    }
                    #expect(Set(sends.map(\.threadID)).count == 1, "\(person)'s follow-up left its thread")
                }
                // The domain cap spans the runners: exactly the cap went to acme.example, and the ledger agrees.
                let acme = report.allSent.filter { ($0.to.first ?? "").hasSuffix("@acme.example") }
                #expect(acme.count == domainCap)
                let database = try PostgresTestServer.database(url)
                let logger = Logger(label: "kill-test")
                let (ledgerAcme, pending, moved, crossed) = try await database.withConnection { connection in
                    func count(_ sql: String) async throws -> Int {
                        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect().first?.decode(Int.self) ?? -1
                    }
                    return (
                        try await count("SELECT COUNT(*)::int FROM mailboxLedger WHERE recipientDomain = 'acme.example'"),
                        try await count("SELECT COUNT(*)::int FROM sendRecord WHERE state IN ('intent', 'unknown')"),
                        try await count("SELECT COUNT(*)::int FROM mailboxLease WHERE fence > 1"),
                        // No intent recorded after the reply that stopped its person.
                        try await count(
                            """
                            SELECT COUNT(*)::int FROM sendRecord s JOIN event v ON v.enrollmentId = s.enrollmentId AND v.kind = 'stopped'
                            WHERE s.createdAt > v.at
                            """)
                    )
                }
                #expect(ledgerAcme == domainCap)
                #expect(pending == 0)
                #expect(moved > 0, "no mailbox changed hands")
                #expect(crossed == 0, "a send was begun after its person's reply was applied")
                #expect(replied.count == repliers.count)
            }
        }
    }
}
