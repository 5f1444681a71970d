import CadenceCore
import Foundation
import JWTKit
import Synchronization
import _CryptoExtras

/// A strict stand-in for Gmail and Google's OAuth endpoints. Tests, the demo's sandbox and `cadence-fake-gmail`
/// run it on 127.0.0.1 and talk to it over real HTTP; production code cannot tell it from Google except by the
/// URLs in `cadence.json`. It runs on an injected clock, so token expiry, quota windows and the rolling 24-hour
/// sending limit move when a test moves the clock.
public final class FakeGmail: Sendable {
    let storage: Mutex<FakeStorage>
    public let clock: any WallClock
    /// Where `--state DIR` keeps everything between runs; nil keeps it in memory.
    let stateFile: String?
    /// The fake's own address once it listens, for the JWT audience check.
    let baseURL = Mutex<String>("")
    /// The push subscription, the token signer and the pushes made.
    let pushState = Mutex(PushState())

    public init(options: FakeGmailOptions = FakeGmailOptions(), clock: any WallClock, stateDirectory: String? = nil) {
        self.clock = clock
        self.stateFile = stateDirectory.map { $0 + "/fake-gmail-state.json" }
        var initial = FakeStorage(options: options)
        if let stateFile, let data = FileManager.default.contents(atPath: stateFile), let saved = try? JSONDecoder().decode(FakeStorage.self, from: data) {
            initial = saved
        }
        storage = Mutex(initial)
    }

    // MARK: Setting the scene

    /// A mailbox (Gmail account) the fake hosts, with its send-as aliases.
    public func addMailbox(_ address: String, aliases: [String] = [], historyID: UInt64 = 4_417_000) {
        mutate { storage in
            let key = address.lowercased()
            guard storage.mailboxes[key] == nil else { return }
            storage.mailboxes[key] = FakeMailbox(address: address, aliases: aliases, historyID: historyID, oldestHistoryID: historyID)
        }
    }

    /// An OAuth client (a "Desktop app" client in the Cloud console).
    public func addClient(id: String, secret: String) {
        mutate { $0.clients[id] = secret }
    }

    /// A service account with its public key and the domain-wide delegation an admin granted (user → scopes;
    /// `*` for every mailbox).
    public func addServiceAccount(email: String, publicKeyPEM: String, delegations: [String: [String]]) {
        mutate { storage in
            storage.serviceAccounts[email] = FakeServiceAccount(
                email: email, publicKeyPEM: publicKeyPEM, delegations: Dictionary(uniqueKeysWithValues: delegations.map { ($0.key.lowercased(), $0.value) }))
        }
    }

    /// What the next person at the consent page does.
    public func setConsent(_ consent: Consent) {
        mutate { $0.consent = consent }
    }

    public func addFault(_ rule: FaultRule) {
        mutate { $0.faults.append(rule) }
    }

    public func clearFaults() {
        mutate { $0.faults = [] }
    }

    public func setOptions(_ change: (inout FakeGmailOptions) -> Void) {
        mutate { change(&$0.options) }
    }

    /// Every refresh token of `user` dies, as when they change their password or revoke access.
    public func revokeGrants(of user: String) {
        mutate { storage in
            for (token, grant) in storage.refreshTokens where grant.user == user.lowercased() {
                storage.refreshTokens[token]?.revoked = true
            }
        }
    }

    /// `history.list` from before `historyID` answers 404 from now on, as it does once Gmail's history expires.
    public func expireHistory(of mailbox: String, before historyID: UInt64) {
        mutate { $0.mailboxes[mailbox.lowercased()]?.oldestHistoryID = historyID }
    }

    /// Mail arriving in `mailbox` (a reply, a bounce, an auto-reply), threaded as Gmail would.
    @discardableResult
    public func deliver(_ raw: [UInt8], to mailbox: String, labelIDs: [String] = ["INBOX", "UNREAD"], threadID: String? = nil) throws(MailParseError) -> (id: String, threadID: String) {
        let now = clock.now
        let result = try storage.withLock { (storage) throws(MailParseError) in
            guard storage.mailboxes[mailbox.lowercased()] != nil else { throw MailParseError("the fake hosts no mailbox \(mailbox)") }
            return try storage.deliver(raw, to: mailbox.lowercased(), labelIDs: labelIDs, threadID: threadID, now: now)
        }
        save()
        pushIfWatched(mailbox, labelIDs: labelIDs)
        return result
    }

    /// How many times `method` was called (faulted calls included).
    public func calls(of method: String) -> Int {
        storage.withLock { $0.calls[method] ?? 0 }
    }

    /// Everything each mailbox sent, and any message sent twice.
    public func report() -> FakeGmailReport {
        storage.withLock { storage in
            FakeGmailReport(
                mailboxes: storage.mailboxes.values.sorted { $0.address < $1.address }.map { mailbox in
                    FakeGmailReport.Mailbox(
                        address: mailbox.address,
                        sent: mailbox.messages.filter(\.isSent).map { message in
                            FakeGmailReport.Sent(
                                id: message.id, threadID: message.threadID, sendID: message.sendID, messageID: message.messageID,
                                originalMessageID: message.originalMessageID, to: message.recipients, subject: message.subject,
                                at: message.internalDate, fromRewritten: message.fromRewritten)
                        }, received: mailbox.messages.filter { !$0.isSent }.count)
                })
        }
    }

    /// 429s the fake answered because a user went over its quota or sending limit (injected faults not counted).
    public func rateLimitedAnswers() -> Int {
        storage.withLock { $0.rateLimitedAnswers }
    }

    /// Quota units charged to `user` so far.
    public func unitsCharged(_ user: String) -> Int {
        storage.withLock { $0.unitsCharged[user.lowercased()] ?? 0 }
    }

    /// The stored bytes of a message, for tests that look at what Gmail kept.
    public func rawMessage(_ id: String, in mailbox: String) -> [UInt8]? {
        storage.withLock { $0.mailboxes[mailbox.lowercased()]?.message(id)?.raw }
    }

    /// The access tokens and refresh tokens the fake has issued: tests grep outputs and logs for them.
    public func issuedSecrets() -> [String] {
        storage.withLock { Array($0.accessTokens.keys) + Array($0.refreshTokens.keys) + Array($0.clients.values) + Array($0.codes.keys) + $0.secretsSeen }
    }

    private func mutate(_ change: (inout FakeStorage) -> Void) {
        storage.withLock { change(&$0) }
        save()
    }

    func save() {
        guard let stateFile else { return }
        let data = storage.withLock { try? JSONEncoder().encode($0) }
        try? data?.write(to: URL(fileURLWithPath: stateFile), options: .atomic)
    }

    // MARK: Handling requests

    func handle(_ request: FakeRequest) async -> FakeResponse {
        guard let route = Route(request) else {
            return .apiError(404, "The fake Gmail has no \(request.method) \(request.path)", reason: "notFound")
        }
        if case .control = route { return await control(request) }
        if case .certs = route { return FakeResponse(status: 200, headers: [("Content-Type", "application/json"), ("Cache-Control", "public, max-age=21600")], body: pushKeySet()) }
        let (call, faults) = storage.withLock { storage -> (Int, [FaultRule.Fault]) in
            let count = (storage.calls[route.method] ?? 0) + 1
            storage.calls[route.method] = count
            return (count, storage.faults.filter { ($0.method == route.method || $0.method == "*") && $0.calls.contains(count) }.map(\.fault))
        }
        _ = call
        for fault in faults {
            if case .latency(let seconds) = fault { try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9)) }
        }
        let oauth = route.method == "token" || route.method == "revoke"
        for fault in faults {
            switch fault {
            case .status(let code): return oauth ? Self.oauthFailure(code) : Self.failure(code)
            case .rateLimited(let seconds) where oauth:
                var response = Self.oauthFailure(429)
                response.headers.append(("Retry-After", String(seconds)))
                return response
            case .rateLimited(let seconds):
                return .apiError(429, "Rate Limit Exceeded", reason: "rateLimitExceeded", domain: "usageLimits", extraHeaders: [("Retry-After", String(seconds))])
            case .drop: return FakeResponse(status: 500, body: [], drop: true)
            default: continue
            }
        }
        var response = await perform(route, request)
        for fault in faults {
            switch fault {
            case .storeThenStatus(let code): response = oauth ? Self.oauthFailure(code) : Self.failure(code)
            case .storeThenDrop: response.drop = true
            case .garbledRaw:
                guard var object = JSONBody.decodeObject(response.body), object["raw"] != nil else { continue }
                object["raw"] = "%%% not base64url %%%"
                response.body = JSONBody.encode(object)
            default: continue
            }
        }
        return response
    }

    /// The token endpoint's shape of a failure: `{"error": "internal_failure", …}`, never the API's.
    static func oauthFailure(_ code: Int) -> FakeResponse {
        switch code {
        case 429: .oauthError(429, "rate_limit_exceeded", "Rate limit exceeded")
        case 503: .oauthError(503, "temporarily_unavailable", "The service is temporarily unavailable")
        case 400: .oauthError(400, "invalid_request", "Bad Request")
        case 401: .oauthError(401, "invalid_client", "Unauthorized")
        default: .oauthError(code, "internal_failure", "Internal failure")
        }
    }

    static func failure(_ code: Int) -> FakeResponse {
        switch code {
        case 401: .apiError(401, "Invalid Credentials", reason: "authError")
        case 429: .apiError(429, "Rate Limit Exceeded", reason: "rateLimitExceeded", domain: "usageLimits")
        case 503: .apiError(503, "The service is currently unavailable.", reason: "backendError")
        default: .apiError(code, "Backend Error", reason: "backendError")
        }
    }

    private func perform(_ route: Route, _ request: FakeRequest) async -> FakeResponse {
        let now = clock.now
        switch route {
        case .authorize:
            return storage.withLock { $0.authorize(request, now: now) }
        case .token:
            let grant = request.form.first { $0.0 == "grant_type" }?.1
            if grant == FakeStorage.jwtBearer {
                return await jwtBearer(request, tokenURL: baseURL.withLock { $0 } + "/token")
            }
            defer { save() }
            return storage.withLock { $0.token(request, now: now) }
        case .revoke:
            defer { save() }
            return storage.withLock { $0.revoke(request) }
        case .control, .certs:
            return .empty(404)
        case .api(let userID, let method, let id):
            defer { save() }
            return storage.withLock { storage -> FakeResponse in
                let user: String, scopes: Set<String>
                switch storage.caller(request, userID: userID, now: now) {
                case .failure(let error): return error.response
                case .success(let found): (user, scopes) = found
                }
                if let limited = storage.charge(method, user: user, now: now) { return limited }
                switch method {
                case "getProfile": return storage.profile(user: user, scopes: scopes)
                case "messages.send" where id == "resumable":
                    return Self.startResumable(request, storage: &storage, user: user, scopes: scopes, base: baseURL.withLock { $0 })
                case "upload.put": return Self.finishResumable(request, storage: &storage, user: user, now: now)
                case "messages.send": return Self.send(request, upload: id == "upload", storage: &storage, user: user, scopes: scopes, now: now)
                case "messages.get": return storage.getMessage(id ?? "", request, user: user, scopes: scopes)
                case "messages.list": return storage.listMessages(request, user: user, scopes: scopes, now: now)
                case "threads.get": return storage.getThread(id ?? "", request, user: user, scopes: scopes)
                case "history.list": return storage.listHistory(request, user: user, scopes: scopes)
                case "watch": return storage.watch(request, user: user, scopes: scopes, now: now)
                case "stop": return storage.stop(user: user, scopes: scopes)
                default: return .apiError(404, "Not Found", reason: "notFound")
                }
            }
        }
    }

    /// A resumable upload's first request: JSON metadata (`threadId`), answered with the session URI in `Location`.
    private static func startResumable(_ request: FakeRequest, storage: inout FakeStorage, user: String, scopes: Set<String>, base: String) -> FakeResponse {
        guard !scopes.isDisjoint(with: FakeStorage.sendScopes) else { return FakeStorage.insufficientScopes() }
        guard request.parameter("uploadType") == "resumable" else { return .apiError(400, "uploadType must be resumable", reason: "invalidArgument") }
        if let type = request.headers["x-upload-content-type"], !type.lowercased().hasPrefix("message/") {
            return .apiError(400, "Media type '\(type)' is not supported. Valid media types: [message/*]", reason: "badContent")
        }
        let metadata = JSONBody.decodeObject(request.body)
        let id = storage.nextToken("up")
        storage.uploads[id] = UploadSession(user: user, threadID: metadata?["threadId"] as? String, length: request.headers["x-upload-content-length"].flatMap { Int($0) })
        return FakeResponse(status: 200, headers: [("Location", "\(base)/resumable/upload/gmail/v1/users/me/messages/send?uploadType=resumable&upload_id=\(id)")], body: [])
    }

    /// The PUT of the message bytes to a session URI: the send itself.
    private static func finishResumable(_ request: FakeRequest, storage: inout FakeStorage, user: String, now: Date) -> FakeResponse {
        guard let id = request.parameter("upload_id"), let session = storage.uploads[id], session.user == user else {
            return .apiError(404, "No upload session \(request.parameter("upload_id") ?? "")", reason: "notFound")
        }
        if let length = session.length, length != request.body.count {
            return .apiError(400, "The upload is \(request.body.count) bytes; the session announced \(length)", reason: "badContent")
        }
        storage.uploads[id] = nil
        return storage.send(raw: request.body, threadID: session.threadID, user: user, now: now)
    }

    /// `messages.send` (JSON with base64url `raw`) and the upload endpoint (`media` bytes, or `multipart/related`
    /// with JSON metadata and the message).
    private static func send(_ request: FakeRequest, upload: Bool, storage: inout FakeStorage, user: String, scopes: Set<String>, now: Date) -> FakeResponse {
        guard !scopes.isDisjoint(with: FakeStorage.sendScopes) else { return FakeStorage.insufficientScopes() }
        if upload {
            let type = request.headers["content-type"]?.lowercased() ?? ""
            switch request.parameter("uploadType") {
            case "media":
                guard type.hasPrefix("message/rfc822") else { return .apiError(400, "Media type '\(type)' is not supported. Valid media types: [message/*]", reason: "badContent") }
                return storage.send(raw: request.body, threadID: nil, user: user, now: now)
            case "multipart":
                guard request.body.count <= storage.options.multipartLimit else {
                    return .apiError(413, "Request Entity Too Large: a multipart upload takes at most \(storage.options.multipartLimit) bytes; use uploadType=resumable", reason: "uploadTooLarge")
                }
                guard type.hasPrefix("multipart/related"), let envelope = try? MailMessage.parse(Array("Content-Type: \(request.headers["content-type"]!)\r\n\r\n".utf8) + request.body),
                    envelope.parts.count == 2, envelope.parts[0].mimeType == "application/json", envelope.parts[1].mimeType.hasPrefix("message/")
                else { return .apiError(400, "multipart/related needs a JSON metadata part and a message/rfc822 part", reason: "badContent") }
                let metadata = JSONBody.decodeObject(envelope.parts[0].body)
                return storage.send(raw: envelope.parts[1].body, threadID: metadata?["threadId"] as? String, user: user, now: now)
            default:
                return .apiError(400, "uploadType must be media or multipart", reason: "invalidArgument")
            }
        }
        guard request.body.count <= storage.options.jsonPayloadLimit else {
            return .apiError(400, "Request payload size exceeds the limit: \(storage.options.jsonPayloadLimit) bytes.", reason: "badRequest")
        }
        guard let body = JSONBody.decodeObject(request.body) else { return .apiError(400, "Invalid JSON payload received.", reason: "parseError") }
        guard let raw = body["raw"] as? String, !raw.isEmpty else {
            return .apiError(400, "'raw' RFC822 payload message string or uploading message via /upload/* URL required", reason: "invalidArgument")
        }
        // Strict base64url: the standard alphabet's + and /, and line breaks, are refused; = padding is accepted.
        guard raw.utf8.allSatisfy({ FakeStorage.isBase64URL($0) || $0 == 61 }), let bytes = Base64.decode(Array(raw.utf8)) else {
            return .apiError(400, "Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding failed for \"\(raw.prefix(20))…\"", reason: "invalidArgument")
        }
        return storage.send(raw: bytes, threadID: body["threadId"] as? String, user: user, now: now)
    }
}

/// Which endpoint a request is for.
enum Route {
    case authorize, token, revoke, control, certs
    case api(userID: String, method: String, id: String?)

    init?(_ request: FakeRequest) {
        let parts = request.path.split(separator: "/").map(String.init)
        /// `parts` against a pattern where `*` captures one segment.
        func match(_ method: String, _ pattern: String) -> [String]? {
            let expected = pattern.split(separator: "/").map(String.init)
            guard request.method == method, expected.count == parts.count else { return nil }
            var captured: [String] = []
            for (want, got) in zip(expected, parts) {
                if want == "*" { captured.append(got) } else if want != got { return nil }
            }
            return captured
        }
        if parts.first == "control" { self = .control; return }
        if match("GET", "o/oauth2/v2/auth") != nil { self = .authorize; return }
        if match("POST", "token") != nil { self = .token; return }
        if match("POST", "revoke") != nil { self = .revoke; return }
        if match("GET", "oauth2/v3/certs") != nil { self = .certs; return }
        let api: [(String, String, String, Bool)] = [
            ("GET", "gmail/v1/users/*/profile", "getProfile", false),
            ("POST", "gmail/v1/users/*/messages/send", "messages.send", false),
            ("POST", "upload/gmail/v1/users/*/messages/send", "messages.send", false),
            ("POST", "resumable/upload/gmail/v1/users/*/messages/send", "messages.send", false),
            ("PUT", "resumable/upload/gmail/v1/users/*/messages/send", "upload.put", false),
            ("GET", "gmail/v1/users/*/messages", "messages.list", false),
            ("GET", "gmail/v1/users/*/messages/*", "messages.get", true),
            ("GET", "gmail/v1/users/*/threads/*", "threads.get", true),
            ("GET", "gmail/v1/users/*/history", "history.list", false),
            ("POST", "gmail/v1/users/*/watch", "watch", false),
            ("POST", "gmail/v1/users/*/stop", "stop", false),
        ]
        for (method, pattern, name, hasID) in api {
            guard let captured = match(method, pattern) else { continue }
            let id = hasID ? captured[1] : (pattern.hasPrefix("upload/") ? "upload" : pattern.hasPrefix("resumable/") ? "resumable" : nil)
            self = .api(userID: captured[0], method: name, id: id)
            return
        }
        return nil
    }

    var method: String {
        switch self {
        case .authorize: "authorize"
        case .token: "token"
        case .revoke: "revoke"
        case .control: "control"
        case .certs: "certs"
        case .api(_, let method, _): method
        }
    }
}

/// What the fake saw sent: the oracle for "never twice, never lost".
public struct FakeGmailReport: Sendable, Codable, Equatable {
    public struct Sent: Sendable, Codable, Equatable {
        public var id: String
        public var threadID: String
        public var sendID: String?
        public var messageID: String?
        public var originalMessageID: String?
        public var to: [String]
        public var subject: String
        public var at: Date
        public var fromRewritten: Bool
    }

    public struct Mailbox: Sendable, Codable, Equatable {
        public var address: String
        public var sent: [Sent]
        public var received: Int
    }

    public var mailboxes: [Mailbox]

    /// Send ids (or, without one, Message-IDs) that went out more than once, with how many times.
    public var duplicates: [String: Int] {
        var counts: [String: Int] = [:]
        for mailbox in mailboxes {
            for sent in mailbox.sent {
                guard let key = sent.sendID ?? sent.originalMessageID ?? sent.messageID else { continue }
                counts[key, default: 0] += 1
            }
        }
        return counts.filter { $0.value > 1 }
    }

    public var allSent: [Sent] { mailboxes.flatMap(\.sent) }
}

extension FakeGmail {
    /// Creates a service account as the Cloud console does and returns its JSON key file; the fake keeps the
    /// public half and the delegation (user → scopes, `*` for every mailbox) a Workspace admin would grant.
    public func createServiceAccount(email: String, delegations: [String: [String]]) throws -> [UInt8] {
        let key = try Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
        addServiceAccount(email: email, publicKeyPEM: key.publicKey.pemRepresentation, delegations: delegations)
        let json: [String: Any] = [
            "type": "service_account", "project_id": "fake-project", "private_key_id": "fakekey\(email.count)",
            "private_key": key.pemRepresentation, "client_email": email, "client_id": "10\(abs(email.hashValue) % 1_000_000_000)",
            "token_uri": baseURL.withLock { $0 } + "/token",
        ]
        return Array(try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]))
    }

    /// A refresh token as if `user` had consented to `clientID` for `scopes`: for tests that start after login.
    public func issueRefreshToken(clientID: String, user: String, scopes: [String]) -> String {
        storage.withLock { storage in
            let token = storage.nextToken("1//0fake")
            storage.refreshTokens[token] = RefreshGrant(clientID: clientID, user: user.lowercased(), scopes: scopes)
            return token
        }
    }

    /// Every access token of `user` stops working now (Gmail answers 401), as after expiry on Google's side.
    public func expireAccessTokens(of user: String) {
        storage.withLock { storage in
            for (token, grant) in storage.accessTokens where grant.user == user.lowercased() { storage.accessTokens[token] = nil }
        }
    }
}
