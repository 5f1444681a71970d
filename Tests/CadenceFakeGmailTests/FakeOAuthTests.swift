import CadenceCore
import CadenceFakeGmail
import Crypto
import Foundation
import JWTKit
import NIOHTTP1
import Testing

@Suite("fake Gmail: Google's OAuth endpoints as documented")
struct FakeOAuthTests {
    static let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    static let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    static let redirect = "http://127.0.0.1:53682"

    static func consentURL(challenge: String? = challenge, client: String = Scene.clientID, redirect: String = redirect, scope: String = Scene.all.joined(separator: " ")) -> String {
        var pairs = [("client_id", client), ("response_type", "code"), ("redirect_uri", redirect), ("scope", scope), ("state", "k3J9xQ"), ("access_type", "offline"), ("prompt", "consent")]
        if let challenge { pairs += [("code_challenge", challenge), ("code_challenge_method", "S256")] }
        return "/o/oauth2/v2/auth?" + FormEncoding.encode(pairs)
    }

    /// The consent page's redirect, parsed.
    static func redirectQuery(_ answer: Wire.Answer) throws -> [String: String] {
        let location = try #require(answer.header("Location"))
        #expect(location.hasPrefix(redirect + "?"))
        return Dictionary(FormEncoding.decode(String(location.split(separator: "?", maxSplits: 1)[1])), uniquingKeysWith: { a, _ in a })
    }

    static func exchange(_ wire: Wire, code: String, verifier: String? = verifier, redirect: String = redirect, secret: String = Scene.clientSecret) async throws -> Wire.Answer {
        var pairs = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect), ("client_id", Scene.clientID), ("client_secret", secret)]
        if let verifier { pairs.append(("code_verifier", verifier)) }
        return try await wire.form("/token", pairs)
    }

    @Test("authorisation code with PKCE S256: consent redirects with state, code and granted scopes; the exchange gives a refresh token")
    func authorizationCode() async throws {
        try await Scene.withScene { server, wire, _, _ in
            let consent = try await wire.get(Self.consentURL())
            #expect(consent.status == 302)
            let query = try Self.redirectQuery(consent)
            #expect(query["state"] == "k3J9xQ")
            #expect(query["scope"] == Scene.all.joined(separator: " "))
            let code = try #require(query["code"])
            let token = try await Self.exchange(wire, code: code)
            #expect(token.status == 200)
            let json = try #require(token.json)
            #expect(json["token_type"] as? String == "Bearer")
            #expect(json["expires_in"] as? Int == 3599)
            #expect((json["refresh_token"] as? String)?.hasPrefix("1//") == true)
            #expect((json["access_token"] as? String)?.hasPrefix("ya29.") == true)
            #expect(json["scope"] as? String == Scene.all.joined(separator: " "))
            // The RFC 7636 test vector: what the fake checks is what the RFC computes.
            #expect(InstalledVector.challenge(Self.verifier) == Self.challenge)
            // A code is good once.
            let again = try await Self.exchange(wire, code: code)
            #expect(again.status == 400)
            #expect(again.oauthError == "invalid_grant")
        }
    }

    @Test("every broken exchange is refused with Google's error code")
    func exchangeErrors() async throws {
        try await Scene.withScene { server, wire, clock, _ in
            func freshCode() async throws -> String {
                try #require(try Self.redirectQuery(try await wire.get(Self.consentURL()))["code"])
            }
            let wrongVerifier = try await Self.exchange(wire, code: try await freshCode(), verifier: String(repeating: "a", count: 43))
            #expect(wrongVerifier.status == 400)
            #expect(wrongVerifier.json?["error_description"] as? String == "Invalid code verifier.")
            let missingVerifier = try await Self.exchange(wire, code: try await freshCode(), verifier: nil)
            #expect(missingVerifier.json?["error_description"] as? String == "Missing code verifier.")
            let wrongRedirect = try await Self.exchange(wire, code: try await freshCode(), redirect: "http://127.0.0.1:1")
            #expect(wrongRedirect.oauthError == "invalid_grant")
            let wrongSecret = try await Self.exchange(wire, code: try await freshCode(), secret: "nope")
            #expect(wrongSecret.status == 401)
            #expect(wrongSecret.oauthError == "invalid_client")
            // Without access_type=offline Google gives no refresh token.
            let online = try #require(try Self.redirectQuery(try await wire.get(Self.consentURL().replacingOccurrences(of: "&access_type=offline", with: "")))["code"])
            let onlineGrant = try await Self.exchange(wire, code: online)
            #expect(onlineGrant.status == 200)
            #expect(onlineGrant.json?["refresh_token"] == nil)
            // The token endpoint's own failures have its shape, not the API's.
            server.gmail.addFault(FaultRule(method: "token", call: server.gmail.calls(of: "token") + 1, fault: .status(500)))
            let failed = try await Self.exchange(wire, code: try await freshCode())
            #expect(failed.status == 500)
            #expect(failed.oauthError == "internal_failure")
            let stale = try await freshCode()
            clock.advance(by: 601)
            #expect(try await Self.exchange(wire, code: stale).oauthError == "invalid_grant")
            let unknownGrant = try await wire.form("/token", [("grant_type", "password")])
            #expect(unknownGrant.oauthError == "unsupported_grant_type")
            let notForm = try await wire.request(.POST, "/token", contentType: "application/json", body: Array("{}".utf8))
            #expect(notForm.oauthError == "invalid_request")
        }
    }

    @Test("the consent page refuses requests without PKCE, unknown clients and non-loopback redirects; denial and unticked scopes come back as Google sends them")
    func consentPage() async throws {
        try await Scene.withScene { server, wire, _, _ in
            #expect(try await wire.get(Self.consentURL(challenge: nil)).status == 400)
            #expect(try await wire.get(Self.consentURL(client: "unknown")).status == 401)
            #expect(try await wire.get(Self.consentURL(redirect: "https://evil.example/cb")).status == 400)
            server.gmail.setConsent(Consent(deny: true))
            let denied = try Self.redirectQuery(try await wire.get(Self.consentURL()))
            #expect(denied == ["state": "k3J9xQ", "error": "access_denied"])
            server.gmail.setConsent(Consent(scopes: [GmailScope.send]))
            let partial = try Self.redirectQuery(try await wire.get(Self.consentURL()))
            #expect(partial["scope"] == GmailScope.send)
        }
    }

    @Test("refresh: a new access token without a refresh token; revoked grants, wrong clients and wider scopes are refused")
    func refresh() async throws {
        try await Scene.withScene(
            options: {
                var o = FakeGmailOptions(); o.expiresInAsString = true; return o
            }()
        ) { server, wire, _, _ in
            let refresh = server.gmail.issueRefreshToken(clientID: Scene.clientID, user: Scene.sam, scopes: [GmailScope.send])
            let base = [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", Scene.clientID), ("client_secret", Scene.clientSecret)]
            let ok = try await wire.form("/token", base)
            #expect(ok.status == 200)
            #expect(ok.json?["refresh_token"] == nil)
            #expect(ok.json?["expires_in"] as? String == "3599")  // Google sometimes sends a string
            #expect(try await wire.form("/token", base + [("scope", GmailScope.readonly)]).oauthError == "invalid_scope")
            server.gmail.addClient(id: "other", secret: "s")
            #expect(try await wire.form("/token", [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", "other"), ("client_secret", "s")]).oauthError == "unauthorized_client")
            server.gmail.revokeGrants(of: Scene.sam)
            let dead = try await wire.form("/token", base)
            #expect(dead.status == 400)
            #expect(dead.oauthError == "invalid_grant")
            #expect(dead.json?["error_description"] as? String == "Token has been expired or revoked.")
        }
    }

    @Test("revoke: a refresh token takes its access tokens with it; an unknown token is invalid_token")
    func revoke() async throws {
        try await Scene.withScene { server, wire, _, _ in
            let refresh = server.gmail.issueRefreshToken(clientID: Scene.clientID, user: Scene.sam, scopes: Scene.all)
            let access = try #require(
                try await wire.form("/token", [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", Scene.clientID), ("client_secret", Scene.clientSecret)]).json?["access_token"]
                    as? String)
            #expect(try await wire.get("/gmail/v1/users/me/profile", token: access).status == 200)
            #expect(try await wire.request(.POST, "/revoke?token=" + FormEncoding.escape(refresh)).status == 200)
            #expect(try await wire.get("/gmail/v1/users/me/profile", token: access).status == 401)
            let unknown = try await wire.request(.POST, "/revoke?token=nope")
            #expect(unknown.status == 400)
            #expect(unknown.oauthError == "invalid_token")
        }
    }

    @Test("JWT bearer: the signature, audience, lifetime, subject and delegated scopes are all checked")
    func jwtBearer() async throws {
        try await Scene.withScene { server, wire, clock, _ in
            let email = "seq-bot@fake-project.iam.gserviceaccount.com"
            let keyFile = try server.gmail.createServiceAccount(email: email, delegations: [Scene.sam: Scene.all])
            let key = try #require((try JSONSerialization.jsonObject(with: Data(keyFile)) as? [String: Any])?["private_key"] as? String)
            let now = Int(clock.now.timeIntervalSince1970)
            let audience = server.baseURL + "/token"
            func assertion(iss: String = email, sub: String? = Scene.sam, scope: String = Scene.all.joined(separator: " "), aud: String? = nil, iat: Int = now, exp: Int? = nil, pem: String = key)
                async throws -> Wire.Answer
            {
                let keys = JWTKeyCollection()
                await keys.add(rsa: try Insecure.RSA.PrivateKey(pem: pem), digestAlgorithm: .sha256)
                let jwt = try await keys.sign(Claims(iss: iss, sub: sub, scope: scope, aud: aud ?? audience, iat: iat, exp: exp ?? iat + 3600))
                return try await wire.form("/token", [("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", jwt)])
            }
            let ok = try await assertion()
            #expect(ok.status == 200)
            #expect(ok.json?["refresh_token"] == nil)
            let otherKey = try server.gmail.createServiceAccount(email: "other@x.iam.gserviceaccount.com", delegations: [:])
            let otherPEM = try #require((try JSONSerialization.jsonObject(with: Data(otherKey)) as? [String: Any])?["private_key"] as? String)
            #expect(try await assertion(pem: otherPEM).json?["error_description"] as? String == "Invalid JWT Signature.")
            #expect(try await assertion(aud: "https://oauth2.googleapis.com/token").oauthError == "invalid_grant")
            #expect(try await assertion(exp: now + 7200).oauthError == "invalid_grant")
            #expect(try await assertion(iat: now - 7200).oauthError == "invalid_grant")  // expired an hour ago
            #expect(try await assertion(sub: "ghost@northwind.example.com").oauthError == "invalid_grant")
            #expect(try await assertion(scope: GmailScope.modify).oauthError == "unauthorized_client")
            #expect(try await assertion(iss: "nobody@x.iam.gserviceaccount.com").oauthError == "invalid_client")
            let undelegated = try await assertion(iss: "other@x.iam.gserviceaccount.com", pem: otherPEM)
            #expect(undelegated.status == 401)
            #expect(undelegated.oauthError == "unauthorized_client")
            #expect(try await assertion(scope: "").oauthError == "invalid_scope")
        }
    }

    struct Claims: JWTPayload {
        var iss: String
        var sub: String?
        var scope: String
        var aud: String
        var iat: Int
        var exp: Int
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }
}

enum InstalledVector {
    static func challenge(_ verifier: String) -> String {
        // Recomputed here from SHA-256 by hand so the test does not trust the fake's own helper.
        Base64.urlEncoded(Array(SHA256.hash(data: Array(verifier.utf8))))
    }
}
