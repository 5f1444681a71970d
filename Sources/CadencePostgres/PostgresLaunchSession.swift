import CadenceCore
import CadenceStore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A launch on PostgreSQL, inside one transaction on one connection. Per row it decides exactly as the SQLite
/// store's `LaunchSession` does; what differs is the cost of asking: a round trip per row would make a launch of
/// 100,000 people take minutes, so the launcher hands over each batch of rows first (`prepare`: the batch's people
/// and their enrolments, locked, in two queries), places the rows against that (`enroll`, no I/O), and then
/// `flush` writes the batch with `COPY`.
///
/// Existing people's rows are locked (`FOR NO KEY UPDATE`) before they are read, as every other writer locks a
/// candidate before their enrolments: a reply applied while the launch runs either lands first (and the launch sees
/// the person stopped) or waits for the launch.
public final class PostgresLaunchSession: LaunchEnrolling {
    let connection: PostgresConnection
    let logger: Logger
    let campaignID: String
    let launchID: String
    let actor: String
    let now: Date
    let allowConcurrent: Bool
    let campaignPaused: Bool
    let zone: TimeZone
    let launchDay: String
    let firstStep: String
    private var suppressed: LaunchSuppression
    /// The suppression list's largest id and size when it was read: read again when either moves (a runner
    /// applied an unsubscribe meanwhile, or someone suppressed or forgot an address).
    private var suppressionVersion: [Int64]
    private var describe = EnrolmentDescription()
    /// The first step's due times when the launch began, for spreading starts; enrolments this launch moves to it
    /// are added (`dueTimes` is asked once, before the first new start).
    private var dueAtFirstStep: [Date]
    /// This batch's people already in the database (or enrolled earlier in the batch), by address key.
    private var known: [String: Person] = [:]
    /// Enrolments updated in place by this launch (their launch id stays the first), by the line that did it.
    private var updatedHere: [Int64: Int] = [:]
    private var enrolled: [TallyKey: Int] = [:]
    private var writes = Writes()
    private var scratchTablesMade = false

    private struct Person {
        var candidate: Reference
        var enrolment: Enrolment?
        /// A campaign (the first by name) in which they are in progress, other than this one.
        var elsewhere: String?
    }

    private struct Enrolment {
        var id: Reference
        var launchID: String
        var line: Int?
        var stored: StoredState
        var mailbox: String
        var variants: String
        var createdAt: Date
        var hasSends: Bool
        var lastStepAt: Date?
    }

    /// A row already in the database, or one written by this batch's `flush` (its place in the batch's list).
    private enum Reference: Equatable {
        case stored(Int64)
        case new(Int)
    }

    /// What the batch writes, in the order the rows came: events keep the file's order, as on SQLite.
    private struct Writes {
        var candidates: [(key: String, address: String, fields: String, timeZone: String?)] = []
        var candidateUpdates: [(id: Int64, address: String, fields: String, timeZone: String?)] = []
        var enrolments: [(candidate: Reference, mailbox: String, fields: String, variants: String, line: Int, state: StoredState, detail: String)] = []
        var enrolmentUpdates: [(id: Int64, state: StoredState, fields: String, variants: String?, line: Int, relaunched: Bool)] = []
        var events: [(candidate: Reference, enrolment: Reference, kind: EventKind, detail: String)] = []
        var isEmpty: Bool { candidates.isEmpty && candidateUpdates.isEmpty && enrolments.isEmpty && enrolmentUpdates.isEmpty && events.isEmpty }
    }

    init(
        connection: PostgresConnection, logger: Logger, campaignID: String, launchID: String, actor: String, now: Date, allowConcurrent: Bool,
        firstStep: String
    ) async throws {
        self.connection = connection
        self.logger = logger
        self.campaignID = campaignID
        self.launchID = launchID
        self.actor = actor
        self.now = now
        self.allowConcurrent = allowConcurrent
        self.firstStep = firstStep
        // Shared, for the whole launch: a pause of this campaign (which locks the row to update it) waits for the
        // launch and then pauses its people too, or went first and the launch sees the campaign paused.
        let campaign = try await connection.record("SELECT state, timeZone FROM campaign WHERE id = \(campaignID) FOR SHARE", logger)
        campaignPaused = try campaign?("state", as: String.self) == CampaignState.paused.rawValue
        zone = CadenceDatabase.zone(named: try campaign?("timeZone", as: String?.self) ?? "UTC")
        launchDay = CadenceDatabase.reportingDay(now, zone)
        (suppressed, suppressionVersion) = try await Self.suppression(connection, logger)
        var dues: [Date] = []
        for try await due in try await connection.query(
            "SELECT dueAt FROM enrollment WHERE campaignId = \(campaignID) AND state = 'active' AND stepId = \(firstStep)", logger: logger
        ).decode(Date.self) {
            dues.append(due)
        }
        dueAtFirstStep = dues
    }

    static func suppression(_ connection: PostgresConnection, _ logger: Logger) async throws -> (LaunchSuppression, [Int64]) {
        let version = try await suppressionVersion(connection, logger)
        var entries: [(kind: String, value: String)] = []
        for try await (kind, value) in try await connection.query("SELECT kind, value FROM suppression", logger: logger).decode((String, String).self) {
            entries.append((kind, value))
        }
        return (LaunchSuppression(entries), version)
    }

    static func suppressionVersion(_ connection: PostgresConnection, _ logger: Logger) async throws -> [Int64] {
        for try await (largest, count) in try await connection.query("SELECT COALESCE(MAX(id), 0)::bigint, COUNT(*) FROM suppression", logger: logger).decode(
            (Int64, Int64).self)
        {
            return [largest, count]
        }
        return [0, 0]
    }

    public func dueTimes(atStep stepID: String) throws -> [Date] {
        precondition(stepID == firstStep, "a launch spreads the starts of its first step only")
        return dueAtFirstStep
    }

    /// Reads (and locks) the people of the next batch of rows, and their enrolments: two round trips for people new
    /// to the database (the locks, and whether the suppression list changed), four for a batch with people already
    /// in it.
    public func prepare(_ candidates: [Candidate]) async throws {
        precondition(writes.isEmpty, "flush a batch before preparing the next")
        known = [:]
        var keys: [String] = []
        var seen = Set<String>()
        for candidate in candidates {
            let key = AddressKey.normalized(candidate.email)
            guard seen.insert(key).inserted else { continue }
            keys.append(key)
        }
        var ids: [Int64] = []
        if !keys.isEmpty {
            for try await (id, key) in try await connection.query(
                "SELECT id, addressKey FROM candidate WHERE addressKey = ANY(\(keys)) ORDER BY id FOR NO KEY UPDATE", logger: logger
            ).decode((Int64, String).self) {
                known[key] = Person(candidate: .stored(id))
                ids.append(id)
            }
        }
        // After the people are locked: an unsubscribe applied to one of them has committed by now, or waits.
        if try await Self.suppressionVersion(connection, logger) != suppressionVersion {
            (suppressed, suppressionVersion) = try await Self.suppression(connection, logger)
        }
        guard !ids.isEmpty else { return }
        var byCandidate: [Int64: String] = [:]
        for (key, person) in known { if case .stored(let id) = person.candidate { byCandidate[id] = key } }
        for row in try await connection.records(
            """
            SELECT e.candidateId, e.id, e.launchId, e.csvLine, e.state, e.stepId, e.dueAt, e.reason, e.taskId, e.mailbox, e.variants, e.createdAt,
                EXISTS (SELECT 1 FROM sendRecord WHERE enrollmentId = e.id) AS hasSends,
                GREATEST((SELECT MAX(sentAt) FROM sendRecord WHERE enrollmentId = e.id AND state = 'sent'),
                         (SELECT MAX(doneAt) FROM task WHERE enrollmentId = e.id)) AS lastStepAt
            FROM enrollment e WHERE e.campaignId = \(campaignID) AND e.candidateId = ANY(\(ids))
            """, logger)
        {
            guard let key = byCandidate[try row("candidateId")], let status = EnrollmentStatus(rawValue: try row("state")) else { continue }
            known[key]?.enrolment = Enrolment(
                id: .stored(try row("id")), launchID: try row("launchId"), line: try row("csvLine", as: Int32?.self).map(Int.init),
                stored: StoredState(state: status, stepId: try row("stepId"), dueAt: try row("dueAt"), reason: try row("reason"), taskId: try row("taskId")),
                mailbox: try row("mailbox"), variants: try row("variants"), createdAt: try row("createdAt"), hasSends: try row("hasSends"),
                lastStepAt: try row("lastStepAt"))
        }
        guard !allowConcurrent else { return }
        let states = EnrollmentStatus.inProgress.map(\.rawValue)
        for try await (candidateID, campaign) in try await connection.query(
            """
            SELECT DISTINCT ON (candidateId) candidateId, campaignId FROM enrollment
            WHERE candidateId = ANY(\(ids)) AND campaignId <> \(campaignID) AND state = ANY(\(states))
            ORDER BY candidateId, campaignId COLLATE "C"
            """, logger: logger
        ).decode((Int64, String).self) {
            if let key = byCandidate[candidateID] { known[key]?.elsewhere = campaign }
        }
    }

    public func enroll(
        _ candidate: Candidate, mailbox: String, variants: [String: String], initial: EnrollmentState,
        atHeldStep: ((_ step: String, _ lastStepAt: Date?) -> EnrollmentState)? = nil
    ) throws -> EnrollOutcome {
        let key = AddressKey.normalized(candidate.email)
        if let reason = suppressed.reason(for: key, domain: candidate.email.domain) { return .skipped(reason) }
        let fields = FlatJSON.encode(candidate.fields)
        guard var person = known[key] else {
            writes.candidates.append((key, candidate.email.description, fields, candidate.timeZone))
            let reference = Reference.new(writes.candidates.count - 1)
            known[key] = Person(candidate: reference, enrolment: newEnrolment(reference, candidate, mailbox: mailbox, fields: fields, variants: variants, initial: initial))
            return .enrolled(initial)
        }
        if var existing = person.enrolment {
            if existing.launchID == launchID { return .skipped(.duplicateInFile(firstLine: existing.line ?? 0)) }
            guard case .stored(let enrolmentID) = existing.id, case .stored(let candidateID) = person.candidate else {
                return .skipped(.duplicateInFile(firstLine: existing.line ?? 0))
            }
            if let firstLine = updatedHere[enrolmentID] { return .skipped(.duplicateInFile(firstLine: firstLine)) }
            let state = existing.stored
            guard state.state == .held else { return .skipped(.alreadyEnrolled(state: state.state)) }
            // Past the first step (a send, or a task done): their place in the sequence is kept.
            if existing.hasSends || (initial.step.map { $0 != state.stepId } ?? false) {
                guard let atHeldStep, let step = state.stepId, state.heldForMissingFields else {
                    return .skipped(.alreadyEnrolled(state: state.state))
                }
                let next = atHeldStep(step, existing.lastStepAt)
                writes.candidateUpdates.append((candidateID, candidate.email.description, fields, candidate.timeZone))
                let stored = stored(next)
                writes.enrolmentUpdates.append((enrolmentID, stored, fields, nil, candidate.line, false))
                noteDue(stored)
                writes.events.append((person.candidate, existing.id, .fieldsUpdated, describe(next)))
                updatedHere[enrolmentID] = candidate.line
                return .updated(next)
            }
            // A held candidate not yet written to: take the corrected row and check it again.
            writes.candidateUpdates.append((candidateID, candidate.email.description, fields, candidate.timeZone))
            let stored = stored(initial)
            writes.enrolmentUpdates.append((enrolmentID, stored, fields, FlatJSON.encode(variants), candidate.line, true))
            noteDue(stored)
            // Counted now under this launch and the variants it gave (the day stays the enrolment's first).
            let day = CadenceDatabase.reportingDay(existing.createdAt, zone)
            for key in CadenceDatabase.enrolmentKeys(
                campaign: campaignID, mailbox: existing.mailbox, launch: existing.launchID, variants: CadenceDatabase.decodeMap(existing.variants), day: day)
            {
                enrolled[key, default: 0] -= 1
            }
            for key in CadenceDatabase.enrolmentKeys(campaign: campaignID, mailbox: existing.mailbox, launch: launchID, variants: variants, day: day) {
                enrolled[key, default: 0] += 1
            }
            writes.events.append((person.candidate, existing.id, .fieldsUpdated, describe(initial)))
            existing.launchID = launchID
            existing.line = candidate.line
            person.enrolment = existing
            known[key] = person
            return .updated(initial)
        }
        if !allowConcurrent, let other = person.elsewhere { return .skipped(.inProgressElsewhere(campaign: other)) }
        guard case .stored(let candidateID) = person.candidate else { return .skipped(.duplicateInFile(firstLine: 0)) }
        writes.candidateUpdates.append((candidateID, candidate.email.description, fields, candidate.timeZone))
        person.enrolment = newEnrolment(person.candidate, candidate, mailbox: mailbox, fields: fields, variants: variants, initial: initial)
        known[key] = person
        return .enrolled(initial)
    }

    private func newEnrolment(
        _ person: Reference, _ candidate: Candidate, mailbox: String, fields: String, variants: [String: String], initial: EnrollmentState
    ) -> Enrolment {
        let state = stored(initial)
        let encoded = FlatJSON.encode(variants)
        writes.enrolments.append((person, mailbox, fields, encoded, candidate.line, state, describe(initial)))
        let reference = Reference.new(writes.enrolments.count - 1)
        for key in CadenceDatabase.enrolmentKeys(campaign: campaignID, mailbox: mailbox, launch: launchID, variants: variants, day: launchDay) {
            enrolled[key, default: 0] += 1
        }
        return Enrolment(
            id: reference, launchID: launchID, line: candidate.line, stored: state, mailbox: mailbox, variants: encoded, createdAt: now, hasSends: false,
            lastStepAt: nil)
    }

    /// An enrolment this launch moved to the first step counts among that step's starts, as on SQLite.
    private func noteDue(_ state: StoredState) {
        if state.state == .active, state.stepId == firstStep, let due = state.dueAt { dueAtFirstStep.append(due) }
    }

    private func stored(_ state: EnrollmentState) -> StoredState {
        StoredState.launched(state, campaignPaused: campaignPaused)
    }

    /// Writes the batch: ids for its new people and enrolments from their sequences (one round trip), then the
    /// rows with `COPY` (people, enrolments, events) and the few updates one statement each.
    public func flush() async throws {
        defer {
            writes = Writes()
            known = [:]
        }
        guard !writes.isEmpty else { return }
        var candidateIDs: [Int64] = []
        var enrolmentIDs: [Int64] = []
        if !writes.candidates.isEmpty || !writes.enrolments.isEmpty {
            let row = try await connection.record(
                """
                SELECT ARRAY(SELECT nextval(pg_get_serial_sequence('candidate', 'id')::regclass) FROM generate_series(1, \(writes.candidates.count))) AS people,
                       ARRAY(SELECT nextval(pg_get_serial_sequence('enrollment', 'id')::regclass) FROM generate_series(1, \(writes.enrolments.count))) AS enrolments
                """, logger)
            candidateIDs = try (row?("people", as: [Int64].self) ?? []).sorted()
            enrolmentIDs = try (row?("enrolments", as: [Int64].self) ?? []).sorted()
        }
        func id(_ reference: Reference, _ new: [Int64]) -> Int64 {
            switch reference {
            case .stored(let id): id
            case .new(let index): new[index]
            }
        }
        let nowText = CopyText.timestamp(now)
        if !writes.candidates.isEmpty {
            var text = CopyText()
            for (index, person) in writes.candidates.enumerated() {
                text.row { row in
                    row.integer(candidateIDs[index])
                    row.text(person.key)
                    row.text(person.address)
                    row.text(person.fields)
                    row.text(person.timeZone)
                    row.raw(nowText)
                    row.raw(nowText)
                }
            }
            try await copy(text, into: "candidate", ["id", "addresskey", "address", "fields", "timezone", "createdat", "updatedat"])
        }
        if !writes.candidateUpdates.isEmpty {
            // People already in the database: their rows go to a scratch table with COPY and are updated in one
            // statement, so a file of people already known costs no round trip per row (their rows are locked).
            try await scratchTables()
            var text = CopyText()
            for update in writes.candidateUpdates {
                text.row { row in
                    row.integer(update.id)
                    row.text(update.address)
                    row.text(update.fields)
                    row.text(update.timeZone)
                }
            }
            try await connection.execute("TRUNCATE launchCandidateUpdate", logger)
            try await copy(text, into: "launchcandidateupdate", ["id", "address", "fields", "timezone"])
            try await connection.execute(
                """
                UPDATE candidate c SET address = u.address, fields = u.fields, timeZone = u.timeZone, updatedAt = \(now)
                FROM launchCandidateUpdate u WHERE c.id = u.id
                """, logger)
        }
        if !writes.enrolments.isEmpty {
            var text = CopyText()
            var dues = DueCache()
            for (index, enrolment) in writes.enrolments.enumerated() {
                text.row { row in
                    row.integer(enrolmentIDs[index])
                    row.text(campaignID)
                    row.integer(id(enrolment.candidate, candidateIDs))
                    row.text(enrolment.mailbox)
                    row.text(enrolment.fields)
                    row.text(enrolment.variants)
                    row.integer(Int64(enrolment.line))
                    row.text(launchID)
                    row.text(enrolment.state.state.rawValue)
                    row.text(enrolment.state.stepId)
                    if let due = enrolment.state.dueAt { row.raw(dues.text(due)) } else { row.null() }
                    row.text(enrolment.state.reason)
                    if let task = enrolment.state.taskId { row.integer(task) } else { row.null() }
                    row.raw(nowText)
                    row.raw(nowText)
                    row.text(actor)
                    row.text(enrolment.detail)
                }
            }
            try await copy(
                text, into: "enrollment",
                [
                    "id", "campaignid", "candidateid", "mailbox", "fields", "variants", "csvline", "launchid", "state", "stepid", "dueat", "reason", "taskid", "createdat",
                    "updatedat", "enrolledby", "enrolledas",
                ])
        }
        if !writes.enrolmentUpdates.isEmpty {
            try await scratchTables()
            var text = CopyText()
            var dues = DueCache()
            for update in writes.enrolmentUpdates {
                text.row { row in
                    row.integer(update.id)
                    row.text(update.state.state.rawValue)
                    row.text(update.state.stepId)
                    if let due = update.state.dueAt { row.raw(dues.text(due)) } else { row.null() }
                    row.text(update.state.reason)
                    if let task = update.state.taskId { row.integer(task) } else { row.null() }
                    row.text(update.fields)
                    row.text(update.variants)
                    row.integer(Int64(update.line))
                    row.raw(update.relaunched ? "t" : "f")
                }
            }
            try await connection.execute("TRUNCATE launchEnrolmentUpdate", logger)
            try await copy(
                text, into: "launchenrolmentupdate", ["id", "state", "stepid", "dueat", "reason", "taskid", "fields", "variants", "csvline", "relaunched"])
            // A held person not yet written to takes this launch and its variants; one past the first step keeps
            // theirs (what went out went out under them).
            try await connection.execute(
                """
                UPDATE enrollment e SET state = u.state, stepId = u.stepId, dueAt = u.dueAt, reason = u.reason, taskId = u.taskId, fields = u.fields,
                    variants = CASE WHEN u.relaunched THEN u.variants ELSE e.variants END,
                    launchId = CASE WHEN u.relaunched THEN \(launchID) ELSE e.launchId END,
                    csvLine = u.csvLine, updatedAt = \(now)
                FROM launchEnrolmentUpdate u WHERE e.id = u.id
                """, logger)
        }
        if !writes.events.isEmpty {
            var text = CopyText()
            for event in writes.events {
                text.row { row in
                    row.raw(nowText)
                    row.text(campaignID)
                    row.integer(id(event.candidate, candidateIDs))
                    row.integer(id(event.enrolment, enrolmentIDs))
                    row.text(event.kind.rawValue)
                    row.text(actor)
                    row.text(event.detail)
                }
            }
            try await copy(text, into: "event", ["at", "campaignid", "candidateid", "enrollmentid", "kind", "actor", "detail"])
        }
    }

    /// Creates the scratch tables for updates, once per launch; they go with the transaction.
    private func scratchTables() async throws {
        guard !scratchTablesMade else { return }
        try await connection.execute(
            "CREATE TEMPORARY TABLE launchCandidateUpdate (id BIGINT PRIMARY KEY, address TEXT NOT NULL, fields TEXT NOT NULL, timeZone TEXT) ON COMMIT DROP",
            logger)
        try await connection.execute(
            """
            CREATE TEMPORARY TABLE launchEnrolmentUpdate (
                id BIGINT PRIMARY KEY, state TEXT NOT NULL, stepId TEXT, dueAt TIMESTAMPTZ, reason TEXT, taskId BIGINT, fields TEXT NOT NULL,
                variants TEXT, csvLine INTEGER NOT NULL, relaunched BOOLEAN NOT NULL
            ) ON COMMIT DROP
            """, logger)
        scratchTablesMade = true
    }

    /// Adds the launch's enrolments to the counters: one write per mailbox and variant, not per person.
    func countEnrolments() async throws {
        for (key, count) in enrolled { try await PostgresStore.tally(key, .enrolled, count, connection, logger) }
        enrolled = [:]
    }

    private func copy(_ text: CopyText, into table: String, _ columns: [String]) async throws {
        try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
            try await writer.write(text.buffer)
        }
    }

    /// Due times as COPY text, each formatted once while it repeats (a launch's rows share a handful, in runs).
    private struct DueCache {
        var last: (date: Date, text: String)?
        mutating func text(_ date: Date) -> String {
            if let last, last.date == date { return last.text }
            let text = CopyText.timestamp(date)
            last = (date, text)
            return text
        }
    }
}
