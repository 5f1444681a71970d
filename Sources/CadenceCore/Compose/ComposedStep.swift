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

    public init(step: Step, variantID: String?, outcome: Outcome) {
        self.step = step
        self.variantID = variantID
        self.outcome = outcome
    }
}
