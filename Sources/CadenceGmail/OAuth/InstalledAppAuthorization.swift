import CadenceCore
import Crypto
import Foundation

/// The installed-app ("Desktop app") flow with PKCE (RFC 7636, S256) and a `state` check (RFC 8252): the URL a
/// person opens, and the checks on what comes back to the loopback redirect.
public struct InstalledAppAuthorization: Sendable {
    public let clientID: String
    /// Known once the loopback listener has its port.
    public var redirectURI: String
    public let scopes: [String]
    public let state: String
    public let verifier: Secret
    public let challenge: String

    /// Fresh verifier and state from `random` (the system's generator in real use).
    public init(clientID: String, redirectURI: String, scopes: [String] = GmailScope.required, using random: inout some RandomNumberGenerator) {
        self.clientID = clientID
        self.redirectURI = redirectURI
        self.scopes = scopes
        func token(_ count: Int) -> String {
            Base64.urlEncoded((0..<count).map { _ in UInt8.random(in: 0...255, using: &random) })
        }
        let verifier = token(48)  // 64 characters
        self.verifier = Secret(verifier)
        self.challenge = Self.challenge(for: verifier)
        self.state = token(18)
    }

    /// `code_challenge` = unpadded base64url(SHA-256(verifier)).
    public static func challenge(for verifier: String) -> String {
        PKCE.challenge(for: verifier)
    }

    /// The consent page, asking for offline access so Google returns a refresh token.
    public func url(authorizationURL: String, loginHint: String?) -> String {
        var pairs = [
            ("client_id", clientID), ("response_type", "code"), ("redirect_uri", redirectURI), ("scope", scopes.joined(separator: " ")),
            ("state", state), ("code_challenge", challenge), ("code_challenge_method", "S256"), ("access_type", "offline"),
            ("prompt", "consent"),
        ]
        if let loginHint { pairs.append(("login_hint", loginHint)) }
        return authorizationURL + "?" + FormEncoding.encode(pairs)
    }

    /// What came back to the redirect: the code and the scopes the person left ticked, or why not.
    public func code(from query: [(String, String)]) -> Result<(code: Secret, scopes: [String]?), LoginError> {
        let fields = Dictionary(query, uniquingKeysWith: { first, _ in first })
        guard let returned = fields["state"], Self.constantTimeEqual(returned, state) else {
            return .failure(.stateMismatch)
        }
        if let error = fields["error"] {
            return .failure(error == "access_denied" ? .denied : .google(error))
        }
        guard let code = fields["code"], !code.isEmpty else { return .failure(.google("no code in the redirect")) }
        return .success((Secret(code), fields["scope"].map { $0.split(separator: " ").map(String.init) }))
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}

/// Why a login did not produce a token, with what to do next.
public enum LoginError: Error, Sendable, Equatable, CustomStringConvertible {
    case stateMismatch
    case denied
    case google(String)
    case timedOut(minutes: Int)
    case wrongAccount(expected: String, got: String)
    case missingScopes([String])

    public var description: String {
        switch self {
        case .stateMismatch:
            "the redirect's state did not match this login (an old browser tab, or someone else's link); nothing was saved; run the command again and use the new link"
        case .denied:
            "consent was refused in the browser; nothing was saved; run the command again and press Allow"
        case .google(let error):
            "Google reported \(error); nothing was saved"
        case .timedOut(let minutes):
            "no answer from the browser within \(minutes) minutes; nothing was saved; run the command again"
        case .wrongAccount(let expected, let got):
            "you signed in as \(got), but this mailbox is \(expected); nothing was saved (the new grant was revoked); run the command again and choose \(expected) in Google's account picker"
        case .missingScopes(let scopes):
            "the grant lacks \(scopes.map(GmailScope.shortName).joined(separator: " and ")) (a box was unticked on the consent screen); nothing was saved; run the command again and leave every box ticked"
        }
    }
}
