import CadenceCore
import CadenceStore
import Foundation

/// `cadence explain EMAIL`: why a person has (not) been emailed in a campaign, and when they will be next.
///
/// The next step's time is worked out with the runner's own rules: `NextStep` for the delay and the window after
/// the previous step, and `SendGate` (authorisation, provider pause, send window, shared limits) from the due time
/// on, with the ledger as it stands. The runner never sends before `earliest`; other people's sends in between
/// can only make it later.
public struct Explanation: Sendable {
    public struct Send: Sendable, Equatable {
        public var stepID: String
        public var sentAt: Date?
        public var gmailMessageID: String?
        public var gmailThreadID: String?
    }

    public struct Next: Sendable {
        public var stepID: String
        public var kind: String
        /// The stored due time, which the runner claims the step at.
        public var due: Date
        /// How the delay places it: "3d after intro (sent …)", or how the first step was scheduled.
        public var delay: String
        /// Every gate rule, answered at `max(due, now)`.
        public var checks: [SendGate.Check]
        /// The first instant every rule lets it go, with the postponements on the way; nil if none within a year.
        public var earliest: Date?
        public var postponements: [SendGate.Check]
        /// Merge fields the step's template lacks for this person: it will be held when it comes due.
        public var missingFields: [String]
        /// What else bears on the time: holidays, blackouts, the enrolment spread.
        public var calendar: [String]
        /// The runner's last deferral of this step, as it recorded it.
        public var lastDeferral: String?
    }

    public var address: String
    public var campaignID: String
    public var mailbox: String
    public var state: EnrollmentState
    /// What the state means and what lifts it, in a sentence.
    public var stateLine: String
    public var events: [CandidateDetail.Event]
    public var sends: [Send]
    /// Sends whose outcome is being confirmed with the provider before anything else goes to this person.
    public var inDoubt: [String]
    public var next: Next?
    public var now: Date
}

/// Builds explanations from the database, the configuration and the runner's rules.
public enum Explainer {
    /// One explanation per enrolment of the person (or the one in `campaign`). `readiness` says why a Gmail
    /// mailbox cannot send now, as the runner asks it; `seed` is `cadence run`'s, which fixes the gap's jitter.
    public static func explain(
        _ database: any CadenceStore, configuration: ProjectConfiguration, addressKey: String, campaign: String?, now: Date, seed: UInt64,
        readiness: @Sendable (Mailbox) -> String? = { _ in nil }
    ) async throws(StoreError) -> [Explanation] {
        guard let detail = try await database.candidate(addressKey) else {
            throw StoreError.refused("no candidate \(addressKey) is enrolled in any campaign; `cadence status` shows the campaigns")
        }
        let enrollments = detail.enrollments.filter { campaign == nil || $0.campaignID == campaign }
        if let campaign, enrollments.isEmpty {
            throw StoreError.refused(
                "\(addressKey) is not enrolled in campaign \(campaign); they are in \(detail.enrollments.map(\.campaignID).joined(separator: ", "))")
        }
        let pending = try await database.unfinishedSends()
        var explanations: [Explanation] = []
        for enrollment in enrollments {
            let records = try await database.sentRecords(enrollment: enrollment.id)
            var explanation = Explanation(
                address: detail.address, campaignID: enrollment.campaignID, mailbox: enrollment.mailbox, state: enrollment.state,
                stateLine: stateLine(enrollment.state, address: detail.address, campaign: enrollment.campaignID), events: enrollment.events,
                sends: records.map { .init(stepID: $0.stepID, sentAt: $0.sentAt, gmailMessageID: $0.providerMessageID, gmailThreadID: $0.providerThreadID) },
                inDoubt: pending.filter { $0.enrollmentID == enrollment.id }.map {
                    "step \($0.stepID): the send recorded \(Timestamps.display($0.createdAt)) is being confirmed with the provider before anything else goes to this person"
                },
                next: nil, now: now)
            if case .active(let stepID, let due) = enrollment.state {
                explanation.next = try await next(
                    database, configuration: configuration, detail: detail, enrollment: enrollment, stepID: stepID, due: due, records: records, now: now,
                    seed: seed, readiness: readiness)
            }
            explanations.append(explanation)
        }
        return explanations
    }

    static func next(
        _ database: any CadenceStore, configuration: ProjectConfiguration, detail: CandidateDetail, enrollment: CandidateDetail.Enrollment, stepID: String,
        due: Date, records: [SentRecord], now: Date, seed: UInt64, readiness: (Mailbox) -> String?
    ) async throws(StoreError) -> Explanation.Next? {
        guard let stored = try await database.storedCampaign(enrollment.campaignID), var snapshot = SnapshotCampaign(stored) else { return nil }
        let definition = snapshot.definition
        guard let index = definition.steps.firstIndex(where: { $0.id == stepID }) else { return nil }
        let step = definition.steps[index]
        var next = Explanation.Next(
            stepID: stepID, kind: step.kind.typeName, due: due, delay: "", checks: [], earliest: nil, postponements: [], missingFields: [], calendar: [],
            lastDeferral: enrollment.events.last { $0.kind == "deferred" }?.detail)
        // The delay, from the step before as it happened.
        if index == 0 {
            next.delay =
                "the first step: due when the launch scheduled it"
                + (definition.limits.newEnrollmentsPerDay.map { " (at most \($0) new people start each day, so launches spread over days)" } ?? "")
        } else {
            let previous = definition.steps[index - 1]
            let happened =
                records.last { $0.stepID == previous.id }?.sentAt
                ?? enrollment.events.last { $0.kind == "taskDone" && !$0.detail.contains("hot lead") }?.at
            if let happened {
                let placed = NextStep.after(previous.id, in: definition, candidateZone: detail.timeZone, at: happened)
                let placedDue: Date? = if case .active(_, let at) = placed { at } else { nil }
                next.delay =
                    "\(step.delay) after \(previous.id) (\(previous.kind.typeName == "task" ? "done" : "sent") \(Timestamps.display(happened)))"
                    + (placedDue.map { ", then the window: \(Timestamps.display($0))" } ?? "")
                    + (placedDue.map { $0 == due ? "" : "; moved since to \(Timestamps.display(due)) by the runner" } ?? "")
            } else {
                next.delay = "\(step.delay) after \(previous.id)"
            }
        }
        if !definition.holidays.isEmpty {
            next.calendar.append("holidays (in the candidate's zone, no sends): " + definition.holidays.map(\.description).joined(separator: ", "))
        }
        if !definition.blackoutDates.isEmpty {
            next.calendar.append(
                "blackouts (in the campaign's zone, no sends): " + definition.blackoutDates.map { "\($0.first) to \($0.last)" }.joined(separator: ", "))
        }
        if case .task = step.kind {
            // A task sends nothing: it opens in `cadence tasks` at its due time, whatever the window and caps.
            next.calendar.append("a task sends nothing: it opens in `cadence tasks` at its due time, and the sequence goes on when it is marked done")
            next.earliest = max(due, now)
            return next
        }
        guard let mailbox = configuration.mailbox(named: enrollment.mailbox) else {
            next.calendar.append("mailbox \(enrollment.mailbox) is no longer in cadence.json: nothing is sent from it until it is added back")
            return next
        }
        guard case .success(let address) = EmailAddress.parse(detail.address) else { return next }
        // What the runner will find at the due time (or now, if that has passed).
        let at = max(due, now)
        let sendID = SendIdentity(campaignID: definition.id, stepID: stepID, address: address).sendID
        var problem: String?
        if case .gmail = mailbox.provider { problem = readiness(mailbox) }
        let conditions = SendGate.Conditions(
            campaign: definition, candidateZone: detail.timeZone, mailbox: mailbox, mailboxProblem: problem, mailboxPause: try await database.mailboxPause(mailbox.name, now: at),
            ledger: try await Runner.ledger(database, mailbox: mailbox, campaign: definition, domain: address.domain, now: at), domain: address.domain, sendID: sendID,
            seed: seed)
        next.checks = SendGate.checks(conditions, now: at)
        if let earliest = SendGate.earliest(conditions, from: at) {
            next.earliest = earliest.at
            next.postponements = earliest.postponements
        }
        // The message itself: a merge field with no value holds the step instead of sending it.
        let candidate = Candidate(line: enrollment.csvLine ?? 0, email: address, fields: detail.fields, timeZone: detail.timeZone)
        if let composed = snapshot.composer(for: mailbox, tracking: nil).compose(candidate, date: at, only: stepID).first, case .held(let missing) = composed.outcome {
            next.missingFields = missing
        }
        return next
    }

    static func stateLine(_ state: EnrollmentState, address: String, campaign: String) -> String {
        switch state {
        case .active(let step, let due): "active: \(step) is due \(Timestamps.display(due))"
        case .waitingOnTask(let step, let task):
            "waiting on task \(task) (step \(step)): the sequence goes on when it is marked done (`cadence tasks done \(task)`)"
        case .held(let step, .missingFields(let fields)):
            "held at \(step): missing \(fields.joined(separator: ", ")); add the values to their CSV row and launch the same file again"
        case .held(let step, let reason): "held at \(step): \(reason.description); fix it, then `cadence resume --candidate \(address)` (the message is checked again before it goes)"
        case .paused(let step, .outOfOffice(let until, _)):
            "paused at \(step): out of office until \(Timestamps.display(until)); resumes on its own after that (or `cadence resume --candidate \(address)`)"
        case .paused(let step, .campaignPaused): "paused at \(step): the campaign is paused; `cadence resume \(campaign)` resumes it"
        case .paused(let step, let reason): "paused at \(step) \(reason.description); `cadence resume --candidate \(address)` resumes them"
        case .stopped(let reason): "stopped: \(reason.description); nothing more is sent"
        case .finished: "finished: every step has happened"
        }
    }
}
