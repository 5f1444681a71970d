import Foundation

/// What an incoming message does to the person it was matched to, decided by `IncomingPolicy` and carried out by
/// the store.
public struct IncomingDecision: Sendable, Equatable {
    /// Stop every unfinished enrolment of the person, in every campaign, with this reason.
    public var stop: StopReason?
    /// Put the person's address on the suppression list: nothing is ever sent to it again.
    public var suppress: Bool
    /// Pause the person's active enrolments until then (an out-of-office whose return is still ahead).
    public var pauseUntil: Date?
    /// The pause rests on the message's wording alone (`IncomingPolicy.isWordingGuess`).
    public var pauseGuessed: Bool
    /// A line to record on the enrolment besides the message itself (a colleague's reply the campaign only records).
    public var note: String?

    public init(stop: StopReason? = nil, suppress: Bool = false, pauseUntil: Date? = nil, pauseGuessed: Bool = false, note: String? = nil) {
        self.stop = stop
        self.suppress = suppress
        self.pauseUntil = pauseUntil
        self.pauseGuessed = pauseGuessed
        self.note = note
    }

    /// The message is recorded on the enrolment and nothing else changes.
    public static let recordOnly = IncomingDecision()
}
