/// The contents of `cadence.json`: the sending mailboxes and the few settings shared by every campaign.
public struct ProjectConfiguration: Sendable, Hashable {
    public var mailboxes: [Mailbox]
    /// The SQLite file, relative to the configuration file's folder.
    public var databasePath: String
    /// Where `outbox` mailboxes write their `.eml` files unless a mailbox names its own folder.
    public var outboxFolder: String
    /// Public HTTPS base for tracking and unsubscribe links; nil means links are not rewritten.
    public var trackingBaseURL: String?
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
        outboxFolder: String = defaultOutboxFolder, trackingBaseURL: String? = nil
    ) {
        self.mailboxes = mailboxes
        self.databasePath = databasePath
        self.outboxFolder = outboxFolder
        self.trackingBaseURL = trackingBaseURL
    }

    public func mailbox(named name: String) -> Mailbox? {
        mailboxes.first { $0.name == name }
    }
}
