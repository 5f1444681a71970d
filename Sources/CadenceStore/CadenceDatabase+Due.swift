import CadenceCore
import Foundation
import GRDB

/// A step that is due: what the runner needs to render and send it.
public struct DueStep: Sendable, Equatable {
    public var enrollmentID: Int64
    public var campaignID: String
    public var stepID: String
    public var dueAt: Date
    public var mailbox: String
    public var address: String
    public var fields: [String: String]
    public var timeZone: String?
    public var variants: [String: String]

    package init(enrollmentID: Int64, campaignID: String, stepID: String, dueAt: Date, mailbox: String, address: String, fields: [String: String], timeZone: String?, variants: [String: String]) {
        self.enrollmentID = enrollmentID
        self.campaignID = campaignID
        self.stepID = stepID
        self.dueAt = dueAt
        self.mailbox = mailbox
        self.address = address
        self.fields = fields
        self.timeZone = timeZone
        self.variants = variants
    }
}

extension CadenceDatabase {
    /// The active enrolments due by `now`, oldest first, at most `limit`.
    ///
    /// Reads through the partial index on `dueAt` (active rows only), so the cost grows with what is due, not with
    /// how many enrolments exist; `EXPLAIN QUERY PLAN` is checked in the tests.
    public func dueSteps(now: Date, limit: Int, mailboxes: [String]?) async throws(StoreError) -> [DueStep] {
        try await read { db in
            let statement: Statement
            var arguments: StatementArguments = [now]
            if let mailboxes {
                statement = try db.cachedStatement(sql: Self.dueQuery(mailboxes: mailboxes.count))
                arguments += StatementArguments(mailboxes)
            } else {
                statement = try db.cachedStatement(sql: Self.dueQuery)
            }
            arguments += [limit]
            return try Row.fetchAll(statement, arguments: arguments).map { row in
                DueStep(
                    enrollmentID: row["id"], campaignID: row["campaignId"], stepID: row["stepId"], dueAt: row["dueAt"],
                    mailbox: row["mailbox"], address: row["address"], fields: Self.decodeMap(row["fields"]), timeZone: row["timeZone"],
                    variants: Self.decodeMap(row["variants"]))
            }
        }
    }

    /// `'active'` is spelt out, not bound: SQLite reads a partial index only when the query's own WHERE implies
    /// the index's (`state = 'active'`), which a parameter does not.
    static let dueQuery = """
        SELECT e.id, e.campaignId, e.stepId, e.dueAt, e.mailbox, e.fields, e.variants, c.address, c.timeZone
        FROM enrollment e INDEXED BY enrollmentDue JOIN candidate c ON c.id = e.candidateId
        WHERE e.state = 'active' AND e.dueAt <= ? ORDER BY e.dueAt, e.id LIMIT ?
        """

    /// The due query for `count` mailboxes only.
    static func dueQuery(mailboxes count: Int) -> String {
        dueQuery.replacingOccurrences(
            of: "AND e.dueAt <= ?", with: "AND e.dueAt <= ? AND e.mailbox IN (\(Array(repeating: "?", count: count).joined(separator: ", ")))")
    }

    /// How SQLite runs the due query, for tests that keep it on its index.
    public func dueQueryPlan() throws(StoreError) -> [String] {
        try read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + Self.dueQuery, arguments: [Date(), 1]).map { $0["detail"] as String }
        }
    }
}

/// One send as a timeline shows it.
public struct TimelineEntry: Sendable, Equatable {
    public var at: Date
    public var campaignID: String
    public var stepID: String
    public var address: String
    public var timeZone: String?
}

extension CadenceDatabase {
    /// When the next active step falls due, if any.
    public func nextDueTime() throws(StoreError) -> Date? {
        // Spelt out for the partial index, as in `dueQuery`.
        try read { db in try Date.fetchOne(db, sql: "SELECT MIN(dueAt) FROM enrollment INDEXED BY enrollmentDue WHERE state = 'active'") }
    }

    /// Every send recorded, in order: what a simulation prints.
    public func timeline() throws(StoreError) -> [TimelineEntry] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT s.sentAt, s.campaignId, s.stepId, c.address, c.timeZone FROM sendRecord s
                    JOIN enrollment e ON e.id = s.enrollmentId JOIN candidate c ON c.id = e.candidateId
                    WHERE s.state = ? ORDER BY s.sentAt, s.id
                    """, arguments: [SendRecordState.sent]
            ).map { TimelineEntry(at: $0["sentAt"], campaignID: $0["campaignId"], stepID: $0["stepId"], address: $0["address"], timeZone: $0["timeZone"]) }
        }
    }

    /// Enrolments still in progress per campaign (to tell when a campaign is done).
    public func inProgressCount(campaign: String) throws(StoreError) -> Int {
        try read { db in
            try EnrollmentRow.filter(Column("campaignId") == campaign && [EnrollmentStatus.active, .waitingOnTask, .paused].contains(Column("state"))).fetchCount(db)
        }
    }
}
