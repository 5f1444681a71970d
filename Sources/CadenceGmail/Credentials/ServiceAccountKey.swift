import CadenceCore
import Foundation
import JWTKit

/// A service account's JSON key as the Cloud console downloads it. The private key signs the JWT-bearer assertion
/// (RS256) that Google exchanges for an access token acting as a Workspace user (domain-wide delegation).
public struct ServiceAccountKey: Sendable {
    public var clientEmail: String
    /// The numeric client ID a Workspace admin enters under domain-wide delegation.
    public var clientID: String?
    public var keyID: String?
    let privateKeyPEM: Secret

    public init(json bytes: [UInt8], what: String) throws(SecretError) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            throw SecretError("\(what) is not JSON; download the service account's key again (IAM › Service accounts › Keys › Add key › JSON)")
        }
        guard object["type"] as? String == "service_account" else {
            throw SecretError("\(what) is not a service account key (its \"type\" is \(object["type"].map { "\"\($0)\"" } ?? "missing")); an OAuth client's JSON goes in \"clientSecret\"")
        }
        guard let email = object["client_email"] as? String, let pem = object["private_key"] as? String, pem.contains("PRIVATE KEY") else {
            throw SecretError("\(what) lacks \"client_email\" or \"private_key\"; download the key again")
        }
        clientEmail = email
        clientID = object["client_id"] as? String
        keyID = object["private_key_id"] as? String
        privateKeyPEM = Secret(pem)
    }

    struct Claims: JWTPayload {
        var iss: String
        var sub: String
        var scope: String
        var aud: String
        var iat: Int
        var exp: Int
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// The signed assertion: valid for an hour from `now`, for `scopes`, acting as `subject`.
    public func assertion(subject: String, scopes: [String], audience: String, now: Date) async throws(SecretError) -> Secret {
        let keys = JWTKeyCollection()
        let issued = Int(now.timeIntervalSince1970)
        do {
            let key = try Insecure.RSA.PrivateKey(pem: privateKeyPEM.revealed)
            await keys.add(rsa: key, digestAlgorithm: .sha256, kid: keyID.map { JWKIdentifier(string: $0) })
            let claims = Claims(iss: clientEmail, sub: subject, scope: scopes.joined(separator: " "), aud: audience, iat: issued, exp: issued + 3_600)
            return Secret(try await keys.sign(claims, kid: keyID.map { JWKIdentifier(string: $0) }))
        } catch {
            throw SecretError("the private key of service account \(clientEmail) cannot sign (it is not an RSA key in PEM form); download the key again")
        }
    }
}
