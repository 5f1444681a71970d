import CadenceCore
import Foundation
import GRDB
import Synchronization

/// What `stats` counts, one column each of `stepTally`.
///
/// Each is kept in the transaction that writes the fact it counts, so `stats` sums a few thousand counter rows
/// instead of grouping millions of sends, events and replies. They must always equal a recount of the facts
/// (`recount`); the property test in `TallyRecountTests` holds them to it. `forget` leaves them as they are: an
/// erased person stays in the anonymous counts (docs/stats.md).
package enum TallyMeasure: String, CaseIterable, Sendable {
    case enrolled, sent, bounced, replied, repliedEventually, positive, unsubscribed, outOfOffice
    case opened, openedHuman, clicked, clickedHuman, unsubscribedByLink, tasksDone
}

/// One counter row: the campaign's step (empty for the campaign as a whole), the variant given (empty when the
/// step has none), the mailbox and launch of the person, and the event's day in the campaign's time zone.
package struct TallyKey: Hashable, Sendable {
    package var campaign: String
    package var step: String
    package var variant: String
    package var mailbox: String
    package var launch: String
    package var day: String

    package init(campaign: String, step: String, variant: String, mailbox: String, launch: String, day: String) {
        self.campaign = campaign
        self.step = step
        self.variant = variant
        self.mailbox = mailbox
        self.launch = launch
        self.day = day
    }
}

/// A fact counted once per person and step (`stepOutcome`): a reply, a bounce, the first open of a send. The row
/// remembers the counter it moved, so a fact that changes (a label, a click found to be a scanner's) moves the
/// same counter back.
package struct TallyOutcome: Hashable, Sendable {
    package var kind: TallyMeasure
    package var key: TallyKey
    /// For `replied`: seconds from the step's send to the reply, for the median time to first reply.
    package var seconds: Double?

    /// New outcomes in a fixed order (step, kind, day), so both stores number their rows alike whatever order a
    /// set gives.
    package static func inOrder(_ outcomes: Set<TallyOutcome>) -> [TallyOutcome] {
        outcomes.sorted { ($0.key.step, $0.kind.rawValue, $0.key.day) < ($1.key.step, $1.kind.rawValue, $1.key.day) }
    }

    package init(kind: TallyMeasure, key: TallyKey, seconds: Double? = nil) {
        self.kind = kind
        self.key = key
        self.seconds = seconds
    }
}

extension CadenceDatabase {
    /// Moves one counter in both tables: by day (`stepTally`) and all told (`stepTotal`).
    static func tally(_ key: TallyKey, _ measure: TallyMeasure, _ delta: Int, _ db: Database) throws {
        guard delta != 0 else { return }
        let column = measure.rawValue
        try db.cachedStatement(
            sql: """
                INSERT INTO stepTally (campaignId, stepId, variantId, mailbox, launchId, day, \(column)) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (campaignId, stepId, variantId, mailbox, launchId, day) DO UPDATE SET \(column) = \(column) + excluded.\(column)
                """
        ).execute(arguments: [key.campaign, key.step, key.variant, key.mailbox, key.launch, key.day, delta])
        try db.cachedStatement(
            sql: """
                INSERT INTO stepTotal (campaignId, stepId, variantId, mailbox, launchId, \(column)) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (campaignId, stepId, variantId, mailbox, launchId) DO UPDATE SET \(column) = \(column) + excluded.\(column)
                """
        ).execute(arguments: [key.campaign, key.step, key.variant, key.mailbox, key.launch, delta])
    }

    private static let zones = Mutex<[String: TimeZone]>([:])

    package static func zone(named name: String) -> TimeZone {
        zones.withLock { cache in
            if let zone = cache[name] { return zone }
            let zone = TimeZone(identifier: name) ?? TimeZone(identifier: "UTC")!
            cache[name] = zone
            return zone
        }
    }

    static func campaignZone(_ campaign: String, _ db: Database) throws -> TimeZone {
        zone(named: try String.fetchOne(db.cachedStatement(sql: "SELECT timeZone FROM campaign WHERE id = ?"), arguments: [campaign]) ?? "UTC")
    }

    package static func reportingDay(_ instant: Date, _ zone: TimeZone) -> String {
        ReportingDay.day(of: instant, in: zone).description
    }

    // MARK: Facts counted per person

    /// A person's incoming mail, read for every message, label and send that may change what they count for.
    static let personIncomingSQL = "SELECT class, label, receivedAt FROM incomingMessage WHERE enrollmentId = ? ORDER BY receivedAt, rowid"
    static let hasIncomingSQL = "SELECT EXISTS (SELECT 1 FROM incomingMessage WHERE enrollmentId = ?)"

    /// The kinds `syncPersonOutcomes` derives from a person's sends and incoming mail.
    package static let personKinds: [TallyMeasure] = [.replied, .bounced, .unsubscribed, .outOfOffice, .positive, .repliedEventually]

    /// What a person's sends and incoming mail count for, derived from the facts alone. Each incoming message
    /// counts for the last step sent to them before it arrived ("replied after this step"), once per step and
    /// kind; a reply also counts for every step sent before it ("replied eventually").
    static func derivedPersonOutcomes(enrollmentID: Int64, _ db: Database) throws -> [TallyOutcome] {
        guard
            let person = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT e.campaignId, e.launchId, c.timeZone FROM enrollment e JOIN campaign c ON c.id = e.campaignId WHERE e.id = ?"),
                arguments: [enrollmentID])
        else { return [] }
        let sends = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT stepId, variantId, mailbox, sentAt FROM sendRecord WHERE enrollmentId = ? AND state = 'sent' ORDER BY sentAt, id"),
            arguments: [enrollmentID]
        ).map { PersonFacts.Send(step: $0["stepId"], variant: $0["variantId"], mailbox: $0["mailbox"], at: $0["sentAt"]) }
        guard !sends.isEmpty else { return [] }
        let incoming = try Row.fetchAll(db.cachedStatement(sql: personIncomingSQL), arguments: [enrollmentID]).map {
            PersonFacts.Incoming(incomingClass: $0["class"], label: $0["label"], receivedAt: $0["receivedAt"])
        }
        return PersonFacts(
            campaign: person["campaignId"], launch: person["launchId"], zone: zone(named: person["timeZone"] ?? "UTC"), sends: sends, incoming: incoming
        ).outcomes()
    }

    /// Brings the person's counted outcomes in line with their facts: what is no longer true is taken back from
    /// the counter it moved, what is new is added. Called in every transaction that writes such a fact.
    static func syncPersonOutcomes(enrollmentID: Int64, _ db: Database) throws {
        try syncOutcomes(enrollmentID: enrollmentID, kinds: personKinds, derived: derivedPersonOutcomes(enrollmentID: enrollmentID, db), db)
    }

    /// `step`: only that step's outcomes (a send's own, after a burst), the person's others left as they are.
    static func syncOutcomes(enrollmentID: Int64, kinds: [TallyMeasure], step: String? = nil, derived: [TallyOutcome], _ db: Database) throws {
        let placeholders = kinds.map { _ in "?" }.joined(separator: ", ")
        let stored = try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT id, campaignId, stepId, variantId, mailbox, launchId, day, kind, seconds FROM stepOutcome WHERE enrollmentId = ? AND kind IN (\(placeholders))"
                    + (step == nil ? "" : " AND stepId = ?")),
            arguments: StatementArguments([enrollmentID] as [any DatabaseValueConvertible] + kinds.map(\.rawValue) + (step.map { [$0] } ?? [])))
        var wanted = Set(derived)
        for row in stored {
            guard let kind = TallyMeasure(rawValue: row["kind"]) else { continue }
            let outcome = TallyOutcome(
                kind: kind,
                key: TallyKey(
                    campaign: row["campaignId"], step: row["stepId"], variant: row["variantId"], mailbox: row["mailbox"], launch: row["launchId"],
                    day: row["day"]),
                seconds: row["seconds"])
            if wanted.remove(outcome) == nil {
                try db.cachedStatement(sql: "DELETE FROM stepOutcome WHERE id = ?").execute(arguments: [row["id"] as Int64])
                try tally(outcome.key, kind, -1, db)
            }
        }
        for outcome in TallyOutcome.inOrder(wanted) { try insertOutcome(outcome, enrollmentID: enrollmentID, db) }
    }

    /// Records the outcome and counts it, unless the person already has one of its kind at its step. Returns
    /// whether it was new.
    @discardableResult
    static func insertOutcome(_ outcome: TallyOutcome, enrollmentID: Int64, _ db: Database) throws -> Bool {
        let key = outcome.key
        try db.cachedStatement(
            sql: """
                INSERT INTO stepOutcome (enrollmentId, campaignId, stepId, variantId, mailbox, launchId, day, kind, seconds)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (enrollmentId, stepId, kind) DO NOTHING
                """
        ).execute(arguments: [enrollmentID, key.campaign, key.step, key.variant, key.mailbox, key.launch, key.day, outcome.kind.rawValue, outcome.seconds])
        guard db.changesCount == 1 else { return false }
        try tally(key, outcome.kind, 1, db)
        return true
    }

    // MARK: Facts counted per send

    /// The counter key of a send's facts on the day of `at`, or nil when the send's person was erased.
    static func sendTallyKey(_ sendRecordID: Int64, at: Date, _ db: Database) throws -> (key: TallyKey, enrollmentID: Int64)? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT s.campaignId, s.stepId, s.variantId, s.mailbox, s.enrollmentId, e.launchId, c.timeZone
                        FROM sendRecord s JOIN enrollment e ON e.id = s.enrollmentId JOIN campaign c ON c.id = s.campaignId WHERE s.id = ?
                        """), arguments: [sendRecordID])
        else { return nil }
        let key = TallyKey(
            campaign: row["campaignId"], step: row["stepId"], variant: row["variantId"], mailbox: row["mailbox"], launch: row["launchId"],
            day: reportingDay(at, zone(named: row["timeZone"] ?? "UTC")))
        return (key, row["enrollmentId"])
    }

    /// Counts a send's tracking event if it is the send's first of `kind` (first recorded, not earliest stamped).
    static func countTracking(_ kind: TallyMeasure, sendRecordID: Int64, at: Date, _ db: Database) throws {
        guard let (key, enrollmentID) = try sendTallyKey(sendRecordID, at: at, db) else { return }
        try insertOutcome(TallyOutcome(kind: kind, key: key), enrollmentID: enrollmentID, db)
    }

    /// After a burst made clicks a scanner's: the send's likely-human click, if one is left, is the first one
    /// recorded that still is; if none is, the send is no longer counted as clicked by a person.
    static func recountHumanClick(sendRecordID: Int64, _ db: Database) throws {
        guard let enrollmentID = try Int64.fetchOne(db, sql: "SELECT enrollmentId FROM sendRecord WHERE id = ?", arguments: [sendRecordID]) else { return }
        let human = TrackingEventClass.allCases.filter(\.isLikelyHuman).map(\.rawValue)
        let first = try Date.fetchOne(
            db,
            sql: """
                SELECT at FROM trackingEvent INDEXED BY trackingEventSend WHERE sendRecordId = ? AND kind = 'click'
                AND class IN (\(human.map { _ in "?" }.joined(separator: ", "))) ORDER BY id LIMIT 1
                """, arguments: StatementArguments([sendRecordID] as [any DatabaseValueConvertible] + human))
        let stepID = try String.fetchOne(db, sql: "SELECT stepId FROM sendRecord WHERE id = ?", arguments: [sendRecordID]) ?? ""
        let derived = try first.flatMap { try sendTallyKey(sendRecordID, at: $0, db) }.map { [TallyOutcome(kind: .clickedHuman, key: $0.key)] } ?? []
        // Only this send's step: the person's other sends keep theirs.
        try syncOutcomes(enrollmentID: enrollmentID, kinds: [.clickedHuman], step: stepID, derived: derived, db)
    }

    // MARK: Enrolments and sends

    /// The counters an enrolment adds to when it is created: the campaign's, and each step's variant it was given.
    package static func enrolmentKeys(campaign: String, mailbox: String, launch: String, variants: [String: String], day: String) -> [TallyKey] {
        [TallyKey(campaign: campaign, step: "", variant: "", mailbox: mailbox, launch: launch, day: day)]
            + variants.map { TallyKey(campaign: campaign, step: $0.key, variant: $0.value, mailbox: mailbox, launch: launch, day: day) }
    }

    static func countSent(recordID: Int64, at: Date, _ db: Database) throws {
        guard let (key, enrollmentID) = try sendTallyKey(recordID, at: at, db) else { return }
        try tally(key, .sent, 1, db)
        // Mail that came back before this send was recorded (a send reconciled late) may now count for this step.
        if try Bool.fetchOne(db.cachedStatement(sql: hasIncomingSQL), arguments: [enrollmentID]) == true {
            try syncPersonOutcomes(enrollmentID: enrollmentID, db)
        }
    }

    static func countTaskDone(taskID: Int64, at: Date, _ db: Database) throws {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT e.campaignId, t.stepId, e.mailbox, e.launchId, c.timeZone FROM task t JOIN enrollment e ON e.id = t.enrollmentId
                    JOIN campaign c ON c.id = e.campaignId WHERE t.id = ?
                    """, arguments: [taskID])
        else { return }
        try tally(
            TallyKey(
                campaign: row["campaignId"], step: row["stepId"], variant: "", mailbox: row["mailbox"], launch: row["launchId"],
                day: reportingDay(at, zone(named: row["timeZone"] ?? "UTC"))), .tasksDone, 1, db)
    }

    // MARK: Backfill

    /// Counts the facts of a database written before the counters existed, through the same functions that count
    /// them as they happen, in the order they happened.
    static func backfillTallies(_ db: Database, pageSize: Int = 10_000) throws {
        try forEachPage(
            db, pageSize: pageSize,
            """
            SELECT e.id, e.campaignId, e.mailbox, e.launchId, e.variants, e.createdAt, c.timeZone FROM enrollment e JOIN campaign c ON c.id = e.campaignId
            WHERE e.id > ? ORDER BY e.id LIMIT ?
            """
        ) { row in
            let day = reportingDay(row["createdAt"], zone(named: row["timeZone"]))
            for key in enrolmentKeys(campaign: row["campaignId"], mailbox: row["mailbox"], launch: row["launchId"], variants: decodeMap(row["variants"]), day: day) {
                try tally(key, .enrolled, 1, db)
            }
        }
        try forEachPage(db, pageSize: pageSize, "SELECT id, sentAt FROM sendRecord WHERE id > ? AND state = 'sent' AND enrollmentId IS NOT NULL ORDER BY id LIMIT ?") { row in
            guard let (key, _) = try sendTallyKey(row["id"], at: row["sentAt"], db) else { return }
            try tally(key, .sent, 1, db)
        }
        try forEachPage(db, pageSize: pageSize, "SELECT id, doneAt FROM task WHERE id > ? AND doneAt IS NOT NULL ORDER BY id LIMIT ?") { row in
            try countTaskDone(taskID: row["id"], at: row["doneAt"], db)
        }
        try forEachPage(db, pageSize: pageSize, "SELECT DISTINCT enrollmentId AS id FROM incomingMessage WHERE enrollmentId > ? ORDER BY enrollmentId LIMIT ?") { row in
            try syncPersonOutcomes(enrollmentID: row["id"], db)
        }
        let human = Set(TrackingEventClass.allCases.filter(\.isLikelyHuman).map(\.rawValue))
        try forEachPage(db, pageSize: pageSize, "SELECT id, sendRecordId, kind, class, at FROM trackingEvent WHERE id > ? ORDER BY id LIMIT ?") { row in
            let send: Int64 = row["sendRecordId"]
            let at: Date = row["at"]
            let isHuman = human.contains(row["class"])
            switch row["kind"] as String {
            case "open":
                try countTracking(.opened, sendRecordID: send, at: at, db)
                if isHuman { try countTracking(.openedHuman, sendRecordID: send, at: at, db) }
            case "click":
                try countTracking(.clicked, sendRecordID: send, at: at, db)
                if isHuman { try countTracking(.clickedHuman, sendRecordID: send, at: at, db) }
            case "unsubscribe": try countTracking(.unsubscribedByLink, sendRecordID: send, at: at, db)
            default: break
            }
        }
    }

    /// The rows of `sql`, read a page at a time in `id` order so a table of millions is never held in memory
    /// whole. `sql` selects `id` and takes two arguments: the last id seen and the page size.
    static func forEachPage(_ db: Database, pageSize: Int, _ sql: String, _ body: (Row) throws -> Void) throws {
        var after: Int64 = 0
        while true {
            let rows = try Row.fetchAll(db, sql: sql, arguments: [after, pageSize])
            for row in rows { try body(row) }
            guard rows.count == pageSize, let last: Int64 = rows.last?["id"] else { return }
            after = last
        }
    }
}
