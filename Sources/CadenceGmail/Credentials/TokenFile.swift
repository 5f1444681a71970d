import CadenceCore
import Foundation

/// What `cadence auth login` leaves for a mailbox (mode 0600): the refresh token, the address and scopes Google
/// confirmed, the current access token so separate commands share it, and whether Google has since refused the
/// grant, so no process retries a dead token.
public struct TokenFile: Sendable, Equatable {
    public var address: String
    public var scopes: [String]
    public var refreshToken: Secret
    public var accessToken: Secret?
    public var accessTokenExpires: Date?
    public var authorizedAt: Date
    /// Set when the token endpoint answered `invalid_grant`: the mailbox needs `cadence auth login` again.
    public var revoked: Revocation?

    public struct Revocation: Sendable, Equatable {
        public var at: Date
        public var reason: String
    }

    public init(address: String, scopes: [String], refreshToken: Secret, authorizedAt: Date) {
        self.address = address
        self.scopes = scopes
        self.refreshToken = refreshToken
        self.authorizedAt = authorizedAt
    }

    public static func read(_ path: String, from store: SecretStore) throws(SecretError) -> TokenFile {
        let bytes = try store.privateFile(path, what: "the token file")
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any],
            let address = object["address"] as? String, let refresh = object["refreshToken"] as? String,
            let authorized = (object["authorizedAt"] as? String).flatMap(Timestamps.parse)
        else {
            throw SecretError("the token file \(path) is damaged; run `cadence auth login` for this mailbox again")
        }
        var file = TokenFile(address: address, scopes: object["scopes"] as? [String] ?? [], refreshToken: Secret(refresh), authorizedAt: authorized)
        if let access = object["accessToken"] as? String, let expires = (object["accessTokenExpires"] as? String).flatMap(Timestamps.parse) {
            file.accessToken = Secret(access)
            file.accessTokenExpires = expires
        }
        if let revoked = object["revoked"] as? [String: String], let at = revoked["at"].flatMap(Timestamps.parse) {
            file.revoked = Revocation(at: at, reason: revoked["reason"] ?? "")
        }
        return file
    }

    public func write(_ path: String, to store: SecretStore) throws(SecretError) {
        var object: [String: Any] = [
            "address": address, "scopes": scopes, "refreshToken": refreshToken.revealed, "authorizedAt": Timestamps.iso(authorizedAt),
        ]
        if let accessToken, let accessTokenExpires {
            object["accessToken"] = accessToken.revealed
            object["accessTokenExpires"] = Timestamps.iso(accessTokenExpires)
        }
        if let revoked { object["revoked"] = ["at": Timestamps.iso(revoked.at), "reason": revoked.reason] }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        try store.writePrivateFile(path, Array(data) + [10])
    }
}
