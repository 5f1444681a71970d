/// What one step of a campaign comes to for one candidate.
public struct ComposedStep: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// The exact message that would be handed to the mailbox's provider.
        case email(OutgoingMessage)
        /// The step cannot render for this candidate: these fields have no value and no fallback.
        case held(missing: [String])
        /// A manual action; nothing is sent.
        case task(TaskStep)
    }

    public var step: Step
    /// The A/B variant chosen for this candidate, for steps that have variants.
    public var variantID: String?
    public var outcome: Outcome
    /// With tracking on, the original address of each link the message's click links stand for: link n is
    /// `links[n - 1]`. Recorded with the send, so a click goes where the campaign linked and nowhere else.
    public var links: [String]
    /// With tracking on, the id of the key that signed the message's links: recorded with the send, so `validate`
    /// can refuse dropping a key whose unsubscribe links must keep working.
    public var trackingKeyID: UInt8?

    public init(step: Step, variantID: String?, outcome: Outcome, links: [String] = [], trackingKeyID: UInt8? = nil) {
        self.step = step
        self.variantID = variantID
        self.outcome = outcome
        self.links = links
        self.trackingKeyID = trackingKeyID
    }
}
