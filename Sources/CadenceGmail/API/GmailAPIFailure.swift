import Foundation

/// An error answer from the Gmail API, as its JSON says it.
public struct GmailAPIFailure: Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var reason: String
    public var message: String
    /// The `Retry-After` header, raw.
    public var retryAfter: String?

    init(_ response: GoogleHTTP.Response) {
        status = response.status
        let error = response.decoded(GmailResponses.ErrorBody.self)?.error
        message = error?.message ?? "HTTP \(response.status)"
        reason = error?.errors?.first?.reason ?? error?.status ?? "unknown"
        retryAfter = response.header("Retry-After")
    }

    public var description: String { "\(status) \(reason): \(message)" }
}
