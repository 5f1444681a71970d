import CadenceCore
import Foundation
import GRDB

/// How many enrolments share one reason (held, paused or stopped), in words and in parts.
public struct ReasonCount: Sendable, Equatable {
    /// `missingFields`, `manual`, `campaignPaused`, `outOfOffice`, `replied`, `bounced`, `unsubscribed`.
    public var kind: String
    public var fields: [String]?
    public var note: String?
    public var until: Date?
    public var description: String
    public var count: Int
}

/// A campaign's enrolments counted by step and state, with reasons: `cadence status`.
public struct CampaignStatus: Sendable, Equatable {
    public struct StepCounts: Sendable, Equatable {
        public var stepID: String
        public var active = 0
        /// Active and due now (the runner would take them).
        public var due = 0
        public var waitingOnTask = 0
        public var held: [String: Int] = [:]
        public var paused: [String: Int] = [:]
        public var nextDue: Date?
        /// The same counts with each reason in parts, for `--format json`.
        public var heldReasons: [ReasonCount] = []
        public var pausedReasons: [ReasonCount] = []
        /// Active enrolments the runner postponed (outside the window, over a limit), by reason.
        public var waiting: [String: Int] = [:]
        /// Sends whose outcome is not known yet (the provider did not answer, or cannot be asked), by reason: they
        /// are asked about on every pass and never simply sent again.
        public var inDoubt: [String: Int] = [:]
    }

    public var id: String
    public var name: String
    public var version: Int
    public var paused: Bool
    public var steps: [StepCounts]
    public var stopped: [String: Int]
    public var stoppedReasons: [ReasonCount] = []
    public var finished: Int
    public var total: Int
}

/// One candidate across campaigns: `cadence show`.
public struct CandidateDetail: Sendable, Equatable {
    public struct Enrollment: Sendable, Equatable {
        /// The store's id, for the runner's and tests' own queries.
        public var id: Int64 = 0
        public var campaignID: String
        public var mailbox: String
        public var state: EnrollmentState
        public var variants: [String: String]
        public var csvLine: Int?
        public var events: [Event]

        package init(
            id: Int64, campaignID: String, mailbox: String, state: EnrollmentState, variants: [String: String], csvLine: Int?, events: [Event]
        ) {
            self.id = id
            self.campaignID = campaignID
            self.mailbox = mailbox
            self.state = state
            self.variants = variants
            self.csvLine = csvLine
            self.events = events
        }
    }

    public struct Event: Sendable, Equatable {
        public var at: Date
        public var kind: String
        public var actor: String
        public var detail: String

        package init(at: Date, kind: String, actor: String, detail: String) {
            self.at = at
            self.kind = kind
            self.actor = actor
            self.detail = detail
        }
    }

    public var address: String
    public var fields: [String: String]
    public var timeZone: String?
    public var enrollments: [Enrollment]

    package init(address: String, fields: [String: String], timeZone: String?, enrollments: [Enrollment]) {
        self.address = address
        self.fields = fields
        self.timeZone = timeZone
        self.enrollments = enrollments
    }
}

extension CadenceDatabase {
    public func status(campaign: String?, now: Date) throws(StoreError) -> [CampaignStatus] {
        try read { db in try Self.status(campaign: campaign, now: now, db) }
    }

    public func status(campaign: String?, now: Date) async throws(StoreError) -> [CampaignStatus] {
        try await read { db in try Self.status(campaign: campaign, now: now, db) }
    }

    /// Status inside a read the caller holds, so that reports built on it (stats) come from one snapshot.
    static func status(campaign: String?, now: Date, _ db: Database) throws -> [CampaignStatus] {
        if let campaign { try Self.requireCampaign(campaign, db) }
        let campaigns = try Row.fetchAll(
            db, sql: "SELECT id, name, version, state FROM campaign" + (campaign == nil ? "" : " WHERE id = ?") + " ORDER BY id",
            arguments: campaign.map { [$0] } ?? [])
        return try campaigns.map { row in
            let id: String = row["id"]
            let groups = try Row.fetchAll(
                db,
                sql: """
                    SELECT stepId, state, reason, COUNT(*) AS n, MIN(dueAt) AS nextDue, SUM(dueAt <= ?) AS due
                    FROM enrollment WHERE campaignId = ? GROUP BY stepId, state, reason ORDER BY stepId, state, reason
                    """, arguments: [now, id]
            ).map { group in
                CampaignStatus.Group(
                    stepID: group["stepId"], state: group["state"], reason: group["reason"], count: group["n"], nextDue: group["nextDue"], due: group["due"] ?? 0)
            }
            let doubts = try Row.fetchAll(
                db,
                sql: """
                    SELECT stepId, COALESCE(error, 'recorded, not yet confirmed') AS why, COUNT(*) AS n FROM sendRecord
                    WHERE campaignId = ? AND state IN (?, ?) GROUP BY stepId, why ORDER BY stepId, why
                    """, arguments: StatementArguments([id] as [any DatabaseValueConvertible] + SendRecordState.inDoubt)
            ).map { CampaignStatus.Doubt(stepID: $0["stepId"], why: $0["why"], count: $0["n"]) }
            return CampaignStatus.build(
                id: id, name: row["name"], version: row["version"], paused: row["state"] == CampaignState.paused,
                order: try Self.definition(id, db)?.steps.map(\.id) ?? [], groups: groups, doubts: doubts)
        }
    }

    public func candidate(_ addressKey: String) throws(StoreError) -> CandidateDetail? {
        try read { db in try Self.candidate(addressKey, db) }
    }

    public func candidate(_ addressKey: String) async throws(StoreError) -> CandidateDetail? {
        try await read { db in try Self.candidate(addressKey, db) }
    }

    static func candidate(_ addressKey: String, _ db: Database) throws -> CandidateDetail? {
        guard let candidate = try Row.fetchOne(db, sql: "SELECT * FROM candidate WHERE addressKey = ?", arguments: [addressKey]) else { return nil }
        let enrollments = try Row.fetchAll(db, sql: "SELECT * FROM enrollment WHERE candidateId = ? ORDER BY createdAt, campaignId", arguments: [candidate["id"]])
        return CandidateDetail(
            address: candidate["address"], fields: Self.decodeMap(candidate["fields"]), timeZone: candidate["timeZone"],
            enrollments: try enrollments.map { row in
                // Opens and clicks read like the other events, in time order among them.
                let events = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT at, kind, actor, detail FROM (
                            SELECT at, kind, actor, detail, 0 AS source, id FROM event WHERE enrollmentId = ?
                            UNION ALL
                            SELECT \(Self.enrolledAsEventSQL), 0, 0 FROM enrollment WHERE id = ? AND enrolledAs IS NOT NULL
                            UNION ALL
                            SELECT \(Self.trackingAsEventSQL), 1, t.id
                            FROM trackingEvent t JOIN sendRecord s ON s.id = t.sendRecordId WHERE s.enrollmentId = ?
                        ) ORDER BY at, source, id
                        """, arguments: [row["id"], row["id"], row["id"]])
                return .init(
                    id: row["id"], campaignID: row["campaignId"], mailbox: row["mailbox"], state: StoredState(row: row).value,
                    variants: Self.decodeMap(row["variants"]), csvLine: row["csvLine"],
                    events: events.map { .init(at: $0["at"], kind: $0["kind"], actor: $0["actor"], detail: $0["detail"]) })
            })
    }

    /// The first line of an enrolment's history, kept on its row (v15-enrolled-inline), as the event it was: at,
    /// kind, actor, detail. It comes before the enrolment's events of the same instant. Both stores read it so.
    package static let enrolledAsEventSQL = "createdAt AS at, 'enrolled' AS kind, enrolledBy AS actor, enrolledAs AS detail"

    /// An open, click or unsubscribe (`t`, of send `s`) as a line of `show`'s history: at, kind, actor, detail.
    /// Both stores read it so.
    package static let trackingAsEventSQL = """
        t.at, CASE t.kind WHEN 'open' THEN 'opened' WHEN 'click' THEN 'clicked' ELSE 'unsubscribedByLink' END,
            'tracking', 'step ' || s.stepId || CASE WHEN t.link IS NULL THEN '' ELSE ', link ' || t.link END
                || ', ' || CASE t.class WHEN 'human' THEN 'likely human' ELSE t.class END
                || CASE WHEN t.isRepeat THEN ' (repeat)' ELSE '' END
        """

    package static func decodeMap(_ json: String?) -> [String: String] {
        guard let json, let map = try? JSONDecoder().decode([String: String].self, from: Data(json.utf8)) else { return [:] }
        return map
    }

    /// A campaign's definition from its snapshot file, as both stores decode it.
    package static func definition(content: [UInt8], path: String) -> SequenceDefinition? {
        SequenceDecoder.decode(content, file: path).campaign?.definition
    }

    /// The current version's campaign definition, decoded from its snapshot.
    static func definition(_ campaignID: String, _ db: Database) throws -> SequenceDefinition? {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT f.content, f.path FROM snapshotFile f JOIN campaign c ON c.id = f.campaignId AND c.version = f.version
                    WHERE f.campaignId = ? AND f.kind = ?
                    """, arguments: [campaignID, SnapshotFile.Kind.campaign])
        else { return nil }
        let content: Data = row["content"]
        return definition(content: Array(content), path: row["path"])
    }
}
