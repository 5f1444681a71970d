import CadenceCore
import Crypto
import Foundation
import JWTKit

/// Decides whether a push request really comes from Cadence's Pub/Sub subscription: the OIDC token Pub/Sub
/// attaches (signature against Google's keys, issuer, audience, service account, verified email, expiry by the
/// injected clock), and/or the secret token in the push URL. When both are configured, both must pass.
public struct PushAuthenticator: Sendable {
    let token: [UInt8]?
    let oidc: OIDCSettings?
    let keySet: GoogleKeySet?
    let clock: any WallClock
    /// Clock skew allowed on `exp` and `iat`.
    static let leeway: TimeInterval = 60

    /// `token` is the URL secret's value (never logged); `keySet` is required with `oidc`.
    public init(token: [UInt8]?, oidc: OIDCSettings?, keySet: GoogleKeySet?, clock: any WallClock) {
        self.token = token
        self.oidc = oidc
        self.keySet = keySet
        self.clock = clock
    }

    public func authenticate(queryToken: String?, authorization: String?) async -> Result<Void, PushRejection> {
        guard token != nil || oidc != nil else { return .failure(.unauthenticated("the push endpoint has no authentication configured")) }
        if let token {
            guard let given = queryToken else { return .failure(.unauthenticated("the push URL carries no token")) }
            // Compared as SHA-256 digests, whose equality is constant-time: the time taken says nothing about
            // how much of the token was right.
            guard SHA256.hash(data: Array(given.utf8)) == SHA256.hash(data: token) else {
                return .failure(.unauthenticated("the push URL's token is wrong"))
            }
        }
        if let oidc {
            guard let authorization, authorization.lowercased().hasPrefix("bearer ") else {
                return .failure(.unauthenticated("no OIDC bearer token"))
            }
            return await verify(String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces), oidc)
        }
        return .success(())
    }

    struct Claims: JWTPayload {
        var iss: String?
        var aud: AudienceClaim?
        var email: String?
        var emailVerified: Bool?
        var exp: Double?
        var iat: Double?

        enum CodingKeys: String, CodingKey {
            case iss, aud, email, exp, iat
            case emailVerified = "email_verified"
        }

        func verify(using algorithm: some JWTAlgorithm) async throws {}  // checked below, against the injected clock
    }

    private func verify(_ jwt: String, _ oidc: OIDCSettings) async -> Result<Void, PushRejection> {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Base64.decode(Array(parts[0].utf8)).map({ Data($0) }),
            let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any]
        else { return .failure(.unauthenticated("the bearer token is not a JWT")) }
        guard header["alg"] as? String == "RS256" else { return .failure(.unauthenticated("the token is not signed with RS256")) }
        guard let keySet else { return .failure(.unauthenticated("no key set")) }
        let keys: JWTKeyCollection
        switch await keySet.keys(for: header["kid"] as? String) {
        case .success(let found): keys = found
        case .failure(let rejection): return .failure(rejection)
        }
        let claims: Claims
        do {
            claims = try await keys.verify(jwt, as: Claims.self)
        } catch {
            return .failure(.unauthenticated("the token's signature does not verify against Google's keys"))
        }
        let now = clock.now.timeIntervalSince1970
        guard let issuer = claims.iss, oidc.issuers.contains(issuer) else { return .failure(.unauthenticated("the token's issuer is not Google")) }
        guard claims.aud?.value.contains(oidc.audience) == true else { return .failure(.unauthenticated("the token's audience is not this endpoint's")) }
        guard claims.email?.lowercased() == oidc.serviceAccountEmail.lowercased() else {
            return .failure(.unauthenticated("the token was issued to another service account"))
        }
        guard claims.emailVerified == true else { return .failure(.unauthenticated("the token's email is not verified")) }
        guard let exp = claims.exp, exp + Self.leeway > now else { return .failure(.unauthenticated("the token has expired")) }
        if let iat = claims.iat, iat - Self.leeway > now { return .failure(.unauthenticated("the token is issued in the future")) }
        return .success(())
    }
}
