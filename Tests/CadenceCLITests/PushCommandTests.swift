import AsyncHTTPClient
import CadenceCore
import CadenceFakeGmail
import Foundation
import GRDB
import NIOCore
import NIOHTTP1
import Testing

extension ProcessTests {
    /// The README's push set-up, as processes: `cadence watch`, `cadence serve` and `cadence run` against the fake
    /// Gmail on the machine's clock, with the fake delivering signed pushes.
    @Suite("cadence serve, watch and run with Gmail push, as processes")
    struct PushCommandTests {
        static let address = "sam@northwind.example.com"
        static let pushAccount = "gmail-push@fake-project.iam.gserviceaccount.com"
        static let audience = "https://hooks.example.com/hooks/gmail"

        static func project(_ server: FakeGmailServer, push: String?, tracking: String? = nil) throws -> URL {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-push-\(UUID().uuidString)")
            let secret = "push-client-" + UUID().uuidString
            server.gmail.addMailbox(address)
            server.gmail.addClient(id: "push-client", secret: secret)
            let refresh = server.gmail.issueRefreshToken(clientID: "push-client", user: address, scopes: GmailScope.required)
            let google = server.googleSection(clientID: "push-client", clientSecret: .file("secrets/client_secret.txt"))
            let files: [String: String] = [
                "cadence.json":
                    #"{ "google": \#(google), "mailboxes": [ { "name": "sam", "address": "\#(address)", "displayName": "Sam", "timeZone": "UTC", "provider": "gmail", "limits": { "dailyCap": 500, "hourlyCap": 500, "minimumGap": "0s" } } ]\#(push.map { ", \"push\": \($0)" } ?? "")\#(tracking.map { ", \"tracking\": \($0)" } ?? "") }"#,
                "sequences/q.json":
                    #"{ "id": "q", "name": "Q", "mailboxes": ["sam"], "timeZone": "UTC", "sendWindow": { "days": ["mon","tue","wed","thu","fri","sat","sun"], "start": "00:00", "end": "24:00" }, "steps": [ { "id": "intro", "type": "email", "template": "intro.md" }, { "id": "bump", "type": "reply", "delay": "2d", "inThreadOf": "intro", "template": "bump.md" } ] }"#,
                "templates/intro.md": "Subject: Hello <<candidate.firstName>>\n\nHi <<candidate.firstName>>.\n",
                "templates/bump.md": "Bumping.\n",
                "people.csv": "email,firstName\nana@example.org,Ana\nbo@example.org,Bo\n",
                "secrets/client_secret.txt": secret + "\n",
                "secrets/tracking.key": "process-test-tracking-key-0123456789abcdef\n",
                "secrets/sam.token.json":
                    #"{"address": "\#(address)", "scopes": ["\#(GmailScope.send)", "\#(GmailScope.readonly)"], "refreshToken": "\#(refresh)", "authorizedAt": "2026-11-01T09:00:00Z"}"#,
            ]
            for (path, content) in files {
                let url = root.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(content.utf8).write(to: url)
                if path.hasPrefix("secrets/") { chmod(url.path, 0o600) }
            }
            return root
        }

        static func start(_ arguments: [String], in root: URL, output: Pipe? = nil) throws -> Process {
            let process = Process()
            process.executableURL = CadenceBinary.executable
            process.arguments = arguments
            process.currentDirectoryURL = root
            process.environment = ProcessInfo.processInfo.environment.filter { $0.key != "CADENCE_CONFIG" && $0.key != "CADENCE_NOW" && $0.key != "CADENCE_DB" }
            process.standardOutput = output ?? FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }

        static func firstLine(_ pipe: Pipe) -> String {
            var line: [UInt8] = []
            while true {
                let byte = pipe.fileHandleForReading.readData(ofLength: 1)
                guard let first = byte.first, first != UInt8(ascii: "\n") else { break }
                line.append(first)
            }
            return String(decoding: line, as: UTF8.self)
        }

        static func state(_ root: URL, _ candidate: String) throws -> String? {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: root.appendingPathComponent("cadence.sqlite").path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in
                try String.fetchOne(db, sql: "SELECT e.state FROM enrollment e JOIN candidate c ON c.id = e.candidateId WHERE c.addressKey = ?", arguments: [candidate])
            }
        }

        /// When the runner last read the mailbox (nil before its first read).
        static func syncedAt(_ root: URL) throws -> String? {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: root.appendingPathComponent("cadence.sqlite").path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in try String.fetchOne(db, sql: "SELECT syncedAt FROM mailboxSync") }
        }

        @Test("a reply pushed through cadence serve stops the candidate long before the next poll; forged pushes get 401; SIGTERM stops serve cleanly")
        func pushEndToEnd() async throws {
            try await withFakeGmail(options: .unlimited, clock: AdjustableClock()) { server in
                let push =
                    #"{ "topic": "projects/fake-project/topics/gmail-inbox", "oidc": { "audience": "\#(Self.audience)", "serviceAccountEmail": "\#(Self.pushAccount)", "certsURL": "\#(server.baseURL)/oauth2/v3/certs" } }"#
                let root = try Self.project(server, push: push)
                defer { try? FileManager.default.removeItem(at: root) }
                #expect(try CadenceBinary.run(["launch", "q", "--candidates", "people.csv"], in: root).status == 0)
                let first = try CadenceBinary.run(["run", "--once"], in: root)
                #expect(first.status == 0)
                #expect(server.gmail.report().allSent.count == 2, "\(first.stdout)\(first.stderr)")
                let watch = try CadenceBinary.run(["watch"], in: root)
                #expect(watch.status == 0, "\(watch.stderr)")
                #expect(watch.stdout.contains("sam (\(Self.address)): watching, pushes to projects/fake-project/topics/gmail-inbox until "))

                let output = Pipe()
                let serve = try Self.start(["serve", "--port", "0"], in: root, output: output)
                var run: Process?
                defer {
                    for process in [serve, run].compactMap({ $0 }) where process.isRunning { process.terminate(); process.waitUntilExit() }
                }
                let line = Self.firstLine(output)
                #expect(line.hasPrefix("Listening on http://127.0.0.1:"), "\(line)")
                #expect(line.contains("push endpoint /hooks/gmail (OIDC token)"))
                let base = try #require(line.split(separator: " ").dropFirst(2).first.map { String($0.dropLast()) })
                let health = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/healthz"), timeout: Patience.request)
                #expect(health.status == .ok)

                // A forged push (no token) changes nothing.
                var forged = HTTPClientRequest(url: base + "/hooks/gmail")
                forged.method = .POST
                forged.body = .bytes(
                    ByteBuffer(string: #"{"message":{"data":"eyJlbWFpbEFkZHJlc3MiOiJzYW1Abm9ydGh3aW5kLmV4YW1wbGUuY29tIiwiaGlzdG9yeUlkIjo5OTk5OTk5OX0","messageId":"forged-1"},"subscription":"x"}"#))
                #expect(try await HTTPClient.shared.execute(forged, timeout: Patience.request).status == .unauthorized)

                // Polling every 10 minutes: within the wait below only the push can stop her.
                let readBefore = try Self.syncedAt(root)
                run = try Self.start(["run", "--interval", "600"], in: root)
                // Its first pass has read the mailbox (observable: the read's time moved), so the reply below is
                // new to it.
                #expect(try await Patience.waitUntil { try Self.syncedAt(root) != readBefore })
                server.gmail.setPushSubscription(
                    FakePushSubscription(endpoint: base + "/hooks/gmail", serviceAccountEmail: Self.pushAccount, audience: Self.audience, ackDeadlineSeconds: Patience.seconds))
                let intro = try #require(server.gmail.report().allSent.first { $0.to == ["ana@example.org"] })
                try server.gmail.deliver(
                    Array("From: ana@example.org\r\nTo: \(Self.address)\r\nSubject: Re: \(intro.subject)\r\nIn-Reply-To: \(intro.messageID ?? "")\r\n\r\nHappy to chat.\r\n".utf8),
                    to: Self.address, threadID: intro.threadID)
                // The next poll is ten minutes away: only the push can stop her within this wait.
                #expect(try await Patience.waitUntil { try Self.state(root, "ana@example.org") == "stopped" })
                await server.gmail.waitForPushes()
                #expect(server.gmail.pushDeliveries().map(\.status) == [204])
                #expect(try Self.state(root, "bo@example.org") == "active")

                serve.terminate()
                serve.waitUntilExit()
                #expect(serve.terminationStatus == 0)
                let status = try CadenceBinary.run(["status", "q"], in: root)
                #expect(status.stdout.contains("Reply watching"), "\(status.stdout)")
                #expect(try CadenceBinary.run(["watch", "--stop"], in: root).status == 0)
            }
        }

        @Test("a push section that cannot authenticate is a located error, and serve and watch refuse to start")
        func unauthenticatedPushRefused() async throws {
            try await withFakeGmail(options: .unlimited, clock: AdjustableClock()) { server in
                let root = try Self.project(server, push: #"{ "topic": "projects/fake-project/topics/gmail-inbox" }"#)
                defer { try? FileManager.default.removeItem(at: root) }
                let serve = try CadenceBinary.run(["serve", "--port", "0"], in: root)
                #expect(serve.status == 65)
                #expect(serve.stderr.contains("cadence.json:1:"))
                #expect(serve.stderr.contains("no way to authenticate pushes"))
                #expect(try CadenceBinary.run(["watch"], in: root).status == 65)
                #expect(server.gmail.calls(of: "watch") == 0)
            }
        }

        @Test("killed between reading Gmail's history and moving the checkpoint: the next run re-reads and applies each message once")
        func killedMidSync() async throws {
            try await withFakeGmail(options: .unlimited, clock: AdjustableClock()) { server in
                let root = try Self.project(server, push: nil)
                defer { try? FileManager.default.removeItem(at: root) }
                #expect(try CadenceBinary.run(["launch", "q", "--candidates", "people.csv"], in: root).status == 0)
                #expect(try CadenceBinary.run(["run", "--once"], in: root).status == 0)
                let database = try DatabaseQueue(path: root.appendingPathComponent("cadence.sqlite").path)
                defer { try? database.close() }
                let checkpoint = try await database.read { db in try String.fetchOne(db, sql: "SELECT historyId FROM mailboxSync") }
                #expect(checkpoint != nil)
                for person in ["ana", "bo"] {
                    let intro = try #require(server.gmail.report().allSent.first { $0.to == ["\(person)@example.org"] })
                    try server.gmail.deliver(
                        Array("From: \(person)@example.org\r\nTo: \(Self.address)\r\nSubject: Re: \(intro.subject)\r\n\r\nNot now, thanks.\r\n".utf8),
                        to: Self.address, threadID: intro.threadID)
                }
                // The second message takes 30 seconds to fetch (less than the runner's request timeout, more than
                // a loaded machine needs to notice the first): the runner is killed after applying the first.
                server.gmail.addFault(FaultRule(method: "messages.get", call: server.gmail.calls(of: "messages.get") + 2, fault: .latency(seconds: 30)))
                let run = try Self.start(["run", "--once"], in: root)
                var applied = 0
                _ = try await Patience.waitUntil(every: 0.005) {
                    applied = try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM incomingMessage") ?? 0 }
                    return !run.isRunning || applied > 0
                }
                #expect(applied == 1)
                kill(run.processIdentifier, SIGKILL)
                run.waitUntilExit()
                #expect(run.terminationReason == .uncaughtSignal)
                #expect(try await database.read { db in try String.fetchOne(db, sql: "SELECT historyId FROM mailboxSync") } == checkpoint)  // not moved
                server.gmail.clearFaults()
                let again = try CadenceBinary.run(["run", "--once"], in: root)
                #expect(again.status == 0, "\(again.stderr)")
                #expect(try Self.state(root, "ana@example.org") == "stopped")
                #expect(try Self.state(root, "bo@example.org") == "stopped")
                let (messages, stops, moved) = try await database.read { db in
                    (
                        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM incomingMessage") ?? 0,
                        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event WHERE kind = 'stopped'") ?? 0,
                        try String.fetchOne(db, sql: "SELECT historyId FROM mailboxSync")
                    )
                }
                #expect(messages == 2)
                #expect(stops == 2)  // each person stopped once, the re-read message not applied twice
                #expect(moved != checkpoint)
            }
        }
    }
}
