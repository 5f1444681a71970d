import Foundation

/// Where one candidate stands in one campaign. Exactly one of these, always with its reason.
public enum EnrollmentState: Sendable, Equatable {
    /// The next step is `nextStep`, due no earlier than `dueAt` (the scheduler adds windows and limits).
    case active(nextStep: String, dueAt: Date)
    /// A manual task is open for `step`; the sequence goes on when a person marks it done.
    case waitingOnTask(step: String, taskID: Int64)
    /// Cannot go on until something is fixed; nothing is sent meanwhile.
    case held(step: String, reason: HoldReason)
    /// Stopped for now, resumable: `step` is where it resumes.
    case paused(step: String, reason: PauseReason)
    /// Final: never contacted again in this campaign.
    case stopped(StopReason)
    /// Every step is done.
    case finished

    /// The state's name as stored and reported.
    public var name: String {
        switch self {
        case .active: "active"
        case .waitingOnTask: "waitingOnTask"
        case .held: "held"
        case .paused: "paused"
        case .stopped: "stopped"
        case .finished: "finished"
        }
    }

    /// The step the enrolment is at, when it is at one.
    public var step: String? {
        switch self {
        case .active(let step, _), .waitingOnTask(let step, _), .held(let step, _), .paused(let step, _): step
        case .stopped, .finished: nil
        }
    }
}

public enum HoldReason: Sendable, Equatable {
    /// These fields have no value and no fallback for this candidate: `candidate.company`, …
    case missingFields([String])
    /// The provider refused the message for good (the reason is its own words); a person must look.
    case sendRejected(String)
    /// Cadence cannot make this step into a message (an address it cannot send to, a step the stored campaign no
    /// longer has); the reason says what to fix.
    case unsendable(String)

    public var description: String {
        switch self {
        case .missingFields(let fields): "missing \(fields.joined(separator: ", "))"
        case .sendRejected(let reason): "the mailbox refused the message: \(reason)"
        case .unsendable(let reason): reason
        }
    }
}

public enum PauseReason: Sendable, Equatable {
    case manual(note: String?)
    case campaignPaused
    /// An out-of-office reply; the sequence resumes on its own after `until`. `guessed` when no header said the
    /// message was automatic and only its wording did: a person may have written it, so `status` says so.
    case outOfOffice(until: Date, guessed: Bool = false)

    public var description: String {
        switch self {
        case .manual(let note): "by hand" + (note.map { ": \($0)" } ?? "")
        case .campaignPaused: "campaign paused"
        case .outOfOffice(let until, false): "out of office until \(Timestamps.display(until))"
        case .outOfOffice(let until, true):
            "out of office until \(Timestamps.display(until)), going by its wording alone (no header said it was automatic): if a person wrote it, `cadence stop` them"
        }
    }
}

public enum StopReason: Sendable, Equatable {
    case replied
    case bounced
    case unsubscribed
    case manual(note: String?)
    /// Put on the suppression list after enrolling; found before a send.
    case suppressed

    public var description: String {
        switch self {
        case .replied: "replied"
        case .bounced: "bounced"
        case .unsubscribed: "unsubscribed"
        case .manual(let note): "by hand" + (note.map { ": \($0)" } ?? "")
        case .suppressed: "suppressed"
        }
    }
}

/// Instants as Cadence shows them to people: UTC, to the minute, sortable.
public enum Timestamps {
    public static func display(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = Int((Double(seconds) / 86_400).rounded(.down))
        let (year, month, day) = RFC5322Date.civil(fromDays: days)
        let minuteOfDay = (seconds - days * 86_400) / 60
        func two(_ n: Int) -> String { String(n).leftPadded(to: 2) }
        return "\(year)-\(two(month))-\(two(day)) \(two(minuteOfDay / 60)):\(two(minuteOfDay % 60)) UTC"
    }

    /// `iso`'s format back (fractional seconds accepted), nil for anything else.
    public static func parse(_ text: String) -> Date? {
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    /// ISO 8601 with seconds, for JSON output.
    public static func iso(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = Int((Double(seconds) / 86_400).rounded(.down))
        let (year, month, day) = RFC5322Date.civil(fromDays: days)
        let secondOfDay = seconds - days * 86_400
        func two(_ n: Int) -> String { String(n).leftPadded(to: 2) }
        return "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))Z"
    }
}
