import CadenceCore
import CadenceStore
import Foundation
import Logging
import PostgresNIO

/// `cadence resume` and `cadence stop` on PostgreSQL (`pause` is beside the runner's reads: the runner pauses a
/// campaign whose bounces run high). What resuming does to each person is `StoredState.resume`, shared with SQLite;
/// each person is locked before they are changed, as every decision about them is.
extension PostgresStore {
    public func resume(_ selection: EnrollmentSelection, note: String?, actor: String, now: Date) async throws(StoreError) -> Int {
        let logger = logger
        return try await transaction { connection in
            var campaignResume = false
            if case .campaign(let id) = selection {
                try await Self.setCampaignState(id, .active, connection, logger, now: now)
                campaignResume = true
            }
            let ids = try await Self.selected(selection, connection, logger)
            var changed = 0
            if case .candidate = selection {
                // Released from a hold by hand, as on SQLite: the runner checks their message again before it sends.
                for id in ids {
                    guard let (row, _) = try await Self.lockedEnrollment(id, connection, logger), row.stored.state == .held else { continue }
                    try await Self.setState(row.id, StoredState(.active(nextStep: row.stored.stepId ?? "", dueAt: now)), connection, logger, now: now)
                    try await Self.event(row, kind: .resumed, actor: actor, detail: note ?? "", connection, logger, now: now)
                    changed += 1
                }
            }
            for id in ids {
                guard let (row, _) = try await Self.lockedEnrollment(id, connection, logger), row.stored.state == .paused else { continue }
                var campaignPaused = false
                if !campaignResume {
                    campaignPaused =
                        try await connection.record("SELECT state FROM campaign WHERE id = \(row.campaignId)", logger)?("state", as: String.self)
                        == CampaignState.paused.rawValue
                }
                guard let (state, event) = row.stored.resume(byHand: !campaignResume, campaignPaused: campaignPaused, note: note, now: now) else { continue }
                try await Self.setState(row.id, state, connection, logger, now: now)
                guard let event else { continue }
                try await Self.event(row, kind: .resumed, actor: actor, detail: event, connection, logger, now: now)
                changed += 1
            }
            return changed
        }
    }

    public func stop(_ selection: EnrollmentSelection, reason: StopReason, actor: String, now: Date) async throws(StoreError) -> Int {
        let logger = logger
        return try await transaction { connection in
            if case .campaign(let id) = selection {
                try await Self.requireCampaign(id, connection, logger)
                try await connection.execute("SELECT state FROM campaign WHERE id = \(id) FOR NO KEY UPDATE", logger)
                try await connection.execute("UPDATE campaign SET state = 'stopped', updatedAt = \(now) WHERE id = \(id)", logger)
            }
            var changed = 0
            for id in try await Self.selected(selection, connection, logger) {
                guard let (row, _) = try await Self.lockedEnrollment(id, connection, logger), EnrollmentStatus.inProgress.contains(row.stored.state) else { continue }
                try await Self.setState(row.id, StoredState(.stopped(reason)), connection, logger, now: now)
                try await Self.event(row, kind: .stopped, actor: actor, detail: reason.description, connection, logger, now: now)
                changed += 1
            }
            return changed
        }
    }
}
