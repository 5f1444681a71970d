/// What the classifier made of a message: its class, the rule that decided it (stored with the message and shown
/// by `cadence show` and `cadence classify`, so a user can see why a message stopped, held or was only recorded),
/// and the clues that name the person it is about, strongest first.
public struct Classification: Sendable, Equatable {
    public var incomingClass: IncomingClass
    /// `family.detail`, with the language of the deciding phrase after a colon: `out-of-office.wording:de`,
    /// `bounce.report`, `reply.default`. docs/replies.md lists them in the order they are tried.
    public var rule: String
    /// The languages whose phrases were found, most telling first.
    public var languages: [String]
    /// Message-IDs that name the message Cadence sent: a bounce's original first, then `In-Reply-To` and
    /// `References`.
    public var messageIDs: [String]
    /// Addresses that name the person: a bounce's failed recipients in every field it gives them, else the sender.
    public var addresses: [String]
    /// What the sender wrote, quotes and the campaign's own lines cut: the text the rules read, kept for the snippet.
    public var freshText: String

    public init(
        incomingClass: IncomingClass, rule: String, languages: [String] = [], messageIDs: [String] = [], addresses: [String] = [], freshText: String = ""
    ) {
        self.incomingClass = incomingClass
        self.rule = rule
        self.languages = languages
        self.messageIDs = messageIDs
        self.addresses = addresses
        self.freshText = freshText
    }
}
