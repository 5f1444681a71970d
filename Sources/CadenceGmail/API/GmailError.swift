import Foundation

public enum GmailError: Error, Sendable, Equatable, CustomStringConvertible {
    case auth(AuthError)
    case api(GmailAPIFailure)
    case transport(TransportError)
    case malformed(String)

    public var description: String {
        switch self {
        case .auth(let error): error.description
        case .api(let failure):
            failure.reason == "insufficientPermissions"
                ? "Gmail refused: \(failure.message) The mailbox's grant lacks a scope Cadence needs; see `cadence config check --online`"
                : "Gmail answered \(failure)"
        case .transport(let error): "Gmail did not answer: \(error)"
        case .malformed(let text): "Gmail's answer was not understood: \(text)"
        }
    }
}
