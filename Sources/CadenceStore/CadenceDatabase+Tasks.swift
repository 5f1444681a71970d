import CadenceCore
import Foundation
import GRDB

/// A manual step waiting for a person: `cadence tasks`.
public struct OpenTask: Sendable, Equatable {
    public var id: Int64
    public var campaignID: String
    public var stepID: String
    public var title: String
    public var instructions: String
    public var address: String
    public var fields: [String: String]
    public var openedAt: Date
    /// When it should be done (the step's `due`); nil for tasks opened before due times existed.
    public var dueAt: Date?

    package init(
        id: Int64, campaignID: String, stepID: String, title: String, instructions: String, address: String, fields: [String: String], openedAt: Date,
        dueAt: Date?
    ) {
        self.id = id
        self.campaignID = campaignID
        self.stepID = stepID
        self.title = title
        self.instructions = instructions
        self.address = address
        self.fields = fields
        self.openedAt = openedAt
        self.dueAt = dueAt
    }
}

extension CadenceDatabase {
    /// Opens a task for every active enrolment whose next step is a task and is due by `now`, then lists the open
    /// tasks (of one campaign, or all).
    /// The open tasks as they stand, opening none: for reports, which only read.
    public func listOpenTasks(campaign: String?) async throws(StoreError) -> [OpenTask] {
        try await read { db in
            if let campaign { try Self.requireCampaign(campaign, db) }
            return try Self.listOpenTasks(campaign: campaign, db)
        }
    }

    public func openTasks(campaign: String?, actor: String, now: Date) throws(StoreError) -> [OpenTask] {
        try write { db in
            if let campaign { try Self.requireCampaign(campaign, db) }
            _ = try Self.openDueTasks(actor: actor, db, now: now)
            return try Self.listOpenTasks(campaign: campaign, db)
        }
    }

    /// Opens a task for every active enrolment whose next step is a task and is due by `now`; returns how many it
    /// opened (counted as they are opened: a stored time is rounded, so it cannot tell afterwards).
    public func openDueTasks(actor: String, now: Date) async throws(StoreError) -> Int {
        try await write { db in try Self.openDueTasks(actor: actor, db, now: now) }
    }

    static func openDueTasks(actor: String, _ db: Database, now: Date) throws -> Int {
        var opened = 0
        for id in try String.fetchAll(db, sql: "SELECT id FROM campaign WHERE state = ?", arguments: [CampaignState.active]) {
            guard let definition = try Self.definition(id, db) else { continue }
            if definition.tracking.hotLeads { opened += try openHotLeadTasks(campaign: id, actor: actor, db, now: now) }
            let taskSteps = definition.steps.filter { if case .task = $0.kind { true } else { false } }.map(\.id)
            let zone = Self.zone(named: definition.timeZone)
            guard !taskSteps.isEmpty else { continue }
            let placeholders = taskSteps.map { _ in "?" }.joined(separator: ", ")
            for row in try EnrollmentRow.fetchAll(
                db, sql: "SELECT * FROM enrollment WHERE campaignId = ? AND state = ? AND dueAt <= ? AND stepId IN (\(placeholders))",
                arguments: StatementArguments([id, EnrollmentStatus.active, now] as [any DatabaseValueConvertible] + taskSteps))
            {
                let stepID = row.stepId ?? ""
                var due = TaskStep.defaultDue
                if case .task(let task)? = definition.step(withID: stepID)?.kind { due = task.due }
                try db.execute(
                    sql: "INSERT INTO task (enrollmentId, stepId, openedAt, dueAt) VALUES (?, ?, ?, ?) ON CONFLICT (enrollmentId, stepId) DO NOTHING",
                    arguments: [row.id, stepID, now, due.earliest(after: now, timeZone: zone, holidays: definition.holidays)])
                let taskID = try Int64.fetchOne(db, sql: "SELECT id FROM task WHERE enrollmentId = ? AND stepId = ?", arguments: [row.id, stepID])!
                try Self.setState(row.id, StoredState(.waitingOnTask(step: stepID, taskID: taskID)), db, now: now)
                try Self.event(row, kind: .taskOpened, actor: actor, detail: "task \(taskID) for step \(stepID)", db, now: now)
                opened += 1
            }
        }
        return opened
    }

    /// The step id of a hot-lead task: not a valid step id, so it never collides with one.
    package static let hotLeadStep = "@hot-lead"
    /// A hot-lead task's title and instructions, the same on every store.
    package static let hotLeadTask = (
        title: "Hot lead: follow up",
        instructions: "They clicked a link in this campaign's email. Reach out while the interest is fresh; their sequence goes on meanwhile."
    )
    /// How recent a click must be to open a hot-lead task: interest goes cold, and turning `hotLeads` on for a
    /// running campaign should not bury the team under last month's clicks.
    package static let hotLeadFreshness: TimeInterval = 7 * 86_400

    /// Opens a hot-lead task for each person in `campaign` with a likely-human click, settled past the burst
    /// window (so a scanner's first click never opens one), no older than a week, and no hot-lead task yet, unless
    /// they were stopped (replied, bounced, unsubscribed: the lead is handled or gone). Finished people count: a
    /// click on the last email is the commonest lead. The sequence goes on meanwhile.
    static func openHotLeadTasks(campaign: String, actor: String, _ db: Database, now: Date) throws -> Int {
        let due = TaskStep.defaultDue.earliest(after: now, timeZone: try campaignZone(campaign, db))
        let settled = ClickBurst.settled(now: now)
        let humanClasses = TrackingEventClass.allCases.filter(\.isLikelyHuman).map(\.rawValue)
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT s.enrollmentId, MIN(t.at) AS at FROM trackingEvent t
                JOIN sendRecord s ON s.id = t.sendRecordId
                JOIN enrollment e ON e.id = s.enrollmentId
                WHERE t.kind = 'click' AND t.at > ? AND t.at < ? AND t.class IN (\(humanClasses.map { _ in "?" }.joined(separator: ", ")))
                AND s.campaignId = ? AND e.state <> ?
                AND NOT EXISTS (SELECT 1 FROM task k WHERE k.enrollmentId = s.enrollmentId AND k.stepId = ?)
                GROUP BY s.enrollmentId ORDER BY s.enrollmentId
                """,
            arguments: StatementArguments(
                [now.addingTimeInterval(-hotLeadFreshness), settled] as [any DatabaseValueConvertible] + humanClasses + [campaign, EnrollmentStatus.stopped]
                    + [hotLeadStep]))
        for row in rows {
            let enrollmentID: Int64 = row["enrollmentId"]
            try db.execute(sql: "INSERT INTO task (enrollmentId, stepId, openedAt, dueAt) VALUES (?, ?, ?, ?)", arguments: [enrollmentID, hotLeadStep, now, due])
            if let enrollment = try EnrollmentRow.find(enrollmentID, db) {
                try Self.event(enrollment, kind: .taskOpened, actor: actor, detail: "task \(db.lastInsertedRowID): hot lead, clicked a link", db, now: now)
            }
        }
        return rows.count
    }

    static func listOpenTasks(campaign: String?, _ db: Database) throws -> [OpenTask] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT t.id, t.stepId, t.openedAt, t.dueAt, e.campaignId, e.fields, c.address FROM task t
                JOIN enrollment e ON e.id = t.enrollmentId
                    AND ((e.state = ? AND e.taskId = t.id) OR (t.stepId = ? AND e.state <> ?))
                JOIN candidate c ON c.id = e.candidateId
                WHERE t.doneAt IS NULL\(campaign == nil ? "" : " AND e.campaignId = ?") ORDER BY t.openedAt, t.id
                """,
            arguments: StatementArguments(
                [EnrollmentStatus.waitingOnTask, hotLeadStep, EnrollmentStatus.stopped] as [any DatabaseValueConvertible] + (campaign.map { [$0] } ?? [])))
        var definitions: [String: SequenceDefinition] = [:]
        return try rows.map { row in
            let campaignID: String = row["campaignId"]
            if definitions[campaignID] == nil { definitions[campaignID] = try Self.definition(campaignID, db) }
            var title = "", instructions = ""
            if case .task(let task)? = definitions[campaignID]?.step(withID: row["stepId"])?.kind {
                title = task.title
                instructions = task.instructions
            } else if row["stepId"] == hotLeadStep {
                (title, instructions) = hotLeadTask
            }
            return OpenTask(
                id: row["id"], campaignID: campaignID, stepID: row["stepId"], title: title, instructions: instructions,
                address: row["address"], fields: Self.decodeMap(row["fields"]), openedAt: row["openedAt"], dueAt: row["dueAt"])
        }
    }

    /// `openTasks`, for the store protocol.
    public func openTasks(campaign: String?, actor: String, now: Date) async throws(StoreError) -> [OpenTask] {
        try await write { db in
            if let campaign { try Self.requireCampaign(campaign, db) }
            _ = try Self.openDueTasks(actor: actor, db, now: now)
            return try Self.listOpenTasks(campaign: campaign, db)
        }
    }

    /// `completeTask`, for the store protocol.
    public func completeTask(_ id: Int64, note: String?, actor: String, now: Date) async throws(StoreError) -> EnrollmentState {
        try await write { db in try Self.completeTask(id, note: note, actor: actor, db, now: now) }
    }

    /// Marks task `id` done and moves its enrolment to the next step (due after that step's delay), or finishes it.
    /// Returns the enrolment's new state.
    public func completeTask(_ id: Int64, note: String?, actor: String, now: Date) throws(StoreError) -> EnrollmentState {
        try write { db in try Self.completeTask(id, note: note, actor: actor, db, now: now) }
    }

    static func completeTask(_ id: Int64, note: String?, actor: String, _ db: Database, now: Date) throws -> EnrollmentState {
        guard let task = try Row.fetchOne(db, sql: "SELECT * FROM task WHERE id = ?", arguments: [id]) else {
            throw StoreError.refused("no task \(id); `cadence tasks` lists the open ones")
        }
        if let done: Date = task["doneAt"] {
            throw StoreError.refused("task \(id) was already done on \(Timestamps.display(done))")
        }
        let enrollment = try EnrollmentRow.find(task["enrollmentId"], db)
        if task["stepId"] == Self.hotLeadStep, let enrollment {
            // A hot lead is a side task: done, the sequence where it was.
            try db.execute(sql: "UPDATE task SET doneAt = ?, doneBy = ?, note = ? WHERE id = ?", arguments: [now, actor, note, id])
            try Self.countTaskDone(taskID: id, at: now, db)
            try Self.event(enrollment, kind: .taskDone, actor: actor, detail: "task \(id) (hot lead)" + (note.map { ": \($0)" } ?? ""), db, now: now)
            return enrollment.stored.value
        }
        guard let enrollment, enrollment.state == .waitingOnTask, enrollment.taskId == id else {
            if enrollment?.state == .paused {
                throw StoreError.refused("task \(id)'s candidate is paused; resume them (cadence resume --candidate EMAIL) before marking it done")
            }
            throw StoreError.refused("task \(id) is no longer open: its candidate's sequence has moved on or stopped")
        }
        try db.execute(sql: "UPDATE task SET doneAt = ?, doneBy = ?, note = ? WHERE id = ?", arguments: [now, actor, note, id])
        try Self.countTaskDone(taskID: id, at: now, db)
        let next = try Self.advance(enrollment, after: task["stepId"], from: now, db)
        try Self.setState(enrollment.id, StoredState(next), db, now: now)
        try Self.event(enrollment, kind: .taskDone, actor: actor, detail: "task \(id)" + (note.map { ": \($0)" } ?? ""), db, now: now)
        return next
    }

    /// The state after `stepID` is done at `time`: Core's one rule, in the candidate's zone.
    static func advance(_ enrollment: EnrollmentRow, after stepID: String, from time: Date, _ db: Database) throws -> EnrollmentState {
        guard let definition = try definition(enrollment.campaignId, db) else { return .finished }
        let zone = try CandidateRow.find(enrollment.candidateId, db)?.timeZone
        return NextStep.after(stepID, in: definition, candidateZone: zone, at: time)
    }
}
