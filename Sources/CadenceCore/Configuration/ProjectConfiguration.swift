/// The contents of `cadence.json`: the sending mailboxes and the few settings shared by every campaign.
public struct ProjectConfiguration: Sendable, Hashable {
    public var mailboxes: [Mailbox]
    /// The SQLite file, relative to the configuration file's folder, or a PostgreSQL URL (without its password).
    public var databasePath: String
    /// Where the PostgreSQL password is, for a URL; else PGPASSWORD or the password file, as libpq looks.
    public var databasePassword: SecretReference?
    /// Where `outbox` mailboxes write their `.eml` files unless a mailbox names its own folder.
    public var outboxFolder: String
    /// Signed open, click and unsubscribe links through `cadence serve`; nil leaves mail exactly as rendered.
    public var tracking: TrackingSettings?
    /// Reply watching: sync staleness, the out-of-office default, the bounce-rate pause, the resync window.
    public var replies = ReplySettings()
    /// Where `cadence serve` listens.
    public var server = ServerSettings()
    /// Gmail push through Cloud Pub/Sub; polling alone when absent.
    public var push = PushSettings()

    public static let defaultDatabasePath = "cadence.sqlite"
    public static let defaultOutboxFolder = "outbox"

    public init(
        mailboxes: [Mailbox], databasePath: String = defaultDatabasePath,
        outboxFolder: String = defaultOutboxFolder, tracking: TrackingSettings? = nil
    ) {
        self.mailboxes = mailboxes
        self.databasePath = databasePath
        self.outboxFolder = outboxFolder
        self.tracking = tracking
    }

    /// The same project with only the mailboxes `names` lists: what one runner of several reads and sends from.
    public func keeping(mailboxes names: Set<String>) -> ProjectConfiguration {
        var kept = self
        kept.mailboxes = mailboxes.filter { names.contains($0.name) }
        return kept
    }

    public func mailbox(named name: String) -> Mailbox? {
        mailboxes.first { $0.name == name }
    }
}
