import Foundation

/// One request to a tracking link, as far as the classifier needs it. The client's IP is used here, in memory,
/// and never stored.
public struct TrackingRequest: Sendable {
    public var method: String
    public var userAgent: String
    public var clientIP: String?
    public var at: Date
    /// When the send was accepted by the provider, when known.
    public var sentAt: Date?

    public init(method: String, userAgent: String, clientIP: String?, at: Date, sentAt: Date?) {
        self.method = method
        self.userAgent = userAgent
        self.clientIP = clientIP
        self.at = at
        self.sentAt = sentAt
    }
}
