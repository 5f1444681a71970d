import AsyncHTTPClient
import CadenceCore
import CadenceEngine
import CadenceFakeGmail
import CadenceGmail
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Records every wait instead of waiting.
final class RecordingSleeper: Sleeper, Sendable {
    let waits = Mutex<[Double]>([])
    func sleep(seconds: Double) async throws { waits.withLock { $0.append(seconds) } }
    var count: Int { waits.withLock { $0.count } }
}

/// Every log line, with its metadata, at trace level: what tests search for secrets.
final class LogCapture: Sendable {
    let lines = Mutex<[String]>([])

    var logger: Logger {
        var logger = Logger(label: "cadence.test") { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            let all = self.metadata.merging(metadata ?? [:]) { $1 }
            capture.lines.withLock { $0.append("\(level) \(message) \(all)") }
        }
    }
}

/// A project folder in /tmp with `cadence.json` pointing at a fake Gmail, and the fake's scene.
struct GmailProject {
    static let start = Date(timeIntervalSince1970: 1_796_000_000)
    static let clientID = "1234-fake.apps.googleusercontent.com"
    static let clientSecret = "test-secret-" + UUID().uuidString
    static let sam = "sam@northwind.example.com"

    let root: String
    let server: FakeGmailServer
    let clock: AdjustableClock
    let sleeper = RecordingSleeper()
    let logs = LogCapture()

    var gmail: FakeGmail { server.gmail }
    var store: SecretStore { SecretStore(root: root, environment: ["PATH": "/usr/bin"]) }
    var access: GmailAccess { GmailAccess(store: store, clock: clock, sleeper: sleeper, logger: logs.logger) }
    var endpoints: GoogleEndpoints { server.endpoints }

    static func with(options: FakeGmailOptions = .unlimited, _ body: @Sendable (GmailProject) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-gmail-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/secrets", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let clock = AdjustableClock(start)
        try await withFakeGmail(options: options, clock: clock) { server in
            server.gmail.addMailbox(sam)
            server.gmail.addMailbox("other@northwind.example.com")
            server.gmail.addClient(id: clientID, secret: clientSecret)
            let project = GmailProject(root: root, server: server, clock: clock)
            try project.write("secrets/client_secret.json", #"{"installed":{"client_id":"\#(clientID)","client_secret":"\#(clientSecret)"}}"#, mode: 0o600)
            try await body(project)
        }
    }

    func write(_ relative: String, _ text: String, mode: Int) throws {
        let path = root + "/" + relative
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        chmod(path, mode_t(mode))
    }

    /// A mailbox as cadence.json would decode it, with these Gmail credentials.
    func mailbox(_ name: String = "sam", address: String = sam, credentials: GmailCredentials? = nil) throws -> Mailbox {
        let settings = GmailSettings(
            credentials: credentials ?? .oauth(clientID: Self.clientID, clientSecret: .file("secrets/client_secret.json"), tokenFile: "secrets/\(name).token.json"),
            endpoints: endpoints)
        return Mailbox(
            name: name, address: try EmailAddress.parse(address).get(), displayName: "Sam", signature: "", timeZone: "America/New_York",
            provider: .gmail(settings), limits: .default)
    }

    /// As if `cadence auth login` had run: a token file with a fresh refresh token for `scopes`.
    func authorize(_ name: String = "sam", user: String = sam, scopes: [String] = GmailScope.required) throws {
        let refresh = gmail.issueRefreshToken(clientID: Self.clientID, user: user, scopes: scopes)
        try TokenFile(address: user, scopes: scopes, refreshToken: Secret(refresh), authorizedAt: clock.now).write("secrets/\(name).token.json", to: store)
    }

    func provider(_ mailbox: Mailbox, http: GoogleHTTP) throws -> AccessTokenProvider {
        guard case .gmail(let settings) = mailbox.provider else { throw FakeGmailServerError("not gmail") }
        return try access.provider(for: mailbox, settings, http: http)
    }

    func withHTTP<T>(_ body: (GoogleHTTP) async throws -> T) async throws -> T {
        try await GoogleHTTP.with(endpoints, logger: logs.logger, body)
    }

    /// Plays the browser: opens the consent URL at the fake (no redirect following), then follows Google's
    /// redirect to the loopback listener, optionally after tampering with it.
    static func browse(_ url: String, tamper: @Sendable (String) -> String = { $0 }) async throws {
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: .init(redirectConfiguration: .disallow))
        do {
            let consent = try await client.execute(HTTPClientRequest(url: url), timeout: Patience.request)
            _ = try await consent.body.collect(upTo: 1 << 20)
            if let location = consent.headers.first(name: "Location") {
                let back = try await client.execute(HTTPClientRequest(url: tamper(location)), timeout: Patience.request)
                _ = try await back.body.collect(upTo: 1 << 20)
            }
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
