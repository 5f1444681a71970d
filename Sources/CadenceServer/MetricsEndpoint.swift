import Foundation

/// `cadence serve --metrics-port`: the Prometheus page, on a listener of its own, so that it can stay on an
/// internal address while the push and tracking endpoints face the internet (the page names mailboxes and runners).
public struct MetricsEndpoint: Sendable {
    public var host: String
    public var port: Int
    /// The page as Prometheus text, or why it cannot be read now (answered 503, so the scrape shows as failed).
    public var page: @Sendable () async -> Result<String, MetricsUnavailable>
    /// Told the bound address once the listener is up.
    public var listening: @Sendable (String) async -> Void

    public init(
        host: String, port: Int, page: @escaping @Sendable () async -> Result<String, MetricsUnavailable>,
        listening: @escaping @Sendable (String) async -> Void = { _ in }
    ) {
        self.host = host
        self.port = port
        self.page = page
        self.listening = listening
    }
}

/// Why the metrics page could not be read (the database, usually), as the scrape's answer says it.
public struct MetricsUnavailable: Error, Sendable {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }
}
