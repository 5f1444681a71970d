/// A sending mailbox as `cadence.json` names it; campaigns refer to it by `name`.
public struct Mailbox: Sendable, Hashable {
    /// How campaigns name this mailbox: a short slug such as `"alex"`.
    public var name: String
    public var address: EmailAddress
    /// The name recipients see in `From:`.
    public var displayName: String
    /// Trusted Markdown appended to emails as `<<sender.signature>>`.
    public var signature: String
    /// IANA zone of the person sending: where their working day is, for reports and schedules that follow it.
    public var timeZone: String
    public var provider: MailProvider
    public var limits: MailboxLimits

    public init(
        name: String, address: EmailAddress, displayName: String, signature: String, timeZone: String,
        provider: MailProvider, limits: MailboxLimits
    ) {
        self.name = name
        self.address = address
        self.displayName = displayName
        self.signature = signature
        self.timeZone = timeZone
        self.provider = provider
        self.limits = limits
    }
}
