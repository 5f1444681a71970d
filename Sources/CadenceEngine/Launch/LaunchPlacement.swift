import CadenceCore
import CadenceStore
import Foundation

/// A launch's rules for each row, the same on both stores: which mailbox a person gets, when their first step is
/// due (spreading starts over days), and whether they are held for data. The store answers what the row does to
/// anyone already there (`LaunchEnrolling`).
struct LaunchPlacement {
    let definition: SequenceDefinition
    let options: Launcher.Options
    let file: CandidateFile
    let launchCampaign: CadenceDatabase.LaunchCampaign
    var report: LaunchReport
    private let mailboxes: [Mailbox]
    private let composers: [String: EmailComposer]
    private let zone: TimeZone
    private let firstStep: Step
    /// Each mailbox's load so far: people it already has in progress in any campaign. New people go where the
    /// load per unit of daily capacity is lowest, and keep that mailbox for every step (a thread lives in one).
    private var assigned: [String: Int]
    // Spreading starts: at most newEnrollmentsPerDay first steps due on any day (counting earlier launches),
    // each day's starts at that day's first send-window opening, skipping days the window never opens.
    private let perDay: Int?
    private let campaignSchedule: SendSchedule
    private var startsPerDay: [Int: Int] = [:]
    private var countsLoaded = false
    private var spreadDue: (cursor: Date, due: Date, day: Int)?
    /// `dayKey(cursor)`, kept as the cursor moves: a time zone's offset is looked up per day, not per row.
    private var cursorDay = 0
    private var cursor: Date
    private let immediateDue: Date

    /// Checks the options and the campaign against what the store holds of it (`stored`), before any row.
    init(_ campaign: LoadedCampaign, stored: StoredCampaign?, assigned: [String: Int], options: Launcher.Options) throws(Launcher.Failure) {
        definition = campaign.definition
        self.options = options
        if options.start < options.now.addingTimeInterval(-60) {
            throw .usage("--start \(Timestamps.iso(options.start)) is in the past; leave it out to start now")
        }
        if options.start > options.now.addingTimeInterval(Launcher.latestStart) {
            throw .usage("--start \(Timestamps.iso(options.start)) is more than a year ahead; launch closer to the time")
        }
        let files = CampaignSnapshot.files(of: campaign)
        let digest = CampaignSnapshot.digest(of: files)
        if let stored, stored.stopped {
            throw .store(.refused("campaign \(definition.id) was stopped; nobody can be launched into it. Give the campaign a new id to start again."))
        }
        if let stored, stored.digest != digest {
            throw .changed(campaign: definition.id, version: stored.version, differences: CampaignSnapshot.differences(stored: stored, current: files))
        }
        launchCampaign = .init(id: definition.id, name: definition.name, sourcePath: campaign.file, digest: digest, files: files)
        mailboxes = definition.mailboxes.compactMap { campaign.configuration.mailbox(named: $0) }
        composers = Dictionary(uniqueKeysWithValues: mailboxes.map { ($0.name, campaign.composer(for: $0)) })
        zone = TimeZone(identifier: definition.timeZone) ?? TimeZone(identifier: "UTC")!
        let location = campaign.location
        let csvPath = ProjectLocation.absolute(options.candidatesPath, base: location.displayBase)
        file = CandidateFile(path: csvPath, display: location.display(csvPath))
        report = LaunchReport(campaignID: definition.id, file: file.display, dryRun: options.dryRun, version: stored?.version ?? 1)
        self.assigned = assigned
        firstStep = definition.steps[0]
        perDay = definition.limits.newEnrollmentsPerDay
        campaignSchedule = SendSchedule(campaign: definition, candidateZone: nil)
        cursor = campaignSchedule.nextOpening(atOrAfter: options.start) ?? options.start
        immediateDue = firstStep.delay.earliest(after: options.start, timeZone: zone, holidays: definition.holidays)
        cursorDay = dayKey(cursor)
    }

    /// What a row's checks give whichever mailbox it gets (`EmailComposer.checksCandidates(like:)`): worked out
    /// on the launch's reading thread. Nil when the mailboxes' templates need different fields.
    typealias Checked = (missing: [(stepID: String, variantID: String?, fields: [String])], variants: [String: String])

    /// The composer that checks rows for every mailbox of the campaign alike, when there is one.
    var sharedChecks: EmailComposer? {
        guard let first = composers.values.first, composers.values.allSatisfy({ $0.checksCandidates(like: first) }) else { return nil }
        return first
    }

    /// Whether the launch keeps what it wrote: no unreadable row, nobody held under `--strict`, not a dry run.
    var commits: Bool { report.problemRows == 0 && !(options.strict && report.held > 0) && !options.dryRun }

    /// Days numbered in the campaign's zone: cheap to hash and to compare, so the days behind the cursor (which
    /// never fills again) can be let go, and a launch of a million people spread over years keeps a few counts.
    private func dayKey(_ date: Date) -> Int { Int(((date.timeIntervalSince1970 + Double(zone.secondsFromGMT(for: date))) / 86_400).rounded(.down)) }

    mutating func take(_ row: CandidateFile.Row, _ session: some LaunchEnrolling, checked: Checked? = nil) throws {
        switch row {
        case .problems(let diagnostics):
            report.add(rowProblems: diagnostics)
        case .candidate(let candidate):
            guard report.problemRows == 0 else { return }  // the launch will not commit; just find the problems
            try place(candidate, session, checked: checked)
        }
    }

    private mutating func place(_ candidate: Candidate, _ session: some LaunchEnrolling, checked: Checked?) throws {
        // Balance candidates over the campaign's mailboxes by their remaining capacity.
        let mailbox = mailboxes.min { (assigned[$0.name, default: 0] * $1.limits.dailyCap, $0.name) < (assigned[$1.name, default: 0] * $0.limits.dailyCap, $1.name) }!
        // The composer (a large value) only when the reading thread did not check the row already.
        let missing = checked?.missing ?? composers[mailbox.name]!.missingFields(for: candidate)
        let definition = definition, now = options.now
        // Someone already written to, held at a later step for data this row may now give.
        let atHeldStep = { (step: String, lastStepAt: Date?) -> EnrollmentState in
            HeldStep.state(at: step, missing: missing, in: definition, zone: candidate.timeZone, lastStepAt: lastStepAt, now: now)
        }
        let state: EnrollmentState
        var spread = false
        if !missing.isEmpty {
            var fields: [String] = []
            for gap in missing { for field in gap.fields where !fields.contains(field) { fields.append(field) } }
            state = .held(step: firstStep.id, reason: .missingFields(fields))
        } else if let perDay {
            if !countsLoaded {
                let today = cursorDay
                for due in try session.dueTimes(atStep: firstStep.id) where dayKey(due) >= today { startsPerDay[dayKey(due), default: 0] += 1 }
                countsLoaded = true
            }
            while startsPerDay[cursorDay, default: 0] >= perDay {
                guard let opening = campaignSchedule.nextOpening(afterDayOf: cursor) else { break }
                cursor = opening
                cursorDay = dayKey(cursor)
                let today = cursorDay
                startsPerDay = startsPerDay.filter { $0.key >= today }
            }
            // The same cursor gives the same due time: the calendar arithmetic is done once per day of the spread.
            if spreadDue?.cursor != cursor {
                let due = firstStep.delay.earliest(after: cursor, timeZone: zone, holidays: definition.holidays)
                spreadDue = (cursor, due, dayKey(due))
            }
            state = .active(nextStep: firstStep.id, dueAt: spreadDue!.due)
            spread = true
        } else {
            state = .active(nextStep: firstStep.id, dueAt: immediateDue)
        }
        let variants = checked?.variants ?? composers[mailbox.name]!.variants(for: candidate)
        let outcome = try session.enroll(candidate, mailbox: mailbox.name, variants: variants, initial: state, atHeldStep: atHeldStep)
        if spread, let day = spreadDue?.day, case .enrolled = outcome { startsPerDay[day, default: 0] += 1 }
        if case .skipped = outcome {} else { assigned[mailbox.name, default: 0] += 1 }
        report.record(outcome, candidate: candidate, missing: missing)
    }

    /// The launch's answer once every row is in: the report, or why nothing was kept.
    mutating func finish() throws(Launcher.Failure) -> LaunchReport {
        if report.problemRows > 0 { throw .rows(report.rowProblems, report: report) }
        if options.strict && report.held > 0 {
            report.refused = true
            throw .strict(report)
        }
        return report
    }
}
