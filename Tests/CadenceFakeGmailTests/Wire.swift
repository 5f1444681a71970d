import AsyncHTTPClient
import CadenceCore
import CadenceFakeGmail
import Foundation
import NIOCore
import NIOHTTP1

/// A plain HTTP client for talking to the fake the way Google's documentation shows: no Cadence code in between.
struct Wire: Sendable {
    static let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: .init(redirectConfiguration: .disallow))

    let base: String

    struct Answer: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        var errorReason: String? { ((json?["error"] as? [String: Any])?["errors"] as? [[String: Any]])?.first?["reason"] as? String }
        var errorMessage: String? { (json?["error"] as? [String: Any])?["message"] as? String }
        var oauthError: String? { json?["error"] as? String }
    }

    func request(_ method: HTTPMethod, _ path: String, token: String? = nil, contentType: String? = nil, body: [UInt8]? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: path.hasPrefix("http") ? path : base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await Self.client.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 64 * 1024 * 1024)
        return Answer(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: Array(buffer: collected))
    }

    func get(_ path: String, token: String? = nil) async throws -> Answer {
        try await request(.GET, path, token: token)
    }

    func form(_ path: String, _ pairs: [(String, String)]) async throws -> Answer {
        try await request(.POST, path, contentType: "application/x-www-form-urlencoded", body: Array(FormEncoding.encode(pairs).utf8))
    }

    func json(_ path: String, _ object: [String: Any], token: String?) async throws -> Answer {
        try await request(.POST, path, token: token, contentType: "application/json", body: Array(try JSONSerialization.data(withJSONObject: object)))
    }

    /// Sends `message` (text with CRLF) through `messages.send`.
    func send(_ message: String, token: String, threadID: String? = nil) async throws -> Answer {
        var body: [String: Any] = ["raw": Base64.urlEncoded(Array(message.utf8))]
        if let threadID { body["threadId"] = threadID }
        return try await json("/gmail/v1/users/me/messages/send", body, token: token)
    }
}

enum Scene {
    static let start = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-11-30T00:53:20Z
    static let clientID = "1234-fake.apps.googleusercontent.com"
    static let clientSecret = "fake-secret-" + UUID().uuidString
    static let sam = "sam@northwind.example.com"
    static let all = [GmailScope.send, GmailScope.readonly]

    static func message(to: String = "ana@example.org", subject: String = "Quick question", extra: String = "", body: String = "Hi Ana") -> String {
        "From: Sam <\(sam)>\r\nTo: \(to)\r\nSubject: \(subject)\r\nMessage-ID: <s\(UUID().uuidString)@northwind.example.com>\r\n\(extra)\r\n\(body)\r\n"
    }

    /// A fake with Sam's mailbox and the OAuth client, and an access token for `scopes`.
    static func withScene(options: FakeGmailOptions = FakeGmailOptions(), scopes: [String] = all, _ body: @Sendable (FakeGmailServer, Wire, AdjustableClock, String) async throws -> Void) async throws
    {
        let clock = AdjustableClock(start)
        try await withFakeGmail(options: options, clock: clock) { server in
            server.gmail.addMailbox(sam)
            server.gmail.addClient(id: clientID, secret: clientSecret)
            let wire = Wire(base: server.baseURL)
            let refresh = server.gmail.issueRefreshToken(clientID: clientID, user: sam, scopes: scopes)
            let answer = try await wire.form("/token", [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", clientID), ("client_secret", clientSecret)])
            let token = answer.json?["access_token"] as? String ?? ""
            try await body(server, wire, clock, token)
        }
    }
}
