/// How Cadence watches its Gmail mailboxes for what comes back: the `"replies"` section of `cadence.json`.
public struct ReplySettings: Sendable, Hashable {
    /// Before a send, the mailbox must have been read for replies within this many seconds (it is read first if
    /// not): a reply that landed a minute ago must stop the follow-up that is about to go.
    public var maxSyncAgeSeconds = 60
    /// How long an out-of-office with no usable return date pauses the person.
    public var outOfOfficeDefaultDays = 7
    /// A campaign whose permanent bounces pass this percentage of its sends (once it has `bounceMinimumSends`) is
    /// paused: a bad list hurts the mailbox's reputation for every campaign.
    public var bouncePercent = 5.0
    public var bounceMinimumSends = 20
    /// When Gmail no longer has a mailbox's history position (404), the inbox of this many recent days stands in.
    public var resyncDays = 7

    public init() {}
}

/// Cadence's own HTTP server (`cadence serve`): Pub/Sub push, and tracking and unsubscribe links.
public struct ServerSettings: Sendable, Hashable {
    /// Loopback by default: put a TLS-terminating proxy in front to take traffic from the internet.
    public var host = "127.0.0.1"
    public var port = 8080
    /// Proxies whose `X-Forwarded-For` names the client (a TLS proxy on the same host is `127.0.0.1`). The
    /// client's address only classes opens (Apple's relay) and is never stored; from anyone else the header is
    /// ignored, since anyone can write it.
    public var trustedProxies: [IPNetwork] = []

    public var trustedProxySet: IPRangeSet { IPRangeSet(networks: trustedProxies) }

    public init() {}
}

/// Gmail push notifications through Cloud Pub/Sub: the `"push"` section of `cadence.json`.
public struct PushSettings: Sendable, Hashable {
    /// `projects/<project>/topics/<topic>`, which `cadence watch` registers each Gmail mailbox with.
    public var topic: String?
    /// The path of the push endpoint on Cadence's server.
    public var path = "/hooks/gmail"
    /// A secret the push subscription's URL carries as `?token=…`.
    public var token: SecretReference?
    /// The OIDC token Pub/Sub attaches, checked against Google's keys.
    public var oidc: OIDCSettings?

    public init() {}

    /// Whether the push endpoint can authenticate anything; without either check it is not served at all.
    public var isAuthenticated: Bool { token != nil || oidc != nil }
}

/// What the OIDC token on a push request must say, and where Google's signing keys are.
public struct OIDCSettings: Sendable, Hashable {
    /// The subscription's `pushConfig.oidcToken.audience` (by default, the push URL itself).
    public var audience: String
    /// The service account the subscription signs as (`pushConfig.oidcToken.serviceAccountEmail`).
    public var serviceAccountEmail: String
    /// Google's JSON Web Key Set; cached, and fetched again when a token names a key it does not hold.
    public var certsURL = "https://www.googleapis.com/oauth2/v3/certs"
    /// Issuers Google uses for these tokens.
    public var issuers = ["https://accounts.google.com", "accounts.google.com"]

    public init(audience: String, serviceAccountEmail: String) {
        self.audience = audience
        self.serviceAccountEmail = serviceAccountEmail
    }
}
