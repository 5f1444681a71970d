import CadenceCore
import CadenceStore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// What the runner reads of campaigns on PostgreSQL: their files, due tasks, the forecast, and the pause a high
/// bounce rate calls for.
extension PostgresStore {
    public func storedCampaign(_ id: String) async throws(StoreError) -> StoredCampaign? {
        let logger = logger
        return try await transaction { connection in
            guard let row = try await connection.record("SELECT name, sourcePath, version, state FROM campaign WHERE id = \(id)", logger) else { return nil }
            let version = Int(try row("version", as: Int32.self))
            let state: String = try row("state")
            let digest: String =
                try await connection.record("SELECT digest FROM campaignVersion WHERE campaignId = \(id) AND version = \(Int32(version))", logger)?("digest") ?? ""
            let files = try await connection.records(
                """
                SELECT kind, path, content, digest FROM snapshotFile WHERE campaignId = \(id) AND version = \(Int32(version))
                ORDER BY kind COLLATE "C", path COLLATE "C"
                """, logger
            ).map { file in
                SnapshotFile(
                    kind: SnapshotFile.Kind(rawValue: try file("kind")) ?? .campaign, path: try file("path"),
                    content: Array(try file("content", as: ByteBuffer.self).readableBytesView), digest: try file("digest"))
            }
            return StoredCampaign(
                id: id, name: try row("name"), sourcePath: try row("sourcePath"), version: version, paused: state == CampaignState.paused.rawValue,
                stopped: state == CampaignState.stopped.rawValue, digest: digest, files: files)
        }
    }

    /// The current version's campaign definition, decoded from its snapshot.
    static func definition(_ campaignID: String, _ connection: PostgresConnection, _ logger: Logger) async throws -> SequenceDefinition? {
        guard
            let row = try await connection.record(
                """
                SELECT f.content, f.path FROM snapshotFile f JOIN campaign c ON c.id = f.campaignId AND c.version = f.version
                WHERE f.campaignId = \(campaignID) AND f.kind = \(SnapshotFile.Kind.campaign.rawValue)
                """, logger)
        else { return nil }
        return CadenceDatabase.definition(content: Array(try row("content", as: ByteBuffer.self).readableBytesView), path: try row("path"))
    }

    public func openDueTasks(actor: String, now: Date) async throws(StoreError) -> Int {
        let logger = logger
        return try await transaction { connection in
            var opened = 0
            for campaign in try await connection.records("SELECT id FROM campaign WHERE state = 'active' ORDER BY id COLLATE \"C\"", logger) {
                let id: String = try campaign("id")
                guard let definition = try await Self.definition(id, connection, logger) else { continue }
                if definition.tracking.hotLeads { opened += try await Self.openHotLeadTasks(campaign: id, definition, actor: actor, connection, logger, now: now) }
                let taskSteps = definition.steps.filter { if case .task = $0.kind { true } else { false } }.map(\.id)
                guard !taskSteps.isEmpty else { continue }
                let zone = CadenceDatabase.zone(named: definition.timeZone)
                for row in try await connection.records(
                    "SELECT id FROM enrollment WHERE campaignId = \(id) AND state = 'active' AND dueAt <= \(now) AND stepId = ANY(\(taskSteps)) ORDER BY id", logger)
                {
                    // Locked as every decision about a person is, and checked again under the lock.
                    guard let (enrollment, _) = try await Self.lockedEnrollment(try row("id"), connection, logger), enrollment.stored.state == .active,
                        let due = enrollment.stored.dueAt, due <= now, let stepID = enrollment.stored.stepId, taskSteps.contains(stepID)
                    else { continue }
                    var taskDue = TaskStep.defaultDue
                    if case .task(let task)? = definition.step(withID: stepID)?.kind { taskDue = task.due }
                    let dueAt = taskDue.earliest(after: now, timeZone: zone, holidays: definition.holidays)
                    try await connection.execute(
                        """
                        INSERT INTO task (enrollmentId, stepId, openedAt, dueAt) VALUES (\(enrollment.id), \(stepID), \(now), \(dueAt))
                        ON CONFLICT (enrollmentId, stepId) DO NOTHING
                        """, logger)
                    guard let task = try await connection.record("SELECT id FROM task WHERE enrollmentId = \(enrollment.id) AND stepId = \(stepID)", logger) else {
                        continue
                    }
                    let taskID: Int64 = try task("id")
                    try await Self.setState(enrollment.id, StoredState(.waitingOnTask(step: stepID, taskID: taskID)), connection, logger, now: now)
                    try await Self.event(enrollment, kind: .taskOpened, actor: actor, detail: "task \(taskID) for step \(stepID)", connection, logger, now: now)
                    opened += 1
                }
            }
            return opened
        }
    }

    /// A hot-lead task for each person in the campaign with a likely-human click settled past the burst window, no
    /// older than a week, and no hot-lead task yet, unless they were stopped: the SQLite store's rule.
    static func openHotLeadTasks(
        campaign: String, _ definition: SequenceDefinition, actor: String, _ connection: PostgresConnection, _ logger: Logger, now: Date
    ) async throws -> Int {
        let due = TaskStep.defaultDue.earliest(after: now, timeZone: CadenceDatabase.zone(named: definition.timeZone))
        let human = TrackingEventClass.allCases.filter(\.isLikelyHuman).map(\.rawValue)
        let rows = try await connection.records(
            """
            SELECT s.enrollmentId FROM trackingEvent t JOIN sendRecord s ON s.id = t.sendRecordId JOIN enrollment e ON e.id = s.enrollmentId
            WHERE t.kind = 'click' AND t.at > \(now.addingTimeInterval(-CadenceDatabase.hotLeadFreshness)) AND t.at < \(ClickBurst.settled(now: now))
            AND t.class = ANY(\(human)) AND s.campaignId = \(campaign) AND e.state <> 'stopped'
            AND NOT EXISTS (SELECT 1 FROM task k WHERE k.enrollmentId = s.enrollmentId AND k.stepId = \(CadenceDatabase.hotLeadStep))
            GROUP BY s.enrollmentId ORDER BY s.enrollmentId
            """, logger)
        var opened = 0
        for row in rows {
            let enrollmentID: Int64 = try row("enrollmentId")
            // Another runner may have opened it meanwhile: the unique (enrolment, step) keeps one.
            guard
                let task = try await connection.record(
                    """
                    INSERT INTO task (enrollmentId, stepId, openedAt, dueAt) VALUES (\(enrollmentID), \(CadenceDatabase.hotLeadStep), \(now), \(due))
                    ON CONFLICT (enrollmentId, stepId) DO NOTHING RETURNING id
                    """, logger)
            else { continue }
            opened += 1
            if let (enrollment, _) = try await lockedEnrollment(enrollmentID, connection, logger) {
                try await event(
                    enrollment, kind: .taskOpened, actor: actor, detail: "task \(try task("id", as: Int64.self)): hot lead, clicked a link", connection, logger, now: now)
            }
        }
        return opened
    }

    public func forecastSnapshot(now: Date) async throws(StoreError) -> ForecastSnapshot {
        let logger = logger
        return try await transaction { connection in
            var snapshot = ForecastSnapshot(
                people: [], pastSends: [], held: [:], paused: [:],
                campaigns: try await connection.records("SELECT id FROM campaign WHERE state <> 'stopped' ORDER BY id COLLATE \"C\"", logger).map { try $0("id") })
            for try await row in try await connection.query(
                """
                SELECT e.campaignId, e.mailbox, e.state, e.stepId, e.dueAt, e.reason, c.address, c.timeZone FROM enrollment e
                JOIN candidate c ON c.id = e.candidateId WHERE e.state IN ('active', 'waitingOnTask', 'held', 'paused') ORDER BY e.id
                """, logger: logger)
            {
                let row = PostgresRecord(row)
                guard let state = EnrollmentStatus(rawValue: try row("state")) else { continue }
                snapshot.add(
                    campaign: try row("campaignId"), mailbox: try row("mailbox"), address: try row("address"), zone: try row("timeZone"),
                    stored: StoredState(state: state, stepId: try row("stepId"), dueAt: try row("dueAt"), reason: try row("reason"), taskId: nil), now: now)
            }
            snapshot.pastSends = try await connection.records(
                "SELECT mailbox, campaignId, recipientDomain, sentAt FROM mailboxLedger WHERE sentAt > \(now.addingTimeInterval(-86_400)) ORDER BY sentAt", logger
            ).map {
                Forecast.PastSend(mailbox: try $0("mailbox"), campaign: try $0("campaignId"), domain: try $0("recipientDomain"), at: try $0("sentAt"))
            }
            return snapshot
        }
    }

    public func pause(_ selection: EnrollmentSelection, note: String?, actor: String, now: Date) async throws(StoreError) -> Int {
        let logger = logger
        return try await transaction { connection in
            let reason: PauseReason
            if case .campaign(let id) = selection {
                try await Self.setCampaignState(id, .paused, connection, logger, now: now)
                reason = .campaignPaused
            } else {
                reason = .manual(note: note)
            }
            var changed = 0
            for id in try await Self.selected(selection, connection, logger) {
                guard let (row, _) = try await Self.lockedEnrollment(id, connection, logger),
                    [EnrollmentStatus.active, .waitingOnTask, .held].contains(row.stored.state)
                else { continue }
                let current = row.stored
                try await Self.setState(
                    row.id, StoredState(.paused(step: current.stepId ?? "", reason: reason), previous: current.asPrevious), connection, logger, now: now)
                let campaignNote = reason == .campaignPaused ? note.map { $0.isEmpty ? "" : " (\($0))" } ?? "" : ""
                try await Self.event(row, kind: .paused, actor: actor, detail: reason.description + campaignNote, connection, logger, now: now)
                changed += 1
            }
            return changed
        }
    }

    /// Pauses or resumes a campaign as a whole: its row locked first (a launch into it finishes before, or starts
    /// after), a stopped campaign refused.
    static func setCampaignState(_ id: String, _ state: CampaignState, _ connection: PostgresConnection, _ logger: Logger, now: Date) async throws {
        try await requireCampaign(id, connection, logger)
        guard
            let campaign = try await connection.record("SELECT state FROM campaign WHERE id = \(id) FOR NO KEY UPDATE", logger),
            try campaign("state", as: String.self) != CampaignState.stopped.rawValue
        else { throw CadenceDatabase.stoppedCampaign(id) }
        try await connection.execute("UPDATE campaign SET state = \(state.rawValue), updatedAt = \(now) WHERE id = \(id)", logger)
    }

    static func requireCampaign(_ id: String, _ connection: PostgresConnection, _ logger: Logger) async throws {
        guard try await connection.record("SELECT 1 AS found FROM campaign WHERE id = \(id)", logger) == nil else { return }
        throw CadenceDatabase.unknownCampaign(
            id, known: try await connection.records("SELECT id FROM campaign ORDER BY id COLLATE \"C\"", logger).map { try $0("id") })
    }

    /// The enrolments a selection names, in the SQLite store's order (unlocked: the caller locks each).
    static func selected(_ selection: EnrollmentSelection, _ connection: PostgresConnection, _ logger: Logger) async throws -> [Int64] {
        switch selection {
        case .campaign(let id):
            return try await connection.records("SELECT id FROM enrollment WHERE campaignId = \(id) ORDER BY id", logger).map { try $0("id") }
        case .candidate(let key, let campaign):
            guard let candidate = try await connection.record("SELECT id FROM candidate WHERE addressKey = \(key)", logger) else {
                throw CadenceDatabase.unknownCandidate(key)
            }
            let candidateID: Int64 = try candidate("id")
            if let campaign {
                try await requireCampaign(campaign, connection, logger)
                let rows = try await connection.records(
                    "SELECT id FROM enrollment WHERE candidateId = \(candidateID) AND campaignId = \(campaign) ORDER BY id", logger)
                guard !rows.isEmpty else { throw CadenceDatabase.notEnrolled(key, in: campaign) }
                return try rows.map { try $0("id") }
            }
            return try await connection.records(
                "SELECT id FROM enrollment WHERE candidateId = \(candidateID) ORDER BY campaignId COLLATE \"C\"", logger
            ).map { try $0("id") }
        }
    }
}
