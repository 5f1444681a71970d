import CadenceCore
import CadenceStore
import Foundation
import Logging
import PostgresNIO

/// `cadence update` and `cadence label` on PostgreSQL, by the SQLite store's rules; each person is locked (the
/// candidate, then the enrolment) before anything about them changes, as every writer does.
extension PostgresStore {
    public func update(
        _ campaign: CadenceDatabase.LaunchCampaign, replacing read: Int, actor: String, now: Date,
        decide: @escaping @Sendable (UpdatableEnrollment) -> (state: EnrollmentState, variants: [String: String])?
    ) async throws(StoreError) -> (version: Int, changed: Int) {
        let logger = logger
        return try await transaction { connection in
            try await Self.requireCampaign(campaign.id, connection, logger)
            // The campaign row first: a launch into it (which holds it for share) finishes before, or starts after.
            guard let current = try await connection.record("SELECT version FROM campaign WHERE id = \(campaign.id) FOR NO KEY UPDATE", logger) else {
                throw StoreError.refused("\(campaign.id) has not been launched")
            }
            let stored = Int(try current("version", as: Int32.self))
            guard stored == read else { throw StoreError.refused(CadenceDatabase.updatedMeanwhile(campaign.id, read: read, current: stored)) }
            let version = stored + 1
            try await Self.saveVersion(campaign, version: version, actor: actor, now: now, connection, logger)
            let zone = try await connection.record("SELECT timeZone FROM campaign WHERE id = \(campaign.id)", logger)?("timeZone", as: String.self) ?? "UTC"
            let states = EnrollmentStatus.inProgress.map(\.rawValue)
            // Everyone in progress, locked in one statement each: their candidates in id order, then their enrolments.
            try await connection.execute(
                """
                SELECT id FROM candidate WHERE id IN (SELECT candidateId FROM enrollment WHERE campaignId = \(campaign.id) AND state = ANY(\(states)))
                ORDER BY id FOR NO KEY UPDATE
                """, logger)
            let rows = try await connection.records(
                """
                SELECT e.id, e.candidateId, e.campaignId, e.mailbox, e.launchId, e.fields, e.variants, e.csvLine, e.createdAt,
                    e.state, e.stepId, e.dueAt, e.reason, e.taskId, c.address, c.timeZone AS candidateZone,
                    GREATEST((SELECT MAX(sentAt) FROM sendRecord WHERE enrollmentId = e.id AND state = 'sent'),
                        (SELECT MAX(doneAt) FROM task WHERE enrollmentId = e.id)) AS lastStepAt
                FROM enrollment e JOIN candidate c ON c.id = e.candidateId
                WHERE e.campaignId = \(campaign.id) AND e.state = ANY(\(states)) ORDER BY e.id FOR NO KEY UPDATE OF e
                """, logger)
            var changed = 0
            for joined in rows {
                guard case .success(let address) = EmailAddress.parse(try joined("address", as: String.self)) else { continue }
                let id: Int64 = try joined("id")
                let state: String = try joined("state")
                guard let status = EnrollmentStatus(rawValue: state) else { throw UnreadableValue(description: "enrollment \(id) has the state \(state)") }
                let stored = StoredState(
                    state: status, stepId: try joined("stepId"), dueAt: try joined("dueAt"), reason: try joined("reason"), taskId: try joined("taskId"))
                let given = CadenceDatabase.decodeMap(try joined("variants"))
                let updatable = UpdatableEnrollment(
                    id: id,
                    candidate: Candidate(
                        line: Int(try joined("csvLine", as: Int32?.self) ?? 0), email: address, fields: CadenceDatabase.decodeMap(try joined("fields")),
                        timeZone: try joined("candidateZone")),
                    status: status, stepID: stored.stepId ?? "", variants: given, heldFields: status == .held ? stored.decodedReason?.fields : nil,
                    lastStepAt: try joined("lastStepAt"))
                guard let (next, variants) = decide(updatable) else { continue }
                if status == .waitingOnTask, let task = stored.taskId {
                    // Its step is gone: close the task, so it no longer shows as open.
                    let closed = try await connection.records(
                        """
                        UPDATE task SET doneAt = \(now), doneBy = \(actor), note = 'closed: the step was removed by an update'
                        WHERE id = \(task) AND doneAt IS NULL RETURNING id
                        """, logger)
                    if !closed.isEmpty { try await Self.countTaskDone(task, now: now, connection, logger) }
                }
                let variantsJSON = String(decoding: (try? JSONEncoder().encode(variants)) ?? Data("{}".utf8), as: UTF8.self)
                try await connection.execute("UPDATE enrollment SET variants = \(variantsJSON) WHERE id = \(id)", logger)
                let mailbox: String = try joined("mailbox"), launch: String = try joined("launchId")
                let day = CadenceDatabase.reportingDay(try joined("createdAt"), CadenceDatabase.zone(named: zone))
                for change in CadenceDatabase.variantChanges(from: given, to: variants) {
                    let key = TallyKey(campaign: campaign.id, step: change.step, variant: change.variant, mailbox: mailbox, launch: launch, day: day)
                    try await Self.tally(key, .enrolled, change.delta, connection, logger)
                }
                try await Self.setState(id, StoredState.updated(stored, to: next), connection, logger, now: now)
                let enrollment = LockedEnrollment(
                    id: id, campaignId: campaign.id, candidateId: try joined("candidateId"), mailbox: mailbox, variants: variantsJSON, stored: stored)
                try await Self.event(
                    enrollment, kind: .campaignUpdated, actor: actor, detail: "version \(version): \(next.name) at \(next.step ?? "-")", connection, logger, now: now)
                changed += 1
            }
            return (version, changed)
        }
    }

    public func label(addressKey: String, campaign: String?, as label: ReplyLabel, actor: String, now: Date) async throws(StoreError) -> LabelledReply {
        let logger = logger
        return try await transaction { connection in
            guard let candidate = try await connection.record("SELECT id FROM candidate WHERE addressKey = \(addressKey) FOR NO KEY UPDATE", logger) else {
                throw StoreError.refused("no candidate \(addressKey) is enrolled in any campaign")
            }
            let candidateID: Int64 = try candidate("id")
            if let campaign { try await Self.requireCampaign(campaign, connection, logger) }
            let replies = try await connection.records(
                """
                SELECT i.mailbox, i.providerMessageId, i.receivedAt, i.label, e.campaignId, e.id AS enrollmentId FROM incomingMessage i
                JOIN enrollment e ON e.id = i.enrollmentId
                WHERE e.candidateId = \(candidateID) AND i.class IN ('reply', 'unparsed') AND (\(campaign)::text IS NULL OR e.campaignId = \(campaign))
                ORDER BY i.receivedAt DESC, i.seq DESC
                """, logger)
            guard let latest = replies.first else {
                throw StoreError.refused(
                    "no reply from \(addressKey) is recorded\(campaign.map { " in \($0)" } ?? ""); `cadence show \(addressKey)` lists what came back")
            }
            let campaigns = Array(Set(try replies.map { try $0("campaignId", as: String.self) })).sorted()
            if campaign == nil, campaigns.count > 1 {
                throw StoreError.refused(
                    "\(addressKey) replied in \(campaigns.count) campaigns (\(campaigns.joined(separator: ", "))); say which with --campaign")
            }
            let previous = try latest("label", as: String?.self).flatMap(ReplyLabel.init(rawValue:))
            let enrollmentID: Int64 = try latest("enrollmentId")
            let enrollment = try await Self.lockedEnrollmentRow(enrollmentID, connection, logger)
            try await connection.execute(
                """
                UPDATE incomingMessage SET label = \(label.rawValue)
                WHERE mailbox = \(try latest("mailbox", as: String.self)) AND providerMessageId = \(try latest("providerMessageId", as: String.self))
                """, logger)
            try await Self.syncPersonOutcomes(enrollmentID: enrollmentID, connection, logger)
            let receivedAt: Date = try latest("receivedAt")
            if let enrollment {
                try await Self.event(
                    enrollment, kind: .labelled, actor: actor,
                    detail: "reply of \(Timestamps.display(receivedAt)) labelled \(label.rawValue)" + (previous.map { " (was \($0.rawValue))" } ?? ""), connection,
                    logger, now: now)
            }
            return LabelledReply(campaignID: try latest("campaignId"), receivedAt: receivedAt, label: label, previous: previous)
        }
    }
}
