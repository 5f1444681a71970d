import CadenceCore
import CadenceStore
import Foundation

/// `cadence launch`: enrols a candidates file in a campaign, in one transaction, by the same rules for every row.
public enum Launcher {
    public struct Options: Sendable {
        public var candidatesPath: String
        /// When the launch happens (the event log's time).
        public var now: Date
        /// When the first step may go.
        public var start: Date
        public var dryRun: Bool
        public var strict: Bool
        public var allowConcurrent: Bool
        /// Who launched, for the event log.
        public var actor: String
        /// Called every 10,000 rows with the number read so far.
        public var progress: (@Sendable (Int) -> Void)?

        public init(candidatesPath: String, now: Date, start: Date? = nil, dryRun: Bool = false, strict: Bool = false, allowConcurrent: Bool = false, actor: String) {
            self.candidatesPath = candidatesPath
            self.now = now
            self.start = start ?? now
            self.dryRun = dryRun
            self.strict = strict
            self.allowConcurrent = allowConcurrent
            self.actor = actor
        }
    }

    public enum Failure: Error, Equatable {
        /// Rows that cannot be read; nothing was written.
        case rows([Diagnostic], report: LaunchReport)
        /// `--strict` and some candidates lack data; nothing was written.
        case strict(LaunchReport)
        /// The campaign's files differ from the launched version.
        case changed(campaign: String, version: Int, differences: [String])
        case file([Diagnostic])
        case store(StoreError)
        /// An option that makes no sense (a start in the past or years ahead).
        case usage(String)
    }

    /// How far ahead a launch may be scheduled.
    public static let latestStart: TimeInterval = 366 * 86_400

    public static func launch(_ campaign: LoadedCampaign, database: CadenceDatabase, options: Options) throws(Failure) -> LaunchReport {
        let definition = campaign.definition
        if options.start < options.now.addingTimeInterval(-60) {
            throw .usage("--start \(Timestamps.iso(options.start)) is in the past; leave it out to start now")
        }
        if options.start > options.now.addingTimeInterval(latestStart) {
            throw .usage("--start \(Timestamps.iso(options.start)) is more than a year ahead; launch closer to the time")
        }
        let files = CampaignSnapshot.files(of: campaign)
        let digest = CampaignSnapshot.digest(of: files)
        let stored: StoredCampaign?
        do { stored = try database.storedCampaign(definition.id) } catch { throw .store(error) }
        if let stored, stored.stopped {
            throw .store(.refused("campaign \(definition.id) was stopped; nobody can be launched into it. Give the campaign a new id to start again."))
        }
        if let stored, stored.digest != digest {
            throw .changed(campaign: definition.id, version: stored.version, differences: CampaignSnapshot.differences(stored: stored, current: files))
        }
        let mailboxes = definition.mailboxes.compactMap { campaign.configuration.mailbox(named: $0) }
        let composers = Dictionary(uniqueKeysWithValues: mailboxes.map { ($0.name, campaign.composer(for: $0)) })
        let zone = TimeZone(identifier: definition.timeZone) ?? TimeZone(identifier: "UTC")!
        let location = campaign.location
        let csvPath = ProjectLocation.absolute(options.candidatesPath, base: location.displayBase)
        let file = CandidateFile(path: csvPath, display: location.display(csvPath))
        var report = LaunchReport(campaignID: definition.id, file: file.display, dryRun: options.dryRun, version: stored?.version ?? 1)
        // Each mailbox's load so far: people it already has in progress in any campaign. New people go where the
        // load per unit of daily capacity is lowest, and keep that mailbox for every step (a thread lives in one).
        var assigned: [String: Int]
        do { assigned = try database.enrollmentsInProgress() } catch { throw .store(error) }
        let firstStep = definition.steps[0]
        // Spreading starts: at most newEnrollmentsPerDay first steps due on any day (counting earlier launches),
        // each day's starts at that day's first send-window opening, skipping days the window never opens.
        let perDay = definition.limits.newEnrollmentsPerDay
        let campaignSchedule = SendSchedule(campaign: definition, candidateZone: nil)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        // Days numbered in the campaign's zone: cheap to hash and to compare, so the days behind the cursor (which
        // never fills again) can be let go, and a launch of a million people spread over years keeps a few counts.
        func dayKey(_ date: Date) -> Int { Int(((date.timeIntervalSince1970 + Double(zone.secondsFromGMT(for: date))) / 86_400).rounded(.down)) }
        var startsPerDay: [Int: Int] = [:]
        var countsLoaded = false
        var spreadDue: (cursor: Date, due: Date)?
        var cursor = campaignSchedule.nextOpening(atOrAfter: options.start) ?? options.start
        let immediateDue = firstStep.delay.earliest(after: options.start, timeZone: zone, holidays: definition.holidays)
        do {
            report = try database.launch(
                .init(id: definition.id, name: definition.name, sourcePath: campaign.file, digest: digest, files: files),
                actor: options.actor, now: options.now, allowConcurrent: options.allowConcurrent
            ) { session in
                var rows = 0
                try file.forEachRow { row in
                    rows += 1
                    if rows % 10_000 == 0 { options.progress?(rows) }
                    switch row {
                    case .problems(let diagnostics):
                        report.add(rowProblems: diagnostics)
                    case .candidate(let candidate):
                        guard report.problemRows == 0 else { return }  // the launch will not commit; just find the problems
                        // Balance candidates over the campaign's mailboxes by their remaining capacity.
                        let mailbox = mailboxes.min { (assigned[$0.name, default: 0] * $1.limits.dailyCap, $0.name) < (assigned[$1.name, default: 0] * $0.limits.dailyCap, $1.name) }!
                        let composer = composers[mailbox.name]!
                        let missing = composer.missingFields(for: candidate)
                        // Someone already written to, held at a later step for data this row may now give.
                        let atHeldStep = { (step: String, lastStepAt: Date?) -> EnrollmentState in
                            HeldStep.state(at: step, missing: missing, in: definition, zone: candidate.timeZone, lastStepAt: lastStepAt, now: options.now)
                        }
                        let state: EnrollmentState
                        if missing.isEmpty {
                            guard let perDay else {
                                state = .active(nextStep: firstStep.id, dueAt: immediateDue)
                                let outcome = try session.enroll(candidate, mailbox: mailbox.name, variants: composer.variants(for: candidate), initial: state, atHeldStep: atHeldStep)
                                if case .skipped = outcome {} else { assigned[mailbox.name, default: 0] += 1 }
                                report.record(outcome, candidate: candidate, missing: missing)
                                return
                            }
                            if !countsLoaded {
                                let today = dayKey(cursor)
                                for due in try session.dueTimes(atStep: firstStep.id) where dayKey(due) >= today { startsPerDay[dayKey(due), default: 0] += 1 }
                                countsLoaded = true
                            }
                            while startsPerDay[dayKey(cursor), default: 0] >= perDay {
                                let nextDay = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: cursor)) ?? cursor.addingTimeInterval(86_400)
                                guard let opening = campaignSchedule.nextOpening(atOrAfter: nextDay) else { break }
                                cursor = opening
                                let today = dayKey(cursor)
                                startsPerDay = startsPerDay.filter { $0.key >= today }
                            }
                            // The same cursor gives the same due time: the calendar arithmetic is done once per day of the spread.
                            if spreadDue?.cursor != cursor {
                                spreadDue = (cursor, firstStep.delay.earliest(after: cursor, timeZone: zone, holidays: definition.holidays))
                            }
                            let due = spreadDue!.due
                            state = .active(nextStep: firstStep.id, dueAt: due)
                            let outcome = try session.enroll(candidate, mailbox: mailbox.name, variants: composer.variants(for: candidate), initial: state, atHeldStep: atHeldStep)
                            if case .enrolled = outcome { startsPerDay[dayKey(due), default: 0] += 1 }
                            if case .skipped = outcome {} else { assigned[mailbox.name, default: 0] += 1 }
                            report.record(outcome, candidate: candidate, missing: missing)
                            return
                        } else {
                            var fields: [String] = []
                            for gap in missing { for field in gap.fields where !fields.contains(field) { fields.append(field) } }
                            state = .held(step: firstStep.id, reason: .missingFields(fields))
                        }
                        let outcome = try session.enroll(candidate, mailbox: mailbox.name, variants: composer.variants(for: candidate), initial: state, atHeldStep: atHeldStep)
                        if case .skipped = outcome {} else { assigned[mailbox.name, default: 0] += 1 }
                        report.record(outcome, candidate: candidate, missing: missing)
                    }
                }
                let commit = report.problemRows == 0 && !(options.strict && report.held > 0) && !options.dryRun
                return (report, commit)
            }
        } catch let error as CandidateFile.OpenError {
            guard case .problems(let diagnostics) = error else { throw .file([]) }
            throw .file(diagnostics)
        } catch let error as StoreError {
            throw .store(error)
        } catch {
            throw .store(.other("\(error)"))
        }
        if report.problemRows > 0 { throw .rows(report.rowProblems, report: report) }
        if options.strict && report.held > 0 {
            report.refused = true
            throw .strict(report)
        }
        return report
    }
}
