import CadenceCore
import Foundation
import GRDB

extension CadenceDatabase {
    /// The campaign with its current version's files, or nil if it was never launched.
    public func storedCampaign(_ id: String) throws(StoreError) -> StoredCampaign? {
        try read { db in try Self.storedCampaign(id, db) }
    }

    public func storedCampaign(_ id: String) async throws(StoreError) -> StoredCampaign? {
        try await read { db in try Self.storedCampaign(id, db) }
    }

    static func storedCampaign(_ id: String, _ db: Database) throws -> StoredCampaign? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM campaign WHERE id = ?", arguments: [id]) else { return nil }
        let version: Int = row["version"]
        let state: CampaignState = row["state"]
        let digest =
            try String.fetchOne(
                db, sql: "SELECT digest FROM campaignVersion WHERE campaignId = ? AND version = ?", arguments: [id, version]) ?? ""
        let files = try Row.fetchAll(
            db, sql: "SELECT kind, path, content, digest FROM snapshotFile WHERE campaignId = ? AND version = ? ORDER BY kind, path",
            arguments: [id, version]
        ).map { file in
            SnapshotFile(
                kind: file["kind"] ?? .campaign, path: file["path"],
                content: Array((file["content"] as Data?) ?? Data()), digest: file["digest"])
        }
        return StoredCampaign(
            id: id, name: row["name"], sourcePath: row["sourcePath"], version: version, paused: state == .paused,
            stopped: state == .stopped, digest: digest, files: files)
    }

    /// Records `files` as the campaign's new current version (the first at launch).
    static func saveVersion(
        campaignID: String, name: String, sourcePath: String, digest: String, files: [SnapshotFile], at now: Date,
        actor: String, _ db: Database
    ) throws -> Int {
        let current = try Int.fetchOne(db, sql: "SELECT version FROM campaign WHERE id = ?", arguments: [campaignID])
        let version = (current ?? 0) + 1
        if current == nil {
            try db.execute(
                sql: "INSERT INTO campaign (id, name, sourcePath, version, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [campaignID, name, sourcePath, version, now, now])
        } else {
            try db.execute(
                sql: "UPDATE campaign SET name = ?, sourcePath = ?, version = ?, updatedAt = ? WHERE id = ?",
                arguments: [name, sourcePath, version, now, campaignID])
        }
        try db.execute(
            sql: "INSERT INTO campaignVersion (campaignId, version, digest, createdAt) VALUES (?, ?, ?, ?)",
            arguments: [campaignID, version, digest, now])
        for file in files {
            try db.execute(
                sql: "INSERT INTO snapshotFile (campaignId, version, kind, path, content, digest) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [campaignID, version, file.kind, file.path, Data(file.content), file.digest])
        }
        if let zone = try definition(campaignID, db)?.timeZone {
            try db.execute(sql: "UPDATE campaign SET timeZone = ? WHERE id = ?", arguments: [zone, campaignID])
        }
        try db.execute(
            sql: "INSERT INTO event (at, campaignId, kind, actor, detail) VALUES (?, ?, ?, ?, ?)",
            arguments: [now, campaignID, current == nil ? EventKind.campaignLaunched : .campaignUpdated, actor, "version \(version)"])
        return version
    }
}

extension CadenceDatabase {
    /// The refusal of an update whose decisions were made against a version another update has since replaced.
    package static func updatedMeanwhile(_ id: String, read: Int, current: Int) -> String {
        "\(id) was updated to version \(current) by someone else while this update was working from version \(read); nothing was changed. Run `cadence update \(id)` again."
    }

    /// The enrolment counts an update moves when it gives variants anew: out of the variant it had, into the one
    /// it has now, step by step.
    package static func variantChanges(from given: [String: String], to variants: [String: String]) -> [(step: String, variant: String, delta: Int)] {
        given.filter { variants[$0.key] != $0.value }.sorted { $0.key < $1.key }.map { ($0.key, $0.value, -1) }
            + variants.filter { given[$0.key] != $0.value }.sorted { $0.key < $1.key }.map { ($0.key, $0.value, 1) }
    }
}

/// An enrolment that a campaign update may move: in progress and not yet past its current step.
public struct UpdatableEnrollment: Sendable {
    public var id: Int64
    public var candidate: Candidate
    public var status: EnrollmentStatus
    public var stepID: String
    public var variants: [String: String]
    /// The fields a held enrolment lacks now.
    public var heldFields: [String]?
    /// When their last step was sent or done; nil before their first.
    public var lastStepAt: Date?

    package init(
        id: Int64, candidate: Candidate, status: EnrollmentStatus, stepID: String, variants: [String: String], heldFields: [String]?, lastStepAt: Date?
    ) {
        self.id = id
        self.candidate = candidate
        self.status = status
        self.stepID = stepID
        self.variants = variants
        self.heldFields = heldFields
        self.lastStepAt = lastStepAt
    }
}

extension CadenceDatabase {
    /// SQL for when the enrolment `enrollmentID` (a column) last had a step sent or done, or NULL: a step due after
    /// a hold is lifted waits its delay from there.
    static func lastStepAtSQL(_ enrollmentID: String) -> String {
        """
        NULLIF(MAX(COALESCE((SELECT MAX(sentAt) FROM sendRecord WHERE enrollmentId = \(enrollmentID) AND state = 'sent'), ''),
            COALESCE((SELECT MAX(doneAt) FROM task WHERE enrollmentId = \(enrollmentID)), '')), '')
        """
    }
}

extension CadenceDatabase {
    /// Records a new version of a launched campaign and lets `decide` give each in-progress enrolment its state
    /// under the new version (nil keeps it). One transaction. Returns how many enrolments changed.
    public func update(
        _ campaign: LaunchCampaign, replacing version: Int, actor: String, now: Date,
        decide: @escaping @Sendable (UpdatableEnrollment) -> (state: EnrollmentState, variants: [String: String])?
    ) async throws(StoreError) -> (version: Int, changed: Int) {
        try await write { db in try Self.update(campaign, replacing: version, actor: actor, now: now, decide: decide, db) }
    }

    static func update(
        _ campaign: LaunchCampaign, replacing read: Int, actor: String, now: Date,
        decide: (UpdatableEnrollment) -> (state: EnrollmentState, variants: [String: String])?, _ db: Database
    ) throws -> (version: Int, changed: Int) {
        try Self.requireCampaign(campaign.id, db)
        if let current = try Int.fetchOne(db, sql: "SELECT version FROM campaign WHERE id = ?", arguments: [campaign.id]), current != read {
            throw StoreError.refused(Self.updatedMeanwhile(campaign.id, read: read, current: current))
        }
        let version = try Self.saveVersion(
            campaignID: campaign.id, name: campaign.name, sourcePath: campaign.sourcePath, digest: campaign.digest,
            files: campaign.files, at: now, actor: actor, db)
        var changed = 0
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT e.*, c.address, c.timeZone AS candidateZone, \(Self.lastStepAtSQL("e.id")) AS lastStepAt FROM enrollment e JOIN candidate c ON c.id = e.candidateId
                WHERE e.campaignId = ? AND e.state IN (?, ?, ?, ?) ORDER BY e.id
                """, arguments: StatementArguments([campaign.id] as [any DatabaseValueConvertible] + EnrollmentStatus.inProgress))
        for joined in rows {
            guard case .success(let address) = EmailAddress.parse(joined["address"]) else { continue }
            let row = try EnrollmentRow(row: joined)
            let stored = row.stored
            let fields = Self.decodeMap(row.fields)
            let updatable = UpdatableEnrollment(
                id: row.id, candidate: Candidate(line: row.csvLine ?? 0, email: address, fields: fields, timeZone: joined["candidateZone"]),
                status: stored.state, stepID: stored.stepId ?? "", variants: Self.decodeMap(row.variants),
                heldFields: stored.state == .held ? stored.decodedReason?.fields : nil, lastStepAt: joined["lastStepAt"])
            guard let (state, variants) = decide(updatable) else { continue }
            if stored.state == .waitingOnTask, let task = stored.taskId {
                // Its step is gone: close the task, so it no longer shows as open.
                try db.execute(
                    sql: "UPDATE task SET doneAt = ?, doneBy = ?, note = 'closed: the step was removed by an update' WHERE id = ? AND doneAt IS NULL",
                    arguments: [now, actor, task])
                if db.changesCount == 1 { try Self.countTaskDone(taskID: task, at: now, db) }
            }
            let next = StoredState.updated(stored, to: state)
            let variantsJSON = String(decoding: (try? JSONEncoder().encode(variants)) ?? Data("{}".utf8), as: UTF8.self)
            try db.execute(sql: "UPDATE enrollment SET variants = ? WHERE id = ?", arguments: [variantsJSON, row.id])
            let given = Self.decodeMap(row.variants)
            if given != variants {
                // A variant given for a new step, or changed by the update: counted where it now is.
                let day = Self.reportingDay(row.createdAt, try Self.campaignZone(row.campaignId, db))
                func key(_ step: String, _ variant: String) -> TallyKey {
                    TallyKey(campaign: row.campaignId, step: step, variant: variant, mailbox: row.mailbox, launch: row.launchId, day: day)
                }
                for change in Self.variantChanges(from: given, to: variants) { try Self.tally(key(change.step, change.variant), .enrolled, change.delta, db) }
            }
            try Self.setState(row.id, next, db, now: now)
            try Self.event(row, kind: .campaignUpdated, actor: actor, detail: "version \(version): \(state.name) at \(state.step ?? "-")", db, now: now)
            changed += 1
        }
        return (version, changed)
    }
}
