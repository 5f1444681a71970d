/// The `tracking` section of cadence.json: where `cadence serve` is reachable for pixels, clicks and unsubscribes,
/// the keys that sign their links, and what campaigns track by default. Without the section nothing is rewritten.
public struct TrackingSettings: Sendable, Hashable {
    /// The public address that reaches `cadence serve`, without a trailing `/`: https, or plain http on a
    /// loopback host for trying it out (then without one-click unsubscribe, which RFC 8058 requires https for).
    public var baseURL: String
    /// The key that signs new links.
    public var key: SecretReference
    /// Keys that still verify links signed before a rotation; never used to sign.
    public var previousKeys: [SecretReference] = []
    /// Where the tracking routes live on the server: `<path>/o/…`, `<path>/c/…`, `<path>/u/…`.
    public var path = "/t"
    /// A tracking address per mailbox name, for agencies sending for several clients.
    public var mailboxBaseURLs: [String: String] = [:]
    /// What campaigns track unless they say otherwise.
    public var defaults = TrackingOptions()

    public init(baseURL: String, key: SecretReference) {
        self.baseURL = baseURL
        self.key = key
    }

    public func baseURL(forMailbox name: String) -> String { mailboxBaseURLs[name] ?? baseURL }

    /// What `campaign`'s mail from `mailbox` carries, signed with the current key.
    public func plan(campaign: SequenceDefinition, mailbox: String, keys: TrackingKeys) -> TrackingPlan {
        TrackingPlan(baseURL: baseURL(forMailbox: mailbox), path: path, key: keys.current, options: campaign.tracking.resolved(over: defaults))
    }

    /// Why these routes cannot be served beside the push endpoint and the health check, if they cannot.
    public func pathCollisions(pushPath: String) -> [String] {
        var problems: [String] = []
        for (other, what) in [(pushPath, "the push path (\"push\".\"path\")"), ("/healthz", "the health check /healthz")] {
            if other == path || other.hasPrefix(path + "/") || path.hasPrefix(other + "/") {
                problems.append("\"tracking\".\"path\" \"\(path)\" collides with \(what) \"\(other)\"; choose another, such as \"/t\"")
            }
        }
        return problems
    }

    /// Whether `url` may carry one-click unsubscribe: only over https.
    public static func allowsOneClick(_ url: String) -> Bool { url.hasPrefix("https://") }
}
