/// The `kind` of the JSON an enrolment keeps in its `reason` column: why it is held, paused or stopped, or why
/// an active step was postponed. Stored by its raw value, so the JSON reads as before.
package enum ReasonKind: String, Sendable, Codable, CaseIterable {
    // held
    case missingFields, sendRejected, unsendable
    // paused (and `manual` for a stop by hand)
    case manual, campaignPaused, outOfOffice
    // stopped
    case replied, bounced, unsubscribed, suppressed
    /// An active step the runner postponed (outside the window, over a limit, …), with the reason in `note`.
    case deferred
}
