import CadenceCore
import Foundation
import GRDB

/// How an `EnrollmentState` is spread over the enrolment's columns (`state`, `stepId`, `dueAt`, `reason`,
/// `taskId`). The enum is the only way code sees a state; the columns stay in here.
package struct StoredState: Sendable {
    package var state: EnrollmentStatus
    package var stepId: String?
    package var dueAt: Date?
    package var reason: String?
    package var taskId: Int64?

    /// The JSON kept in `reason`.
    package struct Reason: Codable, Equatable {
        var kind: ReasonKind
        package var fields: [String]? = nil
        var note: String? = nil
        var until: Date? = nil
        /// For a paused enrolment: the state it resumes to.
        var previous: Previous? = nil
    }

    package struct Previous: Codable, Equatable {
        var state: EnrollmentStatus
        var dueAt: Date?
        var taskId: Int64?
        /// The previous state's `reason` column, as stored.
        var reason: String?
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }()
    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()

    package static func encode(_ reason: Reason) -> String {
        String(decoding: (try? encoder.encode(reason)) ?? Data(), as: UTF8.self)
    }

    /// The `reason` of an active step the runner postponed, which `status` shows until the step moves.
    package static func deferral(_ note: String) -> String {
        encode(Reason(kind: .deferred, note: note))
    }

    static func reason(of hold: HoldReason) -> Reason {
        switch hold {
        case .missingFields(let fields): Reason(kind: .missingFields, fields: fields)
        case .sendRejected(let message): Reason(kind: .sendRejected, note: message)
        case .unsendable(let message): Reason(kind: .unsendable, note: message)
        }
    }

    /// The note an out-of-office pause carries when it rests on the message's wording alone.
    static let guessedNote = "guessed from its wording"

    static func reason(of pause: PauseReason) -> Reason {
        switch pause {
        case .manual(let note): Reason(kind: .manual, note: note)
        case .campaignPaused: Reason(kind: .campaignPaused)
        case .outOfOffice(let until, let guessed): Reason(kind: .outOfOffice, note: guessed ? guessedNote : nil, until: until)
        }
    }

    static func reason(of stop: StopReason) -> Reason {
        switch stop {
        case .replied: Reason(kind: .replied)
        case .bounced: Reason(kind: .bounced)
        case .unsubscribed: Reason(kind: .unsubscribed)
        case .manual(let note): Reason(kind: .manual, note: note)
        case .suppressed: Reason(kind: .suppressed)
        }
    }

    package init(state: EnrollmentStatus, stepId: String?, dueAt: Date?, reason: String?, taskId: Int64?) {
        self.state = state
        self.stepId = stepId
        self.dueAt = dueAt
        self.reason = reason
        self.taskId = taskId
    }

    /// `previous` is what a paused enrolment resumes to.
    package init(_ value: EnrollmentState, previous: Previous? = nil) {
        switch value {
        case .active(let step, let due): self.init(state: .active, stepId: step, dueAt: due, reason: nil, taskId: nil)
        case .waitingOnTask(let step, let task): self.init(state: .waitingOnTask, stepId: step, dueAt: nil, reason: nil, taskId: task)
        case .held(let step, let hold):
            self.init(state: .held, stepId: step, dueAt: nil, reason: Self.encode(Self.reason(of: hold)), taskId: nil)
        case .paused(let step, let pause):
            var reason = Self.reason(of: pause)
            reason.previous = previous
            self.init(state: .paused, stepId: step, dueAt: nil, reason: Self.encode(reason), taskId: nil)
        case .stopped(let stop): self.init(state: .stopped, stepId: nil, dueAt: nil, reason: Self.encode(Self.reason(of: stop)), taskId: nil)
        case .finished: self.init(state: .finished, stepId: nil, dueAt: nil, reason: nil, taskId: nil)
        }
    }

    init(row: Row) {
        self.init(state: row["state"], stepId: row["stepId"], dueAt: row["dueAt"], reason: row["reason"], taskId: row["taskId"])
    }

    init(_ row: EnrollmentRow) {
        self = row.stored
    }

    package var decodedReason: Reason? {
        reason.flatMap { try? Self.decoder.decode(Reason.self, from: Data($0.utf8)) }
    }

    /// Held for data a row lacked: a later launch's row may give it.
    package var heldForMissingFields: Bool { decodedReason?.kind == .missingFields }

    /// What this enrolment resumes to if paused now.
    package var asPrevious: Previous {
        Previous(state: state, dueAt: dueAt, taskId: taskId, reason: reason)
    }

    /// What an enrolment stored as `stored` becomes when a campaign update gives it `state`: a paused one stays
    /// paused, and the update applies when it resumes.
    package static func updated(_ stored: StoredState, to state: EnrollmentState) -> StoredState {
        let next = StoredState(state)
        guard stored.state == .paused else { return next }
        var reason = stored.decodedReason ?? Reason(kind: .manual)
        reason.previous = Previous(state: next.state, dueAt: next.dueAt, taskId: next.taskId, reason: next.reason)
        return StoredState(state: .paused, stepId: next.stepId, dueAt: nil, reason: encode(reason), taskId: nil)
    }

    package var value: EnrollmentState {
        let reason = decodedReason
        let step = stepId ?? ""
        switch state {
        case .active: return .active(nextStep: step, dueAt: dueAt ?? Date(timeIntervalSince1970: 0))
        case .waitingOnTask: return .waitingOnTask(step: step, taskID: taskId ?? 0)
        case .held:
            switch reason?.kind {
            case .sendRejected?: return .held(step: step, reason: .sendRejected(reason?.note ?? ""))
            case .unsendable?: return .held(step: step, reason: .unsendable(reason?.note ?? ""))
            default: return .held(step: step, reason: .missingFields(reason?.fields ?? []))
            }
        case .paused:
            let pause: PauseReason
            switch reason?.kind {
            case .campaignPaused?: pause = .campaignPaused
            case .outOfOffice?: pause = .outOfOffice(until: reason?.until ?? Date(timeIntervalSince1970: 0), guessed: reason?.note == Self.guessedNote)
            default: pause = .manual(note: reason?.note)
            }
            return .paused(step: step, reason: pause)
        case .stopped:
            switch reason?.kind {
            case .replied?: return .stopped(.replied)
            case .bounced?: return .stopped(.bounced)
            case .unsubscribed?: return .stopped(.unsubscribed)
            case .suppressed?: return .stopped(.suppressed)
            default: return .stopped(.manual(note: reason?.note))
            }
        case .finished: return .finished
        }
    }

    /// The state a paused enrolment goes back to, its due time no earlier than `now`.
    package func resumed(now: Date) -> StoredState? {
        guard state == .paused, let previous = decodedReason?.previous else { return nil }
        let due = previous.dueAt.map { max($0, now) }
        return StoredState(
            state: previous.state, stepId: stepId, dueAt: previous.state == .active ? (due ?? now) : nil,
            reason: previous.reason, taskId: previous.taskId)
    }

    /// A launch's new or corrected enrolment in `state`, as stored: in a paused campaign it starts paused, and
    /// resumes to `state` with the campaign.
    package static func launched(_ state: EnrollmentState, campaignPaused: Bool) -> StoredState {
        guard campaignPaused, let step = state.step else { return StoredState(state) }
        return StoredState(.paused(step: step, reason: .campaignPaused), previous: StoredState(state).asPrevious)
    }

    /// What `resume` does to this paused enrolment, the same on every store: the state to write and the event to
    /// record (nil: written without an event, not counted), or nil when it stays as it is.
    ///
    /// Resuming a campaign (`byHand` false) resumes what pausing the campaign paused; people paused by hand stay
    /// paused until resumed by hand. Resumed by hand, someone paused while held is released from the hold too; in
    /// a paused campaign (`campaignPaused`) they then wait for the campaign.
    package func resume(byHand: Bool, campaignPaused: Bool, note: String?, now: Date) -> (state: StoredState, event: String?)? {
        guard state == .paused else { return nil }
        var current = self
        var released = false
        if byHand, var reason = current.decodedReason, reason.previous?.state == .held {
            reason.previous = StoredState(.active(nextStep: current.stepId ?? "", dueAt: now)).asPrevious
            current.reason = Self.encode(reason)
            released = true
        }
        let byCampaign = current.decodedReason?.kind == .campaignPaused
        if !byHand && !byCampaign { return nil }
        if byHand && campaignPaused {
            if !byCampaign {
                var reason = current.decodedReason ?? Reason(kind: .campaignPaused)
                reason.kind = .campaignPaused
                reason.note = nil
                return (StoredState(state: .paused, stepId: current.stepId, dueAt: nil, reason: Self.encode(reason), taskId: nil), "waits for the campaign, which is paused")
            }
            return released ? (current, "released from the hold; waits for the campaign, which is paused") : nil
        }
        guard let resumed = current.resumed(now: now) else { return released ? (current, nil) : nil }
        return (resumed, note ?? "")
    }

    /// A paused enrolment whose step went out while it was paused: still paused for the same reason, but
    /// resuming at `next`. Someone away until a date gets `next`'s delay counted from their return.
    package func pausedMovingOn(to next: StoredState, now: Date) -> StoredState {
        var reason = decodedReason ?? Reason(kind: .manual)
        var previous = next.asPrevious
        if reason.kind == .outOfOffice, let until = reason.until, let due = next.dueAt {
            previous.dueAt = until.addingTimeInterval(max(0, due.timeIntervalSince(now)))
        }
        reason.previous = previous
        return StoredState(state: .paused, stepId: next.stepId, dueAt: nil, reason: Self.encode(reason), taskId: nil)
    }

    /// An active enrolment paused while the person is away until `until`: the time that was left before its next
    /// step still has to pass after they are back.
    package func awayUntil(_ until: Date, guessed: Bool, now: Date) -> StoredState {
        var previous = asPrevious
        let left = max(0, (previous.dueAt ?? now).timeIntervalSince(now))
        previous.dueAt = until.addingTimeInterval(left)
        return StoredState(.paused(step: stepId ?? "", reason: .outOfOffice(until: until, guessed: guessed)), previous: previous)
    }

    /// For an enrolment paused while away: whether they are back by `now`, and the state they resume to.
    package func returned(by now: Date) -> StoredState? {
        guard decodedReason?.kind == .outOfOffice, let until = decodedReason?.until, until <= now else { return nil }
        return resumed(now: now)
    }

    func bind(_ arguments: inout StatementArguments) {
        arguments += [state, stepId, dueAt, reason, taskId]
    }
}
