import CadenceCore
import CadenceStore
import Foundation
import Logging
import PostgresNIO

/// `cadence tasks` on PostgreSQL: the manual steps (LinkedIn, calls) the runners open, listed and done by hand, by
/// the SQLite store's rules.
extension PostgresStore {
    public func openTasks(campaign: String?, actor: String, now: Date) async throws(StoreError) -> [OpenTask] {
        let logger = logger
        if let campaign { try await transaction { connection in try await Self.requireCampaign(campaign, connection, logger) } }
        _ = try await openDueTasks(actor: actor, now: now)
        return try await listOpenTasks(campaign: campaign)
    }

    public func listOpenTasks(campaign: String?) async throws(StoreError) -> [OpenTask] {
        let logger = logger
        return try await transaction { connection in
            if let campaign { try await Self.requireCampaign(campaign, connection, logger) }
            let rows = try await connection.records(
                """
                SELECT t.id, t.stepId, t.openedAt, t.dueAt, e.campaignId, e.fields, c.address FROM task t
                JOIN enrollment e ON e.id = t.enrollmentId
                    AND ((e.state = 'waitingOnTask' AND e.taskId = t.id) OR (t.stepId = \(CadenceDatabase.hotLeadStep) AND e.state <> 'stopped'))
                JOIN candidate c ON c.id = e.candidateId
                WHERE t.doneAt IS NULL AND (\(campaign)::text IS NULL OR e.campaignId = \(campaign)) ORDER BY t.openedAt, t.id
                """, logger)
            var definitions: [String: SequenceDefinition?] = [:]
            var tasks: [OpenTask] = []
            for row in rows {
                let campaignID: String = try row("campaignId")
                if definitions[campaignID] == nil { definitions[campaignID] = .some(try await Self.definition(campaignID, connection, logger)) }
                let stepID: String = try row("stepId")
                var title = "", instructions = ""
                if case .task(let task)? = definitions[campaignID]??.step(withID: stepID)?.kind {
                    title = task.title
                    instructions = task.instructions
                } else if stepID == CadenceDatabase.hotLeadStep {
                    (title, instructions) = CadenceDatabase.hotLeadTask
                }
                tasks.append(
                    OpenTask(
                        id: try row("id"), campaignID: campaignID, stepID: stepID, title: title, instructions: instructions, address: try row("address"),
                        fields: CadenceDatabase.decodeMap(try row("fields")), openedAt: try row("openedAt"), dueAt: try row("dueAt")))
            }
            return tasks
        }
    }

    public func completeTask(_ id: Int64, note: String?, actor: String, now: Date) async throws(StoreError) -> EnrollmentState {
        let logger = logger
        return try await transaction { connection in
            guard let task = try await connection.record("SELECT enrollmentId, stepId, doneAt FROM task WHERE id = \(id)", logger) else {
                throw StoreError.refused("no task \(id); `cadence tasks` lists the open ones")
            }
            // The person first, as every decision about them: a reply applied meanwhile lands before or after.
            guard let (enrollment, _) = try await Self.lockedEnrollment(try task("enrollmentId"), connection, logger) else {
                throw StoreError.refused("task \(id) is no longer open: its candidate's sequence has moved on or stopped")
            }
            // Read again under the lock: two people marking it done at once count it once.
            guard let locked = try await connection.record("SELECT doneAt FROM task WHERE id = \(id) FOR NO KEY UPDATE", logger) else {
                throw StoreError.refused("no task \(id); `cadence tasks` lists the open ones")
            }
            if let done = try locked("doneAt", as: Date?.self) {
                throw StoreError.refused("task \(id) was already done on \(Timestamps.display(done))")
            }
            let stepID: String = try task("stepId")
            if stepID == CadenceDatabase.hotLeadStep {
                try await Self.markDone(id, note: note, actor: actor, connection, logger, now: now)
                try await Self.event(enrollment, kind: .taskDone, actor: actor, detail: "task \(id) (hot lead)" + (note.map { ": \($0)" } ?? ""), connection, logger, now: now)
                return enrollment.stored.value
            }
            guard enrollment.stored.state == .waitingOnTask, enrollment.stored.taskId == id else {
                if enrollment.stored.state == .paused {
                    throw StoreError.refused("task \(id)'s candidate is paused; resume them (cadence resume --candidate EMAIL) before marking it done")
                }
                throw StoreError.refused("task \(id) is no longer open: its candidate's sequence has moved on or stopped")
            }
            try await Self.markDone(id, note: note, actor: actor, connection, logger, now: now)
            // Core's one rule for what comes next, in the candidate's zone.
            let next: EnrollmentState
            if let definition = try await Self.definition(enrollment.campaignId, connection, logger) {
                let zone = try await connection.record("SELECT timeZone FROM candidate WHERE id = \(enrollment.candidateId)", logger)?("timeZone", as: String?.self)
                next = NextStep.after(stepID, in: definition, candidateZone: zone, at: now)
            } else {
                next = .finished
            }
            try await Self.setState(enrollment.id, StoredState(next), connection, logger, now: now)
            try await Self.event(enrollment, kind: .taskDone, actor: actor, detail: "task \(id)" + (note.map { ": \($0)" } ?? ""), connection, logger, now: now)
            return next
        }
    }

    /// Marks the task done and counts it.
    static func markDone(_ id: Int64, note: String?, actor: String, _ connection: PostgresConnection, _ logger: Logger, now: Date) async throws {
        try await connection.execute("UPDATE task SET doneAt = \(now), doneBy = \(actor), note = \(note) WHERE id = \(id)", logger)
        try await countTaskDone(id, now: now, connection, logger)
    }

    /// Counts a task done for `stats`, under its step, mailbox and launch, on today in the campaign's zone.
    static func countTaskDone(_ id: Int64, now: Date, _ connection: PostgresConnection, _ logger: Logger) async throws {
        guard
            let row = try await connection.record(
                """
                SELECT e.campaignId, t.stepId, e.mailbox, e.launchId, c.timeZone FROM task t JOIN enrollment e ON e.id = t.enrollmentId
                JOIN campaign c ON c.id = e.campaignId WHERE t.id = \(id)
                """, logger)
        else { return }
        try await tally(
            TallyKey(
                campaign: try row("campaignId"), step: try row("stepId"), variant: "", mailbox: try row("mailbox"), launch: try row("launchId"),
                day: CadenceDatabase.reportingDay(now, CadenceDatabase.zone(named: try row("timeZone", as: String?.self) ?? "UTC"))), .tasksDone, 1, connection, logger)
    }
}
