/// A name in a campaign file that points outside it, with where it was written, so whoever resolves it (the
/// configuration for mailboxes, the file system for templates and attachments) can report a located error.
public struct FileReference: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case mailbox
        /// A template for an `email` step (needs a subject) or a `reply` step (must not have one).
        case template(stepType: String)
        case attachment
    }

    public var kind: Kind
    public var value: String
    public var position: SourcePosition
    /// The step it belongs to as messages name it (`step "intro"`, or `step #3` when its id is unusable);
    /// nil for campaign-level references.
    public var step: String?

    public init(kind: Kind, value: String, position: SourcePosition, step: String?) {
        self.kind = kind
        self.value = value
        self.position = position
        self.step = step
    }
}

/// A decoded campaign together with where its id and references stand in the file.
public struct DecodedCampaign: Sendable {
    public var file: String
    public var definition: SequenceDefinition
    public var idPosition: SourcePosition
    public var references: [FileReference]
}
