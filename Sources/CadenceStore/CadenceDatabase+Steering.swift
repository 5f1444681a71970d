import CadenceCore
import Foundation
import GRDB

/// Which enrolments a steering command applies to.
public enum EnrollmentSelection: Sendable, Equatable {
    case campaign(String)
    case candidate(addressKey: String, campaign: String?)
}

extension CadenceDatabase {
    /// Pauses the selected in-progress enrolments (a whole campaign also marks the campaign paused, so new
    /// launches start paused too). Returns how many changed.
    public func pause(_ selection: EnrollmentSelection, note: String?, actor: String, now: Date) throws(StoreError) -> Int {
        try write { db in try Self.pause(selection, note: note, actor: actor, db, now: now) }
    }

    /// The same, from the runner (a campaign whose bounce rate is too high).
    public func pause(_ selection: EnrollmentSelection, note: String?, actor: String, now: Date) async throws(StoreError) -> Int {
        try await write { db in try Self.pause(selection, note: note, actor: actor, db, now: now) }
    }

    static func pause(_ selection: EnrollmentSelection, note: String?, actor: String, _ db: Database, now: Date) throws -> Int {
        let reason: PauseReason
        if case .campaign(let id) = selection {
            try Self.requireCampaign(id, db)
            try Self.refuseStopped(id, db)
            try Self.setCampaignState(id, .paused, db, now: now)
            reason = .campaignPaused
        } else {
            reason = .manual(note: note)
        }
        var changed = 0
        for row in try Self.selected(selection, states: [.active, .waitingOnTask, .held], db) {
            let current = row.stored
            let paused = StoredState(.paused(step: current.stepId ?? "", reason: reason), previous: current.asPrevious)
            try Self.setState(row.id, paused, db, now: now)
            let campaignNote = reason == .campaignPaused ? note.map { $0.isEmpty ? "" : " (\($0))" } ?? "" : ""
            try Self.event(row, kind: .paused, actor: actor, detail: reason.description + campaignNote, db, now: now)
            changed += 1
        }
        return changed
    }

    /// Resumes paused enrolments where they were; a due time in the past becomes now. A person named by hand is
    /// also released from a hold.
    /// Resuming a campaign resumes what pausing the campaign paused; people paused by hand stay paused until
    /// resumed by hand. A person resumed by hand inside a paused campaign waits for the campaign.
    public func resume(_ selection: EnrollmentSelection, note: String?, actor: String, now: Date) throws(StoreError) -> Int {
        try write { db in try Self.resume(selection, note: note, actor: actor, db, now: now) }
    }

    public func resume(_ selection: EnrollmentSelection, note: String?, actor: String, now: Date) async throws(StoreError) -> Int {
        try await write { db in try Self.resume(selection, note: note, actor: actor, db, now: now) }
    }

    static func resume(_ selection: EnrollmentSelection, note: String?, actor: String, _ db: Database, now: Date) throws -> Int {
        var campaignResume = false
        if case .campaign(let id) = selection {
            try Self.requireCampaign(id, db)
            try Self.refuseStopped(id, db)
            try Self.setCampaignState(id, .active, db, now: now)
            campaignResume = true
        }
        var changed = 0
        if case .candidate = selection {
            // A hold waits for a person to look: resuming someone by hand says they have (the address or the
            // message was fixed). The runner checks their message again before it sends, so a hold whose cause
            // remains comes back with its reason instead of a broken email.
            // (A paused campaign pauses its held people too: those are released below, through their pause.)
            for row in try Self.selected(selection, states: [.held], db) {
                try Self.setState(row.id, StoredState(.active(nextStep: row.stored.stepId ?? "", dueAt: now)), db, now: now)
                try Self.event(row, kind: .resumed, actor: actor, detail: note ?? "", db, now: now)
                changed += 1
            }
        }
        for row in try Self.selected(selection, states: [.paused], db) {
            let campaignPaused = try !campaignResume && Self.campaignState(row.campaignId, db) == .paused
            guard let (state, event) = row.stored.resume(byHand: !campaignResume, campaignPaused: campaignPaused, note: note, now: now) else { continue }
            try Self.setState(row.id, state, db, now: now)
            guard let event else { continue }
            try Self.event(row, kind: .resumed, actor: actor, detail: event, db, now: now)
            changed += 1
        }
        return changed
    }

    /// Stops the selected in-progress enrolments for good.
    /// Stopping a whole campaign also closes it to new launches.
    public func stop(_ selection: EnrollmentSelection, reason: StopReason, actor: String, now: Date) throws(StoreError) -> Int {
        try write { db in try Self.stop(selection, reason: reason, actor: actor, db, now: now) }
    }

    public func stop(_ selection: EnrollmentSelection, reason: StopReason, actor: String, now: Date) async throws(StoreError) -> Int {
        try await write { db in try Self.stop(selection, reason: reason, actor: actor, db, now: now) }
    }

    static func stop(_ selection: EnrollmentSelection, reason: StopReason, actor: String, _ db: Database, now: Date) throws -> Int {
        if case .campaign(let id) = selection {
            try Self.requireCampaign(id, db)
            try Self.setCampaignState(id, .stopped, db, now: now)
        }
        var changed = 0
        for row in try Self.selected(selection, states: EnrollmentStatus.inProgress, db) {
            try Self.setState(row.id, StoredState(.stopped(reason)), db, now: now)
            try Self.event(row, kind: .stopped, actor: actor, detail: reason.description, db, now: now)
            changed += 1
        }
        return changed
    }

    static func requireCampaign(_ id: String, _ db: Database) throws {
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM campaign WHERE id = ?)", arguments: [id]) == true else {
            throw unknownCampaign(id, known: try String.fetchAll(db, sql: "SELECT id FROM campaign ORDER BY id"))
        }
    }

    /// The refusal for a campaign never launched, naming those that were.
    package static func unknownCampaign(_ id: String, known: [String]) -> StoreError {
        .refused(
            "no campaign \"\(id)\" has been launched" + (known.isEmpty ? "" : " (launched: \(known.joined(separator: ", ")))")
                + Suggestion.didYouMean(id, among: known))
    }

    package static func unknownCandidate(_ key: String) -> StoreError {
        .refused("no candidate \(key) is enrolled in any campaign")
    }

    package static func notEnrolled(_ key: String, in campaign: String) -> StoreError {
        .refused("\(key) is not enrolled in campaign \(campaign)")
    }

    package static func stoppedCampaign(_ id: String) -> StoreError {
        .refused("campaign \"\(id)\" was stopped; a stopped campaign cannot be paused or resumed")
    }

    static func refuseStopped(_ id: String, _ db: Database) throws {
        if try campaignState(id, db) == .stopped {
            throw stoppedCampaign(id)
        }
    }

    static func selected(_ selection: EnrollmentSelection, states: [EnrollmentStatus], _ db: Database) throws -> [EnrollmentRow] {
        let inStates = states.contains(Column("state"))
        switch selection {
        case .campaign(let id):
            return try EnrollmentRow.filter(Column("campaignId") == id && inStates).order(Column("id")).fetchAll(db)
        case .candidate(let key, let campaign):
            guard let candidateID = try Int64.fetchOne(db, sql: "SELECT id FROM candidate WHERE addressKey = ?", arguments: [key]) else {
                throw unknownCandidate(key)
            }
            if let campaign {
                try requireCampaign(campaign, db)
                guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM enrollment WHERE candidateId = ? AND campaignId = ?)", arguments: [candidateID, campaign]) == true else {
                    throw notEnrolled(key, in: campaign)
                }
                return try EnrollmentRow.filter(Column("candidateId") == candidateID && Column("campaignId") == campaign && inStates).fetchAll(db)
            }
            return try EnrollmentRow.filter(Column("candidateId") == candidateID && inStates).order(Column("campaignId")).fetchAll(db)
        }
    }

    static func setState(_ id: Int64, _ state: StoredState, _ db: Database, now: Date) throws {
        var arguments: StatementArguments = []
        state.bind(&arguments)
        arguments += [now, id]
        try db.execute(
            sql: "UPDATE enrollment SET state = ?, stepId = ?, dueAt = ?, reason = ?, taskId = ?, updatedAt = ? WHERE id = ?",
            arguments: arguments)
    }

    static func event(_ enrollment: EnrollmentRow, kind: EventKind, actor: String, detail: String, _ db: Database, now: Date) throws {
        try db.execute(
            sql: "INSERT INTO event (at, campaignId, candidateId, enrollmentId, kind, actor, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [now, enrollment.campaignId, enrollment.candidateId, enrollment.id, kind, actor, detail])
    }

    static func campaignState(_ id: String, _ db: Database) throws -> CampaignState? {
        try CampaignState.fetchOne(db, sql: "SELECT state FROM campaign WHERE id = ?", arguments: [id])
    }

    static func setCampaignState(_ id: String, _ state: CampaignState, _ db: Database, now: Date) throws {
        try db.execute(sql: "UPDATE campaign SET state = ?, updatedAt = ? WHERE id = ?", arguments: [state, now, id])
    }
}
