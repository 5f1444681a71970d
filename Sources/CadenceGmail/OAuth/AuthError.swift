/// Why Cadence cannot get an access token for a mailbox, each with what a person does about it. None of them
/// carries a secret.
public enum AuthError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No consent yet (no token file).
    case notAuthorized(mailbox: String)
    /// Google refused the grant (`invalid_grant`): revoked, expired, password changed, or a bad assertion.
    case needsReauthorization(mailbox: String, reason: String, fix: String)
    /// Google does not know the client id or secret (`invalid_client`).
    case invalidClient(mailbox: String, reason: String)
    /// A service account without domain-wide delegation for these scopes (`unauthorized_client`).
    case unauthorizedClient(mailbox: String, reason: String)
    /// A scope Google will not grant (`invalid_scope`).
    case invalidScope(mailbox: String, reason: String)
    /// A secret could not be read (missing, readable by others, damaged).
    case secret(String)
    /// The token endpoint kept failing (5xx, 429, no answer) after the retries.
    case unavailable(mailbox: String, reason: String)
    /// Any other error from the token endpoint.
    case rejected(mailbox: String, code: String, reason: String)

    public var description: String {
        switch self {
        case .notAuthorized(let mailbox):
            "mailbox \(mailbox) is not authorised yet; run `cadence auth login \(mailbox)`"
        case .needsReauthorization(let mailbox, let reason, let fix):
            "mailbox \(mailbox) needs re-authorisation (Google said: \(reason)); \(fix)"
        case .invalidClient(let mailbox, let reason):
            "Google does not accept the OAuth client of mailbox \(mailbox) (invalid_client: \(reason)); check \"clientId\" and the client secret in cadence.json against the Cloud console's Credentials page"
        case .unauthorizedClient(let mailbox, let reason):
            "the service account of mailbox \(mailbox) may not act for it (unauthorized_client: \(reason)); a Workspace super admin must add its client ID with the Gmail scopes under Admin console › Security › Access and data control › API controls › Domain-wide delegation"
        case .invalidScope(let mailbox, let reason):
            "Google refused the scopes for mailbox \(mailbox) (invalid_scope: \(reason)); Cadence needs gmail.send and gmail.readonly"
        case .secret(let message):
            message
        case .unavailable(let mailbox, let reason):
            "Google's token endpoint is not answering for mailbox \(mailbox) (\(reason)); Cadence will try again later"
        case .rejected(let mailbox, let code, let reason):
            "Google refused a token for mailbox \(mailbox) (\(code): \(reason))"
        }
    }

    /// Whether the mailbox must wait for a person (as opposed to a later retry).
    public var needsPerson: Bool {
        switch self {
        case .unavailable: false
        default: true
        }
    }
}
