import AsyncHTTPClient
import CadenceCore
import CadenceEngine
import CadenceFakeGmail
import CadenceGmail
import CadenceServer
import CadenceStore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// `cadence serve`'s push endpoint on a real HTTP server on 127.0.0.1, the fake Gmail pushing to it with
/// Pub/Sub's signed OIDC tokens, and the runner syncing what was queued.
@Suite("Gmail push: authenticated, deduplicated, queued, and synced by the runner")
struct PushTests {
    static let topic = "projects/fake-project/topics/gmail-inbox"
    static let pushAccount = "gmail-push@fake-project.iam.gserviceaccount.com"
    static let audience = "https://hooks.example.com/hooks/gmail"

    /// The push endpoint serving for `body`, authenticated by OIDC (against the fake's key set) and/or a URL token.
    final class Counter: Sendable {
        let value = Mutex(0)
        var count: Int { value.withLock { $0 } }
    }

    static func withServer(
        _ scene: SendingScene, oidc: Bool = true, token: String? = nil, fetches: Counter = Counter(), _ body: @escaping @Sendable (_ url: String) async throws -> Void
    ) async throws {
        let certs = scene.project.server.baseURL + "/oauth2/v3/certs"
        let http = scene.http
        let keySet = GoogleKeySet(clock: scene.clock) {
            fetches.value.withLock { $0 += 1 }
            let response = try await http.perform(.GET, certs, label: "certs")
            return (response.body, 3_600)
        }
        var settings = OIDCSettings(audience: audience, serviceAccountEmail: pushAccount)
        settings.certsURL = certs
        let endpoint = PushEndpoint(
            authenticator: PushAuthenticator(token: token.map { Array($0.utf8) }, oidc: oidc ? settings : nil, keySet: keySet, clock: scene.clock),
            store: scene.database, mailboxes: [SendingScene.sam: "sam"], clock: scene.clock, logger: scene.project.logs.logger)
        try await CadenceHTTPServer.whileServing(push: endpoint, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }) { base in
            try await body(base + "/hooks/gmail")
        }
    }

    /// Posts a push as Pub/Sub would; returns the HTTP status.
    static func post(_ url: String, bearer: String?, body: String) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: Patience.request)
        _ = try await response.body.collect(upTo: 1 << 16)
        return Int(response.status.code)
    }

    static func envelope(messageID: String, historyID: String, numeric: Bool = true, urlSafe: Bool = false) -> String {
        let data = #"{"emailAddress":"\#(SendingScene.sam)","historyId":\#(numeric ? historyID : "\"\(historyID)\"")}"#
        var encoded = Data(data.utf8).base64EncodedString()
        if urlSafe { encoded = encoded.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "") }
        return #"{"message":{"data":"\#(encoded)","messageId":"\#(messageID)","publishTime":"2026-12-01T10:00:00Z"},"subscription":"projects/fake-project/subscriptions/gmail-push"}"#
    }

    func genuineToken(_ scene: SendingScene, lifetime: TimeInterval = 3_600) async throws -> String {
        try await scene.fake.signPushToken(.init(audience: Self.audience, email: Self.pushAccount, issuedAt: scene.clock.now, lifetime: lifetime))
    }

    func queued(_ scene: SendingScene) throws -> Int { try scene.database.syncState("sam").queuedPushes }

    /// The campaign's configuration with the push topic, as `cadence watch` reads it.
    func watched(_ scene: SendingScene) -> ProjectConfiguration {
        var configuration = scene.configuration
        configuration.push.topic = Self.topic
        return configuration
    }

    @Test("a reply pushed by Gmail stops the candidate as soon as the runner picks the push up; the push is answered 204")
    func pushedReplyStops() async throws {
        try await SendingScene.with(people: 2) { (scene: SendingScene) async throws -> Void in
            _ = try await scene.passes(from: 0, to: 30)
            let lines = try await GmailWatchCommand.start(watched(scene), gmail: scene.sender(), store: scene.database, now: scene.clock.now)
            #expect(lines.map(\.failed) == [false])
            #expect(try await scene.database.watchRegistrations().map(\.topic) == [Self.topic])
            try await Self.withServer(scene) { (url: String) async throws -> Void in
                scene.fake.setPushSubscription(FakePushSubscription(endpoint: url, serviceAccountEmail: Self.pushAccount, audience: Self.audience, ackDeadlineSeconds: Patience.seconds))
                let intro = try #require(scene.sent.first { $0.to == ["p1@example.org"] })
                try scene.fake.deliver(
                    Array("From: p1@example.org\r\nTo: \(SendingScene.sam)\r\nSubject: Re: \(intro.subject)\r\nIn-Reply-To: \(intro.messageID ?? "")\r\n\r\nYes please.\r\n".utf8),
                    to: SendingScene.sam, threadID: intro.threadID)
                await scene.fake.waitForPushes()
                #expect(scene.fake.pushDeliveries().map(\.status) == [204])
                #expect(try queued(scene) == 1)
                #expect(try scene.state("p1@example.org") != .stopped(.replied))  // serve only queues
                let handled = try await scene.runner.handlePushes(now: scene.clock.now)
                #expect(handled.incoming == 1)
                #expect(handled.stoppedByIncoming == 1)
                #expect(try scene.state("p1@example.org") == .stopped(.replied))
                #expect(try queued(scene) == 0)
            }
        }
    }

    @Test("a redelivered push (same messageId) and a stale one (history already processed) queue nothing; out-of-order pushes lose nothing")
    func duplicatesAndOrder() async throws {
        try await SendingScene.with(people: 2) { (scene: SendingScene) async throws -> Void in
            _ = try await scene.passes(from: 0, to: 30)
            let position = try #require(try await scene.database.syncCheckpoint("sam"))
            let next = String(UInt64(position)! + 5), later = String(UInt64(position)! + 9)
            try await Self.withServer(scene) { (url: String) async throws -> Void in
                let token = try await genuineToken(scene)
                // The newer notification arrives first, then the older one (Pub/Sub does not keep order), then the newer again.
                #expect(try await Self.post(url, bearer: token, body: Self.envelope(messageID: "m-2", historyID: later)) == 204)
                #expect(try await Self.post(url, bearer: token, body: Self.envelope(messageID: "m-1", historyID: next, numeric: false, urlSafe: true)) == 204)
                #expect(try await Self.post(url, bearer: token, body: Self.envelope(messageID: "m-2", historyID: later)) == 204)
                #expect(try queued(scene) == 2)
                _ = try await scene.runner.handlePushes(now: scene.clock.now)
                #expect(try queued(scene) == 0)
                // Redelivered after it was handled: still nothing to do.
                #expect(try await Self.post(url, bearer: token, body: Self.envelope(messageID: "m-1", historyID: next)) == 204)
                #expect(try queued(scene) == 0)
                // A new notification whose position the checkpoint has passed is acknowledged and dropped.
                let checkpoint = try #require(try await scene.database.syncCheckpoint("sam"))
                #expect(try await Self.post(url, bearer: token, body: Self.envelope(messageID: "m-3", historyID: checkpoint)) == 204)
                #expect(try queued(scene) == 0)
                #expect(try await scene.database.enqueuePush(messageID: "m-4", mailbox: "sam", historyID: checkpoint, now: scene.clock.now) == .stale)
                #expect(try await scene.database.enqueuePush(messageID: "m-1", mailbox: "sam", historyID: later, now: scene.clock.now) == .duplicate)
            }
        }
    }

    @Test("forged pushes are refused with 401 and change nothing: bad signature, wrong audience, issuer or account, expired, missing token")
    func forgedPushes() async throws {
        try await SendingScene.with(people: 1) { (scene: SendingScene) async throws -> Void in
            _ = try await scene.passes(from: 0, to: 0)
            let position = try #require(try await scene.database.syncCheckpoint("sam"))
            let body = Self.envelope(messageID: "forged", historyID: String(UInt64(position)! + 100))
            let now = scene.clock.now
            let impostor = try PushTokenSigner()  // same key id, a key Google never published
            var wrongIssuer = PushTokenSigner.Claims(audience: Self.audience, email: Self.pushAccount, issuedAt: now)
            wrongIssuer.iss = "https://evil.example.com"
            var unverified = PushTokenSigner.Claims(audience: Self.audience, email: Self.pushAccount, issuedAt: now)
            unverified.emailVerified = false
            let forgeries: [(String, String?)] = [
                ("bad signature", try await impostor.token(.init(audience: Self.audience, email: Self.pushAccount, issuedAt: now))),
                ("wrong audience", try await scene.fake.signPushToken(.init(audience: "https://other.example.com/hook", email: Self.pushAccount, issuedAt: now))),
                ("wrong account", try await scene.fake.signPushToken(.init(audience: Self.audience, email: "someone@fake-project.iam.gserviceaccount.com", issuedAt: now))),
                ("wrong issuer", try await scene.fake.signPushToken(wrongIssuer)),
                ("unverified email", try await scene.fake.signPushToken(unverified)),
                ("expired", try await scene.fake.signPushToken(.init(audience: Self.audience, email: Self.pushAccount, issuedAt: now.addingTimeInterval(-7_200)))),
                ("not a JWT", "not.a.jwt"),
                ("missing", nil),
            ]
            try await Self.withServer(scene) { (url: String) async throws -> Void in
                for (what, token) in forgeries {
                    #expect(try await Self.post(url, bearer: token, body: body) == 401, "\(what)")
                }
                #expect(try queued(scene) == 0)
                #expect(try await scene.database.syncState("sam").historyID == position)
                // A genuine token with a malformed body is a 400, also with nothing changed.
                let token = try await genuineToken(scene)
                for malformed in ["{}", "not json", #"{"message":{"data":"!!!","messageId":"x"}}"#, Self.envelope(messageID: "x", historyID: "-1", numeric: false)] {
                    #expect(try await Self.post(url, bearer: token, body: malformed) == 400, "\(malformed)")
                }
                #expect(try queued(scene) == 0)
                #expect(try await Self.post(url, bearer: token, body: body) == 204)  // and the genuine push goes through
                #expect(try queued(scene) == 1)
            }
        }
    }

    @Test("with a URL token the push must carry it (compared in constant time); with both, both are required")
    func urlToken() async throws {
        try await SendingScene.with(people: 1) { (scene: SendingScene) async throws -> Void in
            _ = try await scene.passes(from: 0, to: 0)
            let position = UInt64(try #require(try await scene.database.syncCheckpoint("sam")))!
            let secret = UUID().uuidString
            try await Self.withServer(scene, oidc: false, token: secret) { (url: String) async throws -> Void in
                #expect(try await Self.post(url, bearer: nil, body: Self.envelope(messageID: "a", historyID: String(position + 1))) == 401)
                #expect(try await Self.post(url + "?token=wrong", bearer: nil, body: Self.envelope(messageID: "a", historyID: String(position + 1))) == 401)
                #expect(try await Self.post(url + "?token=\(secret)", bearer: nil, body: Self.envelope(messageID: "a", historyID: String(position + 1))) == 204)
            }
            try await Self.withServer(scene, oidc: true, token: secret) { (url: String) async throws -> Void in
                #expect(try await Self.post(url + "?token=\(secret)", bearer: nil, body: Self.envelope(messageID: "b", historyID: String(position + 2))) == 401)
                let token = try await genuineToken(scene)
                #expect(try await Self.post(url, bearer: token, body: Self.envelope(messageID: "b", historyID: String(position + 2))) == 401)
                #expect(try await Self.post(url + "?token=\(secret)", bearer: token, body: Self.envelope(messageID: "b", historyID: String(position + 2))) == 204)
            }
            #expect(try queued(scene) == 2)
            #expect(!scene.project.logs.text.contains(secret))
            // A pass's own read of the mailbox answers the pushes queued before it: no second read right after.
            _ = try await scene.pass(at: 60)
            #expect(try queued(scene) == 0)
        }
    }

    @Test("the runner renews each watch daily through the injected clock, and `watch --stop` ends it")
    func renewal() async throws {
        try await SendingScene.with(people: 1) { (scene: SendingScene) async throws -> Void in
            _ = try await GmailWatchCommand.start(watched(scene), gmail: scene.sender(), store: scene.database, now: scene.clock.now)
            #expect(scene.fake.calls(of: "watch") == 1)
            _ = try await scene.pass(at: 3_600)  // not yet a day
            #expect(scene.fake.calls(of: "watch") == 1)
            _ = try await scene.pass(at: 86_400 + 60)
            #expect(scene.fake.calls(of: "watch") == 2)
            let registration = try #require(try await scene.database.watchRegistrations().first)
            #expect(registration.renewedAt == SendingScene.tuesday.addingTimeInterval(86_400 + 60))
            #expect(registration.expiresAt == SendingScene.tuesday.addingTimeInterval(86_400 + 60 + 7 * 86_400))
            _ = try await scene.pass(at: 86_400 + 120)
            #expect(scene.fake.calls(of: "watch") == 2)
            // A failed renewal is reported and tried again in an hour, not every pass (each try costs 100 units).
            scene.fake.addFault(FaultRule(method: "watch", call: 3, fault: .status(400)))
            let failed = try await scene.pass(at: 2 * 86_400 + 120)
            #expect(scene.fake.calls(of: "watch") == 3)
            #expect(failed.watchProblems.first?.contains("renewing the Gmail watch failed (tried again in an hour)") == true)
            #expect(failed.text.contains("Watching: mailbox sam: renewing the Gmail watch failed"))
            _ = try await scene.pass(at: 2 * 86_400 + 180)
            #expect(scene.fake.calls(of: "watch") == 3)
            _ = try await scene.pass(at: 2 * 86_400 + 120 + 3_600)
            #expect(scene.fake.calls(of: "watch") == 4)
            let stopped = try await GmailWatchCommand.stop(watched(scene), gmail: scene.sender(), store: scene.database)
            #expect(stopped.map(\.failed) == [false])
            #expect(try await scene.database.watchRegistrations().isEmpty)
            // Without a topic, `cadence watch` says what to add.
            let none = try await GmailWatchCommand.start(scene.configuration, gmail: scene.sender(), store: scene.database, now: scene.clock.now)
            #expect(none.first?.failed == true)
            #expect(none.first?.text.contains("\"push\".\"topic\"") == true)
        }
    }

    @Test("Google's keys are cached; a rotated key is fetched again, but forged key ids cannot make Cadence fetch more than once a minute")
    func keyRotation() async throws {
        try await SendingScene.with(people: 1) { (scene: SendingScene) async throws -> Void in
            _ = try await scene.passes(from: 0, to: 0)
            let position = UInt64(try #require(try await scene.database.syncCheckpoint("sam")))!
            let fetches = Counter()
            try await Self.withServer(scene, fetches: fetches) { (url: String) async throws -> Void in
                #expect(try await Self.post(url, bearer: try await genuineToken(scene), body: Self.envelope(messageID: "k1", historyID: String(position + 1))) == 204)
                #expect(try await Self.post(url, bearer: try await genuineToken(scene), body: Self.envelope(messageID: "k2", historyID: String(position + 2))) == 204)
                #expect(fetches.count == 1)
                // Forged tokens naming keys Google never published: at most one refetch a minute, all refused.
                for index in 0..<5 {
                    let stranger = try PushTokenSigner(keyID: "unknown-\(index)")
                    let token = try await stranger.token(.init(audience: Self.audience, email: Self.pushAccount, issuedAt: scene.clock.now))
                    #expect(try await Self.post(url, bearer: token, body: Self.envelope(messageID: "f\(index)", historyID: String(position + 3))) == 401)
                }
                #expect(fetches.count == 1)  // the first fetch was just now: no refetch yet
                try scene.fake.rotatePushKey()
                #expect(try await Self.post(url, bearer: try await genuineToken(scene), body: Self.envelope(messageID: "k3", historyID: String(position + 3))) == 401)
                scene.clock.advance(by: 61)  // Pub/Sub retries later; by then the new key is fetched
                #expect(try await Self.post(url, bearer: try await genuineToken(scene), body: Self.envelope(messageID: "k3", historyID: String(position + 3))) == 204)
                #expect(fetches.count == 2)
                scene.clock.advance(by: 3_601)  // the cache's max-age has run out
                #expect(try await Self.post(url, bearer: try await genuineToken(scene), body: Self.envelope(messageID: "k4", historyID: String(position + 4))) == 204)
                #expect(fetches.count == 3)
            }
            #expect(try queued(scene) == 4)
        }
    }
}
