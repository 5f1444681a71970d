import CadenceCore
import Foundation

/// What a launch asks of the store, row by row, on either backend: the placement rules (mailbox, spread of starts,
/// held for data) are the launcher's and are the same for both; what a row does to people already there
/// (`EnrollOutcome`) is decided by the same rules in each store.
///
/// Synchronous, so the launcher's per-row rules stay plain code: SQLite answers inside its write transaction;
/// PostgreSQL answers from what it read for the batch of rows beforehand (`PostgresLaunchSession.prepare`).
public protocol LaunchEnrolling: AnyObject {
    /// When the enrolments already at `stepID` are due: for spreading new starts over days.
    func dueTimes(atStep stepID: String) throws -> [Date]

    /// Enrols `candidate` in `initial` state, or updates a held enrolment from an earlier launch, or says why not.
    ///
    /// Someone past the first step (written to, or a task done) and held at a later step for missing data (a
    /// campaign update made a field necessary) takes this row's fields and gets `atHeldStep(step, lastStepAt)`
    /// (when their last step was sent or done): their launch, variants and sends stay as they were, since what
    /// went out went out under them.
    func enroll(
        _ candidate: Candidate, mailbox: String, variants: [String: String], initial: EnrollmentState,
        atHeldStep: ((_ step: String, _ lastStepAt: Date?) -> EnrollmentState)?
    ) throws -> EnrollOutcome
}
