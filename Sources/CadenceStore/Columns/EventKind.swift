import GRDB

/// The `event.kind` column: what happened to an enrolment or campaign, as `cadence show` lists it.
package enum EventKind: String, Sendable, CaseIterable, DatabaseValueConvertible {
    case enrolled, fieldsUpdated, campaignLaunched, campaignUpdated
    case sent, deferred, held, paused, resumed, stopped
    case taskOpened, taskDone
    /// A message came back (reply, bounce, out-of-office, …), with what it did.
    case incoming
    /// A reply was labelled with what it meant (`cadence label`).
    case labelled
    /// A person's data was erased; the event keeps no link to them.
    case forgotten
}
