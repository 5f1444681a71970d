/// Everything composing needs to track one campaign's mail from one mailbox: where links point, the key that signs
/// them and what to track. Built by the engine from cadence.json, the campaign and the key file.
public struct TrackingPlan: Sendable {
    public var baseURL: String
    public var path: String
    public var key: TrackingKey
    public var options: TrackingOptions

    public init(baseURL: String, path: String, key: TrackingKey, options: TrackingOptions) {
        self.baseURL = baseURL
        self.path = path
        self.key = key
        self.options = options
    }

    func url(_ token: TrackingToken) -> String {
        let signed = token.signed(with: key)
        switch token.kind {
        case .open: return "\(baseURL)\(path)/o/\(signed).gif"
        case .click: return "\(baseURL)\(path)/c/\(signed)"
        case .unsubscribe: return "\(baseURL)\(path)/u/\(signed)"
        }
    }

    /// The unsubscribe link of the send `trackingID`.
    public func unsubscribeURL(trackingID: String) -> String { url(TrackingToken(kind: .unsubscribe, sendTrackingID: trackingID)) }

    /// Whether `url` is one of this plan's own links (never rewritten again).
    func isOwn(_ url: String) -> Bool { url.hasPrefix("\(baseURL)\(path)/") }
}
