/// An incoming message as the store recorded it: enough to tell whether a message was read, how it was classed
/// and whom it was matched to, without its text.
public struct RecordedIncoming: Sendable, Equatable {
    public var providerMessageID: String
    /// `IncomingClass.name` at the time, or "unparsed" for a message that could not be read.
    public var incomingClass: String
    /// The address key of the candidate it was matched to; nil when it concerned nobody Cadence knows.
    public var candidate: String?

    public init(providerMessageID: String, incomingClass: String, candidate: String?) {
        self.providerMessageID = providerMessageID
        self.incomingClass = incomingClass
        self.candidate = candidate
    }
}
