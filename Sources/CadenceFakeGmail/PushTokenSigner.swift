import Foundation
import JWTKit
import _CryptoExtras

/// Signs OIDC tokens the way Pub/Sub does for an authenticated push subscription, with a test RSA key, and
/// publishes the public half as a JSON Web Key Set (the fake serves it at `/oauth2/v3/certs`). Tests make a
/// second signer to forge tokens with a key Google never published.
public struct PushTokenSigner: Sendable {
    let key: JWTKit.Insecure.RSA.PrivateKey
    public let keyID: String

    public init(keyID: String = "fake-google-key-1") throws {
        key = try JWTKit.Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
        self.keyID = keyID
    }

    /// What a token says. Defaults are what Google puts in a genuine push token.
    public struct Claims: JWTPayload, Equatable {
        public var iss = "https://accounts.google.com"
        public var aud: String
        public var azp = "111922691487262113851"
        public var email: String
        public var emailVerified = true
        public var iat: Int
        public var exp: Int
        public var sub = "111922691487262113851"

        enum CodingKeys: String, CodingKey {
            case iss, aud, azp, email, iat, exp, sub
            case emailVerified = "email_verified"
        }

        public init(audience: String, email: String, issuedAt: Date, lifetime: TimeInterval = 3_600) {
            aud = audience
            self.email = email
            iat = Int(issuedAt.timeIntervalSince1970)
            exp = Int(issuedAt.timeIntervalSince1970 + lifetime)
        }

        public func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    public func token(_ claims: Claims) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(rsa: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: keyID))
        return try await keys.sign(claims, kid: JWKIdentifier(string: keyID))
    }

    /// `{"keys": [{kty, alg, use, kid, n, e}]}`.
    public func jwks() throws -> [UInt8] {
        let (modulus, exponent) = try key.publicKey.getKeyPrimitives()
        func b64url(_ data: Data) -> String {
            data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let key: [String: String] = ["kty": "RSA", "alg": "RS256", "use": "sig", "kid": keyID, "n": b64url(modulus), "e": b64url(exponent)]
        return Array(try JSONSerialization.data(withJSONObject: ["keys": [key]], options: [.sortedKeys]))
    }
}
