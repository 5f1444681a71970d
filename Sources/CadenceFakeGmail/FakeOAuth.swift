import CadenceCore
import Crypto
import Foundation
import JWTKit
import Synchronization

/// Google's OAuth endpoints as the fake plays them: the consent page, the token endpoint's three grants, revoke.
/// Errors use the codes and descriptions Google's endpoint returns (RFC 6749 §5.2).
extension FakeStorage {
    static let jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

    /// `GET /o/oauth2/v2/auth`: the person consents (as `consent` says) and the browser is sent to the loopback
    /// redirect with a code, or with `error=access_denied`.
    mutating func authorize(_ request: FakeRequest, now: Date) -> FakeResponse {
        guard let clientID = request.parameter("client_id"), clients[clientID] != nil else {
            return .html(401, "Error 401: invalid_client. The OAuth client was not found.")
        }
        guard let redirect = request.parameter("redirect_uri"), Self.isLoopback(redirect) else {
            return .html(400, "Error 400: invalid_request. redirect_uri must be a loopback address such as http://127.0.0.1:PORT for a desktop client.")
        }
        guard request.parameter("response_type") == "code" else {
            return .html(400, "Error 400: invalid_request. Required parameter is missing: response_type")
        }
        guard let challenge = request.parameter("code_challenge"), request.parameter("code_challenge_method") == "S256",
            challenge.count == 43, challenge.utf8.allSatisfy(Self.isBase64URL)
        else {
            return .html(400, "Error 400: invalid_request. This fake requires PKCE: code_challenge with code_challenge_method=S256.")
        }
        let requested = (request.parameter("scope") ?? "").split(separator: " ").map(String.init)
        guard !requested.isEmpty else { return .html(400, "Error 400: invalid_request. Missing required parameter: scope") }
        let state = request.parameter("state")
        func back(_ pairs: [(String, String)]) -> FakeResponse {
            .redirect(redirect + (redirect.contains("?") ? "&" : "?") + FormEncoding.encode((state.map { [("state", $0)] } ?? []) + pairs))
        }
        if consent.deny { return back([("error", "access_denied")]) }
        // Who signs in: the scene's choice, else the account `login_hint` names (as Google's account picker
        // preselects it), else the first mailbox.
        let hinted = request.parameter("login_hint").map { $0.lowercased() }.flatMap { mailboxes[$0] != nil ? $0 : nil }
        guard let user = consent.user?.lowercased() ?? hinted ?? mailboxes.values.map(\.address).sorted().first?.lowercased(), mailboxes[user] != nil else {
            return .html(400, "No account can sign in: add a mailbox to the fake first.")
        }
        let granted = consent.scopes.map { ticked in requested.filter { ticked.contains($0) } } ?? requested
        let code = nextToken("4/0fake")
        codes[code] = AuthorizationCode(
            offline: request.parameter("access_type") == "offline", clientID: clientID, redirectURI: redirect, challenge: challenge, user: user, scopes: granted,
            expires: now.addingTimeInterval(options.authorizationCodeLifetime))
        return back([("code", code), ("scope", granted.joined(separator: " "))])
    }

    /// `POST /token`.
    mutating func token(_ request: FakeRequest, now: Date) -> FakeResponse {
        guard request.headers["content-type"]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
            return .oauthError(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
        }
        let form = Dictionary(request.form, uniquingKeysWith: { first, _ in first })
        switch form["grant_type"] {
        case "authorization_code": return exchange(form, now: now)
        case "refresh_token": return refresh(form, now: now)
        case Self.jwtBearer?: return .oauthError(500, "internal_failure", "jwt-bearer is handled outside the lock")
        case nil: return .oauthError(400, "invalid_request", "Missing required parameter: grant_type")
        case let other?: return .oauthError(400, "unsupported_grant_type", "Invalid grant_type: \(other)")
        }
    }

    private func authenticateClient(_ form: [String: String]) -> FakeResponse? {
        guard let id = form["client_id"], let secret = clients[id] else {
            return .oauthError(401, "invalid_client", "The OAuth client was not found.")
        }
        guard form["client_secret"] == secret else { return .oauthError(401, "invalid_client", "Unauthorized") }
        return nil
    }

    private mutating func exchange(_ form: [String: String], now: Date) -> FakeResponse {
        if let failure = authenticateClient(form) { return failure }
        guard let codeValue = form["code"], var code = codes[codeValue] else { return .oauthError(400, "invalid_grant", "Malformed auth code.") }
        guard !code.used else { return .oauthError(400, "invalid_grant", "Bad Request") }
        code.used = true  // a code is good once, whatever happens next
        codes[codeValue] = code
        guard code.expires > now else { return .oauthError(400, "invalid_grant", "Bad Request") }
        guard code.clientID == form["client_id"] else { return .oauthError(400, "invalid_grant", "Bad Request") }
        guard form["redirect_uri"] == code.redirectURI else { return .oauthError(400, "invalid_grant", "Bad Request") }
        guard let verifier = form["code_verifier"] else { return .oauthError(400, "invalid_grant", "Missing code verifier.") }
        secretsSeen.append(verifier)
        guard Self.isVerifier(verifier), Self.challenge(for: verifier) == code.challenge else {
            return .oauthError(400, "invalid_grant", "Invalid code verifier.")
        }
        guard code.offline else {
            return .json(200, issueAccessToken(user: code.user, scopes: code.scopes, refreshToken: nil, now: now))
        }
        let refreshToken = nextToken("1//0fake")
        refreshTokens[refreshToken] = RefreshGrant(clientID: code.clientID, user: code.user, scopes: code.scopes)
        var body = issueAccessToken(user: code.user, scopes: code.scopes, refreshToken: refreshToken, now: now)
        body["refresh_token"] = refreshToken
        return .json(200, body)
    }

    private mutating func refresh(_ form: [String: String], now: Date) -> FakeResponse {
        if let failure = authenticateClient(form) { return failure }
        guard let token = form["refresh_token"], let grant = refreshTokens[token], !grant.revoked else {
            return .oauthError(400, "invalid_grant", "Token has been expired or revoked.")
        }
        guard grant.clientID == form["client_id"] else { return .oauthError(400, "unauthorized_client", "Unauthorized") }
        var scopes = grant.scopes
        if let asked = form["scope"] {
            let subset = asked.split(separator: " ").map(String.init)
            guard subset.allSatisfy(grant.scopes.contains) else {
                return .oauthError(400, "invalid_scope", "Some requested scopes were invalid. {invalid=[\(subset.filter { !grant.scopes.contains($0) }.joined(separator: ", "))]}")
            }
            scopes = subset
        }
        return .json(200, issueAccessToken(user: grant.user, scopes: scopes, refreshToken: token, now: now))
    }

    mutating func issueAccessToken(user: String, scopes: [String], refreshToken: String?, now: Date) -> [String: Any] {
        let token = nextToken("ya29.fake")
        accessTokens[token] = AccessGrant(user: user, scopes: scopes, expires: now.addingTimeInterval(options.accessTokenLifetime), refreshToken: refreshToken)
        let lifetime = Int(options.accessTokenLifetime)
        return [
            "access_token": token, "expires_in": options.expiresInAsString ? String(lifetime) as Any : lifetime as Any,
            "scope": scopes.joined(separator: " "), "token_type": "Bearer",
        ]
    }

    /// `POST /revoke?token=…` (or the token in the form): a refresh token takes its access tokens with it.
    mutating func revoke(_ request: FakeRequest) -> FakeResponse {
        guard let token = request.parameter("token") ?? request.form.first(where: { $0.0 == "token" })?.1 else {
            return .oauthError(400, "invalid_request", "Missing required parameter: token")
        }
        if var grant = refreshTokens[token], !grant.revoked {
            grant.revoked = true
            refreshTokens[token] = grant
            for (key, access) in accessTokens where access.refreshToken == token { accessTokens[key] = nil }
            return .json(200, [String: Any]())
        }
        if let access = accessTokens.removeValue(forKey: token) {
            // Google: revoking an access token revokes the grant it came from.
            if let refresh = access.refreshToken { refreshTokens[refresh]?.revoked = true }
            for (key, other) in accessTokens where other.refreshToken != nil && other.refreshToken == access.refreshToken { accessTokens[key] = nil }
            return .json(200, [String: Any]())
        }
        return .oauthError(400, "invalid_token", "Token expired or revoked")
    }

    static func isLoopback(_ uri: String) -> Bool {
        uri.hasPrefix("http://127.0.0.1:") || uri.hasPrefix("http://localhost:") || uri.hasPrefix("http://[::1]:")
    }

    static func isBase64URL(_ byte: UInt8) -> Bool {
        (65...90).contains(byte) || (97...122).contains(byte) || (48...57).contains(byte) || byte == 45 || byte == 95
    }

    /// RFC 7636: 43–128 characters of `A-Z a-z 0-9 - . _ ~`.
    static func isVerifier(_ text: String) -> Bool {
        (43...128).contains(text.utf8.count) && text.utf8.allSatisfy { isBase64URL($0) || $0 == 46 || $0 == 126 }
    }

    static func challenge(for verifier: String) -> String {
        PKCE.challenge(for: verifier)
    }
}

/// The claims of a service account's JWT-bearer assertion.
struct AssertionClaims: JWTPayload {
    var iss: String
    var sub: String?
    var scope: String?
    var aud: String
    var iat: Int
    var exp: Int

    func verify(using algorithm: some JWTAlgorithm) async throws {}  // claims are checked against the fake's clock
}

extension FakeGmail {
    /// The JWT-bearer grant: the signature is checked with the service account's public key, the claims against
    /// the fake's clock and token URL, the subject against the domain-wide delegation an admin configured.
    func jwtBearer(_ request: FakeRequest, tokenURL: String) async -> FakeResponse {
        let form = Dictionary(request.form, uniquingKeysWith: { first, _ in first })
        guard request.headers["content-type"]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
            return .oauthError(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
        }
        guard let assertion = form["assertion"] else { return .oauthError(400, "invalid_request", "Missing required parameter: assertion") }
        storage.withLock { $0.secretsSeen.append(assertion) }
        let keys = JWTKeyCollection()
        let claims: AssertionClaims
        do {
            claims = try await keys.unverified(assertion, as: AssertionClaims.self)
        } catch {
            return .oauthError(400, "invalid_grant", "Invalid JWT: could not decode the assertion")
        }
        let header = assertion.split(separator: ".").first.flatMap { Base64.decode(Array($0.utf8)) }.flatMap { JSONBody.decodeObject($0) }
        guard header?["alg"] as? String == "RS256" else { return .oauthError(400, "invalid_grant", "Invalid JWT: alg must be RS256") }
        guard let account = storage.withLock({ $0.serviceAccounts[claims.iss] }) else {
            return .oauthError(401, "invalid_client", "The OAuth client was not found.")
        }
        do {
            await keys.add(rsa: try Insecure.RSA.PublicKey(pem: account.publicKeyPEM), digestAlgorithm: .sha256)
            _ = try await keys.verify(assertion, as: AssertionClaims.self)
        } catch {
            return .oauthError(400, "invalid_grant", "Invalid JWT Signature.")
        }
        let now = clock.now.timeIntervalSince1970
        guard claims.aud == tokenURL else {
            return .oauthError(400, "invalid_grant", "Invalid JWT: Failed audience check. The right audience is \(tokenURL)")
        }
        guard claims.exp > claims.iat, claims.exp - claims.iat <= 3_600, Double(claims.iat) <= now + 300, Double(claims.exp) > now else {
            return .oauthError(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
        }
        guard let scopeText = claims.scope, !scopeText.isEmpty else {
            return .oauthError(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        }
        let scopes = scopeText.split(separator: " ").map(String.init)
        defer { save() }
        return storage.withLock { storage -> FakeResponse in
            guard let subject = claims.sub?.lowercased() else {
                return .oauthError(400, "invalid_grant", "Gmail needs a user: set sub to the mailbox the service account acts as.")
            }
            guard storage.mailboxes[subject] != nil else { return .oauthError(400, "invalid_grant", "Invalid email or User ID") }
            guard let allowed = account.delegations[subject] ?? account.delegations["*"], scopes.allSatisfy(allowed.contains) else {
                return .oauthError(401, "unauthorized_client", "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.")
            }
            return .json(200, storage.issueAccessToken(user: subject, scopes: scopes, refreshToken: nil, now: clock.now))
        }
    }
}
