import Foundation

/// One request to a tracking link, as far as the classifier needs it. The client's address is used here, in
/// memory, and never stored.
public struct TrackingRequest: Sendable {
    /// What was fetched: the rules differ, since a proxy that prefetches images does not click links.
    public enum Target: Sendable {
        case pixel, click
    }

    public var target: Target
    public var method: String
    public var userAgent: String
    /// The client's address: the connection's, or `X-Forwarded-For`'s behind a trusted proxy (`ClientAddress`).
    public var clientAddress: IPAddress?
    public var at: Date
    /// When the send was accepted by the provider, when known.
    public var sentAt: Date?

    public init(target: Target, method: String, userAgent: String, clientAddress: IPAddress?, at: Date, sentAt: Date?) {
        self.target = target
        self.method = method
        self.userAgent = userAgent
        self.clientAddress = clientAddress
        self.at = at
        self.sentAt = sentAt
    }
}
