/// Who most likely caused an open or a click. Only `likelyHuman` and `gmailProxy` count as a person having
/// looked; the rest are counted apart, so "opened" means what a recruiter thinks it means (docs/tracking.md).
public enum TrackingEventClass: String, Sendable, Codable, CaseIterable {
    /// A browser or mail client, with nothing that says otherwise.
    case likelyHuman = "human"
    /// Gmail's image proxy fetching the pixel: how most Gmail opens arrive. It fetches on the first view and
    /// serves later views from its cache, so it counts as one open.
    case gmailProxy = "gmail-proxy"
    /// A machine that fetches on receipt whether anyone reads the message (Apple Mail Privacy Protection).
    case machine
    /// A security scanner or a prefetch: a HEAD request, a fetch within seconds of delivery, a known scanner.
    case scanner

    /// Whether it counts as a person having opened or clicked.
    public var isLikelyHuman: Bool { self == .likelyHuman || self == .gmailProxy }
}
