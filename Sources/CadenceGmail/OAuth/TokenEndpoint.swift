import CadenceCore
import Foundation
import NIOHTTP1

/// Google's token and revoke endpoints: the three grants Cadence uses, with retries only where Google says a retry
/// can help (408/429/5xx and `internal_failure`/`server_error`/`temporarily_unavailable`), never for a refusal.
public struct TokenEndpoint: Sendable {
    let http: GoogleHTTP
    let endpoints: GoogleEndpoints
    let sleeper: any Sleeper
    let clock: any WallClock
    let retry: RetryPolicy

    public init(http: GoogleHTTP, endpoints: GoogleEndpoints, sleeper: any Sleeper, clock: any WallClock, retry: RetryPolicy = RetryPolicy(attempts: 4)) {
        self.http = http
        self.endpoints = endpoints
        self.sleeper = sleeper
        self.clock = clock
        self.retry = retry
    }

    /// A token endpoint answer.
    public struct Grant: Sendable {
        public var accessToken: Secret
        public var expiresIn: Int
        public var refreshToken: Secret?
        public var scopes: [String]?
    }

    /// An error answer, before it is given a mailbox's context.
    public struct Refusal: Error, Sendable, Equatable {
        public var code: String
        public var description: String
        public var retryable: Bool
        /// Seconds the server asked to wait (`Retry-After`), if it said.
        public var retryAfter: Double? = nil
    }

    public func exchange(code: Secret, verifier: Secret, redirectURI: String, clientID: String, clientSecret: Secret) async throws(Refusal) -> Grant {
        try await request([
            ("grant_type", "authorization_code"), ("code", code.revealed), ("redirect_uri", redirectURI), ("client_id", clientID),
            ("client_secret", clientSecret.revealed), ("code_verifier", verifier.revealed),
        ])
    }

    public func refresh(_ token: Secret, clientID: String, clientSecret: Secret) async throws(Refusal) -> Grant {
        try await request([
            ("grant_type", "refresh_token"), ("refresh_token", token.revealed), ("client_id", clientID), ("client_secret", clientSecret.revealed),
        ])
    }

    public func assertion(_ jwt: Secret) async throws(Refusal) -> Grant {
        try await request([("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", jwt.revealed)])
    }

    /// Revokes a token; one Google no longer knows counts as revoked. Retried like a token request.
    public func revoke(_ token: Secret) async throws(Refusal) {
        try await post(endpoints.revokeURL, [("token", token.revealed)], label: "revoke") { response -> Void? in
            response.status == 200 || response.json?["error"] as? String == "invalid_token" ? () : nil
        }
    }

    private func request(_ form: [(String, String)]) async throws(Refusal) -> Grant {
        try await post(endpoints.tokenURL, form, label: "token") { response -> Grant? in
            guard response.status == 200, let json = response.json, let access = json["access_token"] as? String else { return nil }
            let expires = (json["expires_in"] as? Int) ?? (json["expires_in"] as? String).flatMap(Int.init) ?? 3_599
            return Grant(
                accessToken: Secret(access), expiresIn: expires, refreshToken: (json["refresh_token"] as? String).map(Secret.init),
                scopes: (json["scope"] as? String).map { $0.split(separator: " ").map(String.init) })
        }
    }

    /// POSTs a form to Google's OAuth endpoint `url` until `accept` takes the answer, retrying (backoff with full
    /// jitter, at least `Retry-After`) only where Google says a retry can help; a refusal is thrown at once.
    /// Repeating is safe: a token request or a revoke changes nothing twice.
    private func post<T>(_ url: String, _ form: [(String, String)], label: String, accept: (GoogleHTTP.Response) -> T?) async throws(Refusal) -> T {
        let body = Array(FormEncoding.encode(form).utf8)
        var generator = SystemRandomNumberGenerator()
        var last = Refusal(code: "unavailable", description: "no attempt", retryable: true)
        for attempt in 0..<max(1, retry.attempts) {
            let attemptSeconds = Double(endpoints.connectTimeoutSeconds + endpoints.requestTimeoutSeconds)
            do {
                if attempt > 0 {
                    try await retry.wait(beforeRetry: attempt - 1, hint: last.retryAfter, attemptSeconds: attemptSeconds, sleeper: sleeper, using: &generator)
                }
                try RetryPolicy.checkAttempt(lasting: attemptSeconds)
            } catch {
                // Out of time (the runner's lease) or cancelled: the last answer stands, and is worth another try later.
                throw attempt == 0 ? Refusal(code: "unavailable", description: error.description, retryable: true) : last
            }
            let response: GoogleHTTP.Response
            do {
                response = try await http.perform(.POST, url, headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body, label: label)
            } catch {
                last = Refusal(code: "unavailable", description: error.description, retryable: true)
                continue
            }
            if let accepted = accept(response) { return accepted }
            let code = response.json?["error"] as? String ?? "http_\(response.status)"
            let description = response.json?["error_description"] as? String ?? "HTTP \(response.status)"
            let retryable = [408, 429, 500, 502, 503, 504].contains(response.status) || ["internal_failure", "server_error", "temporarily_unavailable"].contains(code)
            last = Refusal(
                code: code, description: description, retryable: retryable,
                retryAfter: RetryPolicy.hint(retryAfter: response.header("Retry-After"), message: nil, now: clock.now))
            if !retryable { throw last }
            // Asked to wait longer than a backoff ever waits: not inside a call; the caller tries again later.
            if let hint = last.retryAfter, hint > retry.cap { throw last }
        }
        throw last
    }
}
