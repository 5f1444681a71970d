/// Where a secret lives. Secrets are never written in `cadence.json` or campaign files: the configuration only
/// says where to read them, so the file can be committed and shared.
public enum SecretReference: Sendable, Hashable, CustomStringConvertible {
    /// A file, relative to the project folder; refused when group or others can read it.
    case file(String)
    /// An environment variable's name.
    case environment(String)

    public var description: String {
        switch self {
        case .file(let path): "file \(path)"
        case .environment(let name): "environment variable \(name)"
        }
    }
}

/// How Cadence proves it may use a Gmail mailbox.
public enum GmailCredentials: Sendable, Hashable {
    /// A person consented with `cadence auth login`; the refresh token lives in `tokenFile` (mode 0600).
    case oauth(clientID: String, clientSecret: SecretReference, tokenFile: String)
    /// A Workspace service account with domain-wide delegation, acting as `actAs`; no token file, the key signs.
    case serviceAccount(key: SecretReference, actAs: EmailAddress)

    public var kind: String {
        switch self {
        case .oauth: "OAuth (installed app)"
        case .serviceAccount: "service account"
        }
    }
}

/// Google's endpoints and the HTTP timeouts. Google's real addresses by default; tests and the sandbox point the
/// same code at the fake Gmail, so production code never asks whether it is being tested.
public struct GoogleEndpoints: Sendable, Hashable {
    public var apiURL = "https://gmail.googleapis.com"
    public var tokenURL = "https://oauth2.googleapis.com/token"
    public var authorizationURL = "https://accounts.google.com/o/oauth2/v2/auth"
    public var revokeURL = "https://oauth2.googleapis.com/revoke"
    public var connectTimeoutSeconds = 10
    public var requestTimeoutSeconds = 60
    /// Gmail's per-user quota that Cadence paces itself to (`../shared/docs/gmail-api.md` §5: 6,000 units a
    /// minute and at most 250 a second for projects created from May 2026). Lower them if Google gave your
    /// project less; nil turns a limit off.
    public var unitsPerMinute: Int? = 6_000
    public var unitsPerSecond: Int? = 250

    public init() {}
}

/// The Gmail provider's settings for one mailbox.
public struct GmailSettings: Sendable, Hashable {
    public var credentials: GmailCredentials
    public var endpoints: GoogleEndpoints

    public init(credentials: GmailCredentials, endpoints: GoogleEndpoints = GoogleEndpoints()) {
        self.credentials = credentials
        self.endpoints = endpoints
    }
}

/// The scopes Cadence asks for and needs.
public enum GmailScope {
    public static let send = "https://www.googleapis.com/auth/gmail.send"
    public static let readonly = "https://www.googleapis.com/auth/gmail.readonly"
    public static let metadata = "https://www.googleapis.com/auth/gmail.metadata"
    public static let compose = "https://www.googleapis.com/auth/gmail.compose"
    public static let modify = "https://www.googleapis.com/auth/gmail.modify"
    public static let full = "https://mail.google.com/"

    /// What Cadence requests: sending, and reading to reconcile sends and watch for replies.
    public static let required = [send, readonly]

    /// The required scopes that `granted` does not cover (a broader scope covers a narrower one).
    public static func missing(from granted: some Sequence<String>) -> [String] {
        let set = Set(granted)
        if set.contains(full) { return [] }
        var missing: [String] = []
        if !set.contains(send), !set.contains(compose), !set.contains(modify) { missing.append(send) }
        if !set.contains(readonly), !set.contains(modify) { missing.append(readonly) }
        return missing
    }

    /// `gmail.send` rather than the whole URL, for messages.
    public static func shortName(_ scope: String) -> String {
        scope.hasPrefix("https://www.googleapis.com/auth/") ? String(scope.dropFirst("https://www.googleapis.com/auth/".count)) : scope
    }
}
