import Foundation
import GRDB
import Testing

extension ProcessTests {
    /// The proof of exactly once: the real binary, SIGKILLed again and again, restarted each time.
    @Suite("cadence run under SIGKILL")
    struct KillTests {
        /// KILLS (default 50) and KILL_SEED (default: a fixed seed) replay or extend the test.
        static let kills = Int(ProcessInfo.processInfo.environment["KILLS"] ?? "") ?? 50
        static let seed = UInt64(ProcessInfo.processInfo.environment["KILL_SEED"] ?? "") ?? 20_261_128

        struct SeededRandom {
            var state: UInt64
            mutating func next() -> UInt64 {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return z ^ (z >> 31)
            }
        }

        /// Enough work that the kills keep landing while there is still something to send.
        /// (At most 1,000: two steps each stays within the mailbox's 2,000-a-day cap, the highest Gmail allows.)
        static let candidates = min(1_000, max(300, kills * 6))

        /// Send records committed so far, read from the runner's database while it runs (WAL allows it).
        func sendRecords(_ root: URL) -> Int {
            guard let queue = try? DatabaseQueue(path: root.appendingPathComponent("cadence.sqlite").path) else { return 0 }
            defer { try? queue.close() }
            return (try? queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sendRecord") }) ?? 0
        }

        func outboxCount(_ root: URL) -> Int {
            ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("outbox/sam").path)) ?? [])
                .filter { $0.hasSuffix(".eml") && !$0.hasPrefix(".") }.count
        }

        @Test("with tracking on, killed at random times and right after the provider accepted a message, every due step goes out exactly once, with its links")
        func killAndRestart() async throws {
            print("kill test: \(Self.kills) kills, seed \(Self.seed) (replay with KILL_SEED=\(Self.seed) KILLS=\(Self.kills))")
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-kill-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: root) }
            let files: [String: String] = [
                "cadence.json":
                    #"{ "tracking": { "baseURL": "https://t.example.com", "key": { "file": "secrets/tracking.key" } }, "mailboxes": [ { "name": "sam", "address": "sam@example.com", "displayName": "Sam", "timeZone": "UTC", "limits": { "dailyCap": 2000, "hourlyCap": 2000, "minimumGap": "0s" } } ] }"#,
                "secrets/tracking.key": "outbox-kill-test-tracking-key-0123456789\n",
                "sequences/k.json":
                    #"{ "id": "k", "name": "K", "mailboxes": ["sam"], "timeZone": "UTC", "sendWindow": { "days": ["mon","tue","wed","thu","fri","sat","sun"], "start": "00:00", "end": "24:00" }, "steps": [ { "id": "intro", "type": "email", "template": "intro.md" }, { "id": "bump", "type": "reply", "delay": "0m", "inThreadOf": "intro", "template": "bump.md" } ] }"#,
                "templates/intro.md":
                    "Subject: Hello <<candidate.firstName>>\n\nHi <<candidate.firstName>>, see [the role](https://jobs.example.com/r?for=<<candidate.email>>).\n\n[Unsubscribe](<<links.unsubscribe>>)\n",
                "templates/bump.md": "Bumping.\n",
                "people.csv": "email,firstName\n" + (1...Self.candidates).map { "p\($0)@example.org,P\($0)" }.joined(separator: "\n") + "\n",
            ]
            for (path, content) in files {
                let url = root.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(content.utf8).write(to: url)
                if path.hasPrefix("secrets/") { chmod(url.path, 0o600) }
            }
            let environment = ["CADENCE_NOW": "2026-12-01T09:00:00Z", "USER": "kill-test"]
            let launch = try CadenceBinary.run(["launch", "k", "--candidates", "people.csv"], in: root, environment: environment)
            #expect(launch.status == 0, "\(launch.stderr)")

            var random = SeededRandom(state: Self.seed)
            var killed = 0, acceptedThenKilled = 0, killedMidPass = 0, afterIntent = 0
            for kill in 0..<Self.kills {
                let process = Process()
                process.executableURL = CadenceBinary.executable
                process.arguments = ["run", "--once"]
                process.currentDirectoryURL = root
                process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                let before = outboxCount(root)
                let recordsBefore = sendRecords(root)
                try process.run()
                if kill % 3 == 1 {
                    // Observable state: an intent has just been committed; the provider may not have the message yet.
                    _ = try await Patience.waitUntil(every: 0.0002) { !process.isRunning || sendRecords(root) != recordsBefore }
                    if process.isRunning, sendRecords(root) > recordsBefore { afterIntent += 1 }
                } else if kill % 3 == 0 {
                    // Observable state: a message has just been accepted by the provider; its outcome is not yet recorded.
                    _ = try await Patience.waitUntil(every: 0.0002) { !process.isRunning || outboxCount(root) != before }
                }
                if kill % 3 == 2 {
                    usleep(UInt32(random.next() % 150_000))  // anywhere from start-up to the end of the pass
                }
                let accepted = outboxCount(root) > before
                if process.isRunning { sigkill(process.processIdentifier) }
                process.waitUntilExit()
                if process.terminationReason == .uncaughtSignal {
                    killed += 1
                    if kill % 3 == 0, accepted { acceptedThenKilled += 1 }
                    if kill % 3 == 2, accepted { killedMidPass += 1 }
                }
            }
            print(
                "kill test: \(killed) runs killed: \(afterIntent) right after an intent was committed, \(acceptedThenKilled) right after the provider accepted a message, \(killedMidPass) at random points after sending began"
            )
            // The kills must land while there was work, or the test proves nothing.
            #expect(killed >= min(Self.kills / 2, 100))
            #expect(acceptedThenKilled >= min(Self.kills / 10, 15))
            #expect(afterIntent >= min(Self.kills / 10, 15))
            // Then let the runner finish without interruption (it claims up to 100 due steps a pass).
            for _ in 0..<(Self.candidates * 2 / 100 + 20) {
                let pass = try CadenceBinary.run(["run", "--once"], in: root, environment: environment)
                #expect(pass.status == 0, "\(pass.stderr)")
                if pass.stdout.contains("Sent 0; reconciled 0;") { break }
            }
            // Every step of every candidate went out exactly once, and nothing is left in doubt.
            #expect(outboxCount(root) == Self.candidates * 2)
            let queue = try DatabaseQueue(path: root.appendingPathComponent("cadence.sqlite").path)
            defer { try? queue.close() }
            let (ledger, sentEvents, pending, finished, perStep) = try await queue.read { db in
                (
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM mailboxLedger") ?? -1,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event WHERE kind = 'sent'") ?? -1,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sendRecord WHERE state != 'sent'") ?? -1,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM enrollment WHERE state = 'finished'") ?? -1,
                    try Int.fetchOne(db, sql: "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM event WHERE kind = 'sent' GROUP BY enrollmentId, detail)") ?? -1
                )
            }
            #expect(ledger == Self.candidates * 2, "ledger rows (seed \(Self.seed))")
            #expect(sentEvents == Self.candidates * 2, "sent events (seed \(Self.seed))")
            #expect(perStep == 1, "a step recorded as sent twice (seed \(Self.seed))")
            #expect(pending == 0)
            #expect(finished == Self.candidates)
            // Each intro's link recorded once, with the send whose file carries its token.
            let links = try await queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM trackedLink WHERE link = 1 AND url LIKE 'https://jobs.example.com/r?for=p%'") ?? -1 }
            #expect(links == Self.candidates)
        }
    }
}

/// SIGKILL, with no chance to clean up.
func sigkill(_ pid: Int32) {
    _ = kill(pid, SIGKILL)
}

extension ProcessTests.KillTests {
    @Test("a second runner is refused while the first runs; SIGTERM stops the first cleanly and frees the database")
    func leaseAndGracefulStop() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-lease-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        for item in ["cadence.json", "sequences", "templates", "examples"] {
            try FileManager.default.copyItem(at: CadenceBinary.repositoryRoot.appendingPathComponent(item), to: root.appendingPathComponent(item))
        }
        let environment = ["CADENCE_NOW": "2026-11-30T10:00:00Z", "USER": "sam"]
        #expect(try CadenceBinary.run(["launch", "backend-engineers", "--candidates", "examples/candidates.csv"], in: root, environment: environment).status == 0)
        let first = Process()
        first.executableURL = CadenceBinary.executable
        first.arguments = ["run", "--interval", "1"]
        first.currentDirectoryURL = root
        first.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        first.standardOutput = output
        first.standardError = FileHandle.nullDevice
        try first.run()
        defer { if first.isRunning { sigkill(first.processIdentifier) } }
        // Wait for its first pass (observable: the lease row), never a fixed sleep.
        let queue = try DatabaseQueue(path: root.appendingPathComponent("cadence.sqlite").path)
        #expect(try await Patience.waitUntil { (try? await queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runnerLease") }) == 1 })
        try queue.close()
        let second = try CadenceBinary.run(["run", "--once"], in: root, environment: environment)
        #expect(second.status == 1)
        #expect(second.stderr.hasPrefix("cadence: error: another runner ("))
        kill(first.processIdentifier, SIGTERM)
        first.waitUntilExit()
        #expect(first.terminationReason == .exit && first.terminationStatus == 0)
        // The lease went with it: a new runner starts at once.
        #expect(try CadenceBinary.run(["run", "--once"], in: root, environment: environment).status == 0)
    }
}
