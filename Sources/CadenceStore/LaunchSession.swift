import CadenceCore
import Foundation
import GRDB
import GRDBSQLite

/// Why a row of a launch's CSV was not enrolled.
public enum SkipReason: Sendable, Equatable, Hashable {
    /// The same person (by normalised address) appears earlier in the file.
    case duplicateInFile(firstLine: Int)
    /// Already enrolled in this campaign, in this state: a relaunch never re-emails anyone.
    case alreadyEnrolled(state: EnrollmentStatus)
    /// In progress in another campaign (without `--allow-concurrent`).
    case inProgressElsewhere(campaign: String)
    case suppressedAddress
    case suppressedDomain(String)

    public var description: String {
        switch self {
        case .duplicateInFile(let line): "duplicate of line \(line)"
        case .alreadyEnrolled(let state): "already enrolled in this campaign (\(state.rawValue))"
        case .inProgressElsewhere(let campaign): "in progress in campaign \(campaign)"
        case .suppressedAddress: "suppressed address"
        case .suppressedDomain(let domain): "suppressed domain \(domain)"
        }
    }

    /// The reason without its details, for counting.
    public var category: String {
        switch self {
        case .duplicateInFile: "duplicate in the file"
        case .alreadyEnrolled: "already enrolled in this campaign"
        case .inProgressElsewhere: "in progress in another campaign"
        case .suppressedAddress: "suppressed address"
        case .suppressedDomain: "suppressed domain"
        }
    }
}

/// What became of one row.
public enum EnrollOutcome: Sendable, Equatable {
    case enrolled(EnrollmentState)
    /// A held enrolment from an earlier launch, given this row's fields and checked again.
    case updated(EnrollmentState)
    case skipped(SkipReason)
}

/// One launch, inside one write transaction: every row is enrolled, updated or skipped by the same rules, and
/// nothing is kept unless the whole launch commits.
public final class LaunchSession: LaunchEnrolling {
    let db: Database
    let campaignID: String
    let launchID: String
    let actor: String
    let now: Date
    let allowConcurrent: Bool
    /// New enrolments in a paused campaign start paused, and resume with it.
    let campaignPaused: Bool
    /// Enrolments this launch updated in place (their launch stays the first), by the line that did it: a later
    /// row for the same person is a duplicate in the file.
    private var updatedHere: [Int64: Int] = [:]
    private let suppressed: LaunchSuppression
    /// `now` as SQLite stores it, formatted once: formatting a date per row costs more than the insert.
    private let nowValue: DatabaseValue
    private var dueValues: [Date: DatabaseValue] = [:]
    private var lastDue: (date: Date, value: DatabaseValue)?
    /// How many formatted due dates are kept: a launch of a million people can have a million due times.
    static let dueValueCacheLimit = 4_096
    var cachedDueValues: Int { dueValues.count }
    /// New enrolments (each with the first line of its history) not yet written: they go many rows per statement, which is
    /// most of a launch's speed. Anything that reads enrolments in this launch writes them first (`flush`).
    private var pending: [PendingEnrollment] = []
    private var nextEnrollmentID: Int64?
    /// New people of the batch not yet written, with the ids given them (the launch holds the write lock): they go
    /// in with their enrolments, many per statement.
    private var pendingPeople: [PendingPerson] = []
    private var nextCandidateID: Int64?
    /// The batch `prepare` looked up: its addresses, and which of them the database (or this launch, since) holds.
    /// A row outside it is looked up on its own.
    private var batch: (keys: Set<String>, known: [String: Int64])?
    /// The batch `prepare` was given: its people's keys, addresses and fields as stored. Pending rows point into
    /// it until written (`prepare` writes them before taking the next batch).
    private var prepared: LaunchBatch?
    /// Where in `prepared` the next row placed probably is.
    private var nextPrepared = 0
    static let batchSize = 200  // 200 rows × 17 columns stays far below SQLite's limit on bound values
    /// The enrolments counted for `stats`, written once when the launch commits rather than per row.
    private var enrolled: [TallyKey: Int] = [:]
    /// New enrolments by mailbox and variants (as stored): turned into counter keys once, when the launch
    /// commits, rather than six texts hashed per row.
    private var enrolledNew: [NewEnrolments: Int] = [:]

    private struct NewEnrolments: Hashable {
        var mailbox: String
        var variants: String
    }
    private let launchDay: String

    init(db: Database, campaignID: String, launchID: String, actor: String, now: Date, allowConcurrent: Bool) throws {
        self.db = db
        self.campaignID = campaignID
        self.launchID = launchID
        self.actor = actor
        self.now = now
        self.allowConcurrent = allowConcurrent
        nowValue = now.databaseValue
        launchDay = CadenceDatabase.reportingDay(now, try CadenceDatabase.campaignZone(campaignID, db))
        campaignPaused = try CadenceDatabase.campaignState(campaignID, db) == .paused
        suppressed = LaunchSuppression(try Row.fetchAll(db, sql: "SELECT kind, value FROM suppression").map { (kind: $0["kind"], value: $0["value"]) })
    }

    /// When the enrolments already at `stepID` are due: for spreading new starts over days.
    public func dueTimes(atStep stepID: String) throws -> [Date] {
        try flush()
        return try Date.fetchAll(
            db, sql: "SELECT dueAt FROM enrollment WHERE campaignId = ? AND state = ? AND stepId = ?", arguments: [campaignID, EnrollmentStatus.active, stepID])
    }

    /// Whether the suppression list forbids writing to this address; checked again before every send.
    public func suppression(of key: String, domain: String) -> SkipReason? {
        suppressed.reason(for: key, domain: domain)
    }

    /// Looks up the people of the next rows in one query, so that `enroll` writes the new ones with their
    /// enrolments, many per statement, instead of trying an insert per row. Returns the batch before, written and
    /// no longer needed, so the caller can free it elsewhere (the launch frees it on its reading thread).
    @discardableResult
    public func prepare(_ rows: LaunchBatch) throws -> LaunchBatch? {
        try flush()
        let previous = prepared
        prepared = rows
        nextPrepared = 0
        let keys = Set(rows.keys)
        var known: [String: Int64] = [:]
        for start in stride(from: 0, to: rows.keys.count, by: 500) {
            // A key twice in the list is looked up once: `IN` makes a set of it.
            let chunk = rows.keys[start..<min(rows.keys.count, start + 500)]
            var lookup = BulkInsert(try statement("SELECT addressKey, id FROM candidate WHERE addressKey IN ", columns: chunk.count, rows: 1), in: db, texts: texts)
            for key in chunk { lookup.bind(key) }
            try lookup.forEachRow { row in
                known[String(cString: sqlite3_column_text(row, 0))] = sqlite3_column_int64(row, 1)
            }
        }
        batch = (keys, known)
        return previous
    }

    public func enroll(
        _ candidate: Candidate, mailbox: String, variants: [String: String], initial: EnrollmentState,
        atHeldStep: ((_ step: String, _ lastStepAt: Date?) -> EnrollmentState)? = nil
    ) throws -> EnrollOutcome {
        let index = prepared?.index(of: candidate, hint: nextPrepared)
        if let index { nextPrepared = index + 1 }
        let key = index.map { prepared!.keys[$0] } ?? AddressKey.normalized(candidate.email)
        if let reason = suppression(of: key, domain: candidate.email.domain) { return .skipped(reason) }
        if let batch, batch.keys.contains(key), batch.known[key] == nil {
            // Someone the database does not hold: written with the batch's enrolments.
            let id = try newCandidateID()
            nextCandidateID = id + 1
            self.batch?.known[key] = id
            let fields: StoredFields = index.map { .prepared($0) } ?? .text(FlatJSON.encode(candidate.fields))
            let address = index.map { prepared!.addresses[$0] } ?? candidate.email.description
            pendingPeople.append(PendingPerson(id: id, key: key, address: address, fields: fields, timeZone: candidate.timeZone))
            try insertEnrollment(candidateID: id, candidate, mailbox: mailbox, fields: fields, variants: variants, initial: initial)
            return .enrolled(initial)
        }
        let fields = index.map { prepared!.fieldsText($0) } ?? FlatJSON.encode(candidate.fields)
        // Outside a looked-up batch, most rows are new people: try the insert first, and look the person up only
        // when they exist.
        // Ids come from the session's own count, as the batch's do: SQLite's numbering would not know the ids given
        // to people not yet written.
        if batch?.keys.contains(key) != true,
            let newID = try Int64.fetchOne(
                db.cachedStatement(
                    sql: """
                        INSERT INTO candidate (id, addressKey, address, fields, timeZone, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (addressKey) DO NOTHING RETURNING id
                        """),
                arguments: [try newCandidateID(), key, candidate.email.description, fields, candidate.timeZone, nowValue, nowValue])
        {
            nextCandidateID = newID + 1
            try insertEnrollment(candidateID: newID, candidate, mailbox: mailbox, fields: .text(fields), variants: variants, initial: initial)
            return .enrolled(initial)
        }
        // Someone already in the database, perhaps from earlier in this file: what is pending must be readable.
        try flush()
        let existingCandidate = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT id FROM candidate WHERE addressKey = ?"), arguments: [key])
        if let candidateID = existingCandidate {
            if let existing = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT id, launchId, csvLine, state, stepId, dueAt, reason, taskId, mailbox, variants, createdAt,
                               EXISTS (SELECT 1 FROM sendRecord WHERE enrollmentId = enrollment.id) AS hasSends,
                               \(CadenceDatabase.lastStepAtSQL("enrollment.id")) AS lastStepAt
                        FROM enrollment WHERE campaignId = ? AND candidateId = ?
                        """),
                arguments: [campaignID, candidateID])
            {
                if existing["launchId"] as String == launchID {
                    return .skipped(.duplicateInFile(firstLine: existing["csvLine"] ?? 0))
                }
                let state = StoredState(row: existing)
                if let firstLine = updatedHere[existing["id"] as Int64] { return .skipped(.duplicateInFile(firstLine: firstLine)) }
                guard state.state == .held else { return .skipped(.alreadyEnrolled(state: state.state)) }
                // Past the first step (a send, or a task done): their place in the sequence is kept.
                if existing["hasSends"] as Bool || (initial.step.map { $0 != state.stepId } ?? false) {
                    guard let atHeldStep, let step = state.stepId, state.decodedReason?.kind == .missingFields else {
                        return .skipped(.alreadyEnrolled(state: state.state))
                    }
                    let next = atHeldStep(step, existing["lastStepAt"])
                    try updateCandidate(candidateID, candidate, key: key, fields: fields)
                    var arguments: StatementArguments = []
                    bind(stored(next), &arguments)
                    arguments += [fields, candidate.line, nowValue, existing["id"] as Int64]
                    try db.cachedStatement(
                        sql: "UPDATE enrollment SET state = ?, stepId = ?, dueAt = ?, reason = ?, taskId = ?, fields = ?, csvLine = ?, updatedAt = ? WHERE id = ?"
                    ).execute(arguments: arguments)
                    try event(enrollmentID: existing["id"], candidateID: candidateID, kind: .fieldsUpdated, detail: describe(next))
                    updatedHere[existing["id"]] = candidate.line
                    return .updated(next)
                }
                // A held candidate not yet written to: take the corrected row and check it again.
                try updateCandidate(candidateID, candidate, key: key, fields: fields)
                var arguments: StatementArguments = []
                bind(stored(initial), &arguments)
                arguments += [fields, FlatJSON.encode(variants), candidate.line, launchID, nowValue, existing["id"] as Int64]
                try db.cachedStatement(
                    sql: """
                        UPDATE enrollment SET state = ?, stepId = ?, dueAt = ?, reason = ?, taskId = ?,
                            fields = ?, variants = ?, csvLine = ?, launchId = ?, updatedAt = ? WHERE id = ?
                        """
                ).execute(arguments: arguments)
                // Counted now under this launch and the variants it gave (the day stays the enrolment's first).
                let day = CadenceDatabase.reportingDay(existing["createdAt"], try CadenceDatabase.campaignZone(campaignID, db))
                let enrolledMailbox: String = existing["mailbox"]
                for key in CadenceDatabase.enrolmentKeys(
                    campaign: campaignID, mailbox: enrolledMailbox, launch: existing["launchId"], variants: CadenceDatabase.decodeMap(existing["variants"]), day: day)
                {
                    enrolled[key, default: 0] -= 1
                }
                for key in CadenceDatabase.enrolmentKeys(campaign: campaignID, mailbox: enrolledMailbox, launch: launchID, variants: variants, day: day) {
                    enrolled[key, default: 0] += 1
                }
                try event(enrollmentID: existing["id"], candidateID: candidateID, kind: .fieldsUpdated, detail: describe(initial))
                return .updated(initial)
            }
            if !allowConcurrent,
                let other = try String.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT campaignId FROM enrollment WHERE candidateId = ? AND campaignId != ?
                            AND state IN (?, ?, ?, ?) ORDER BY campaignId LIMIT 1
                            """),
                    arguments: StatementArguments([candidateID, campaignID] as [any DatabaseValueConvertible] + EnrollmentStatus.inProgress))
            {
                return .skipped(.inProgressElsewhere(campaign: other))
            }
            try updateCandidate(candidateID, candidate, key: key, fields: fields)
            try insertEnrollment(candidateID: candidateID, candidate, mailbox: mailbox, fields: .text(fields), variants: variants, initial: initial)
        } else {
            let id = try newCandidateID()
            try db.cachedStatement(
                sql: """
                    INSERT INTO candidate (id, addressKey, address, fields, timeZone, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [id, key, candidate.email.description, fields, candidate.timeZone, nowValue, nowValue])
            nextCandidateID = id + 1
            try insertEnrollment(candidateID: id, candidate, mailbox: mailbox, fields: .text(fields), variants: variants, initial: initial)
        }
        return .enrolled(initial)
    }

    /// The id the next new person gets: past every person in the database and every one this launch numbered
    /// (the launch holds the write lock, so nobody else adds people meanwhile).
    private func newCandidateID() throws -> Int64 {
        if let next = nextCandidateID { return next }
        let next = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) + 1 FROM candidate") ?? 1
        nextCandidateID = next
        return next
    }

    /// Binds a state's columns, formatting each distinct due date once.
    private func bind(_ state: StoredState, _ arguments: inout StatementArguments) {
        arguments += [state.state, state.stepId, dueValue(state.dueAt), state.reason, state.taskId]
    }

    /// A due date as SQLite stores it, each distinct one formatted once.
    private func dueValue(_ date: Date?) -> DatabaseValue {
        guard let date else { return .null }
        // Rows placed one after another mostly share a due time (a spread day's starts).
        if let last = lastDue, last.date == date { return last.value }
        if let cached = dueValues[date] {
            lastDue = (date, cached)
            return cached
        }
        let due = date.databaseValue
        if dueValues.count >= Self.dueValueCacheLimit { dueValues.removeAll(keepingCapacity: true) }
        dueValues[date] = due
        lastDue = (date, due)
        return due
    }

    private func stored(_ state: EnrollmentState) -> StoredState {
        StoredState.launched(state, campaignPaused: campaignPaused)
    }

    private func updateCandidate(_ id: Int64, _ candidate: Candidate, key: String, fields: String) throws {
        try db.cachedStatement(sql: "UPDATE candidate SET address = ?, fields = ?, timeZone = ?, updatedAt = ? WHERE id = ?")
            .execute(arguments: [candidate.email.description, fields, candidate.timeZone, nowValue, id])
    }

    /// A pending row's fields as stored: in the prepared batch's buffer, or a text of their own.
    private enum StoredFields {
        case prepared(Int)
        case text(String)
    }

    private struct PendingPerson {
        var id: Int64
        var key: String
        var address: String
        var fields: StoredFields
        var timeZone: String?
    }

    private struct PendingEnrollment {
        var candidateID: Int64
        var mailbox: String
        var fields: StoredFields
        var variants: String
        var line: Int
        var state: StoredState
        var detail: String
    }

    private func insertEnrollment(
        candidateID: Int64, _ candidate: Candidate, mailbox: String, fields: StoredFields, variants: [String: String], initial: EnrollmentState
    ) throws {
        let variantsJSON = variants.isEmpty ? "{}" : FlatJSON.encode(variants)
        pending.append(
            PendingEnrollment(
                candidateID: candidateID, mailbox: mailbox, fields: fields, variants: variantsJSON, line: candidate.line, state: stored(initial),
                detail: describe(initial)))
        enrolledNew[NewEnrolments(mailbox: mailbox, variants: variantsJSON), default: 0] += 1
        if pending.count == Self.batchSize { try flush() }
    }

    /// Writes the pending people and enrolments: two statements for up to `batchSize` people. The enrolments' ids
    /// are given here (the launch holds the write lock).
    func flush() throws {
        if !pendingPeople.isEmpty {
            var people = BulkInsert(
                try statement("INSERT INTO candidate (id, addressKey, address, fields, timeZone, createdAt, updatedAt) VALUES ", columns: 7, rows: pendingPeople.count),
                in: db, texts: texts)
            for person in pendingPeople {
                people.bind(person.id)
                people.bind(person.key)
                people.bind(person.address)
                bind(person.fields, &people)
                people.bind(person.timeZone)
                people.bind(nowValue)
                people.bind(nowValue)
            }
            try people.execute()
            pendingPeople.removeAll(keepingCapacity: true)
        }
        guard !pending.isEmpty else { return }
        var id = try nextEnrollmentID ?? (Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) + 1 FROM enrollment") ?? 1)
        var enrolments = BulkInsert(
            try statement(
                """
                INSERT INTO enrollment (id, campaignId, candidateId, mailbox, fields, variants, csvLine, launchId, state, stepId, dueAt, reason, taskId,
                    createdAt, updatedAt, enrolledBy, enrolledAs) VALUES
                """,
                columns: 17, rows: pending.count), in: db, texts: texts)
        for row in pending {
            enrolments.bind(id)
            enrolments.bind(campaignID)
            enrolments.bind(row.candidateID)
            enrolments.bind(row.mailbox)
            bind(row.fields, &enrolments)
            enrolments.bind(row.variants)
            enrolments.bind(row.line)
            enrolments.bind(launchID)
            enrolments.bind(row.state.state.rawValue)
            enrolments.bind(row.state.stepId)
            enrolments.bind(dueValue(row.state.dueAt))
            enrolments.bind(row.state.reason)
            enrolments.bind(row.state.taskId)
            enrolments.bind(nowValue)
            enrolments.bind(nowValue)
            enrolments.bind(actor)
            enrolments.bind(row.detail)
            id += 1
        }
        try enrolments.execute()
        nextEnrollmentID = id
        pending.removeAll(keepingCapacity: true)
    }

    private func bind(_ fields: StoredFields, _ statement: inout BulkInsert) {
        switch fields {
        case .prepared(let index):
            let range = prepared!.fields[index]
            prepared!.bytes.withUnsafeBytes { statement.bind(utf8: UnsafeRawBufferPointer(rebasing: $0[range])) }
        case .text(let text): statement.bind(text)
        }
    }

    /// `prefix` followed by `rows` groups of `columns` placeholders, prepared once per shape. Kept here by shape:
    /// writing out and hashing the text of 3,000 placeholders to find GRDB's cached statement cost more than binding
    /// them.
    private func statement(_ prefix: StaticString, columns: Int, rows: Int) throws -> Statement {
        let shape = StatementShape(prefix: prefix.description, columns: columns, rows: rows)
        if let known = statements[shape] { return known }
        let group = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        let statement = try db.cachedStatement(sql: prefix.description + Array(repeating: group, count: rows).joined(separator: ", "))
        statements[shape] = statement
        return statement
    }

    private struct StatementShape: Hashable {
        var prefix: String
        var columns: Int
        var rows: Int
    }
    private var statements: [StatementShape: Statement] = [:]
    /// The texts of the statement being bound.
    private let texts = BindArena()

    /// Adds the launch's enrolments to the counters: one write per mailbox and variant, not per person.
    func countEnrolments() throws {
        try flush()
        for (group, count) in enrolledNew {
            for key in CadenceDatabase.enrolmentKeys(
                campaign: campaignID, mailbox: group.mailbox, launch: launchID, variants: CadenceDatabase.decodeMap(group.variants), day: launchDay)
            {
                enrolled[key, default: 0] += count
            }
        }
        enrolledNew = [:]
        for (key, count) in enrolled { try CadenceDatabase.tally(key, .enrolled, count, db) }
        enrolled = [:]
    }

    private func event(enrollmentID: Int64, candidateID: Int64, kind: EventKind, detail: String) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO event (at, campaignId, candidateId, enrollmentId, kind, actor, detail) VALUES (?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [nowValue, campaignID, candidateID, enrollmentID, kind, actor, detail])
    }

    private var describe = EnrolmentDescription()
}

extension CadenceDatabase {
    /// What a launch needs to record its campaign version.
    public struct LaunchCampaign: Sendable {
        public var id: String
        public var name: String
        public var sourcePath: String
        public var digest: String
        public var files: [SnapshotFile]

        public init(id: String, name: String, sourcePath: String, digest: String, files: [SnapshotFile]) {
            self.id = id
            self.name = name
            self.sourcePath = sourcePath
            self.digest = digest
            self.files = files
        }
    }

    /// Runs a launch in one transaction: records the campaign's first version if it has none, then lets `body`
    /// enrol rows. `commit: false` (a dry run, or a launch that found bad rows) rolls everything back.
    public func launch<T>(
        _ campaign: LaunchCampaign, actor: String, now: Date, allowConcurrent: Bool, launchID: String = UUID().uuidString,
        _ body: (LaunchSession) throws -> (result: T, commit: Bool)
    ) throws -> T {
        var output: T?
        do {
            try writer.writeWithoutTransaction { db in
                // SQLite's foreign-key checks cost a quarter of a launch's own writes (four lookups a row). A launch
                // only inserts and updates, never deletes, and every id it writes it has just read or given in
                // this transaction, under the write lock, so the checks could not fail. The pragma must be set
                // outside a transaction; it is restored whatever happens, before anyone else can write.
                // The launch also gets a page cache of 128 MiB instead of the connection's 32: the pages of
                // 100,000 people (about 90 MB) then stay in memory until the commit writes them once, where the
                // smaller cache spilled them to the WAL midway and wrote many again (a seventh of the launch).
                // Memory stays capped at that size however long the file; the cache goes back to its size after.
                let cache = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? Self.cacheSize
                // Restored after the transaction, committed or not. A failure to restore is not the launch's: a
                // committed launch is never reported as failed for it (nor its new database discarded).
                defer {
                    // A rollback that failed would leave the transaction open, where SQLite ignores the pragma.
                    if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK") }
                    try? db.execute(sql: "PRAGMA foreign_keys = ON; PRAGMA cache_size = \(cache)")
                }
                try db.execute(sql: "PRAGMA foreign_keys = OFF")
                try db.execute(sql: "PRAGMA cache_size = \(Self.launchCacheSize)")
                // IMMEDIATE: take the write lock before reading, so two launches run one after the other and the
                // second sees the first's enrolments (duplicates, daily start limits).
                try db.inTransaction(.immediate) {
                    if try Int.fetchOne(db, sql: "SELECT version FROM campaign WHERE id = ?", arguments: [campaign.id]) == nil {
                        _ = try Self.saveVersion(
                            campaignID: campaign.id, name: campaign.name, sourcePath: campaign.sourcePath, digest: campaign.digest,
                            files: campaign.files, at: now, actor: actor, db)
                    }
                    let session = try LaunchSession(
                        db: db, campaignID: campaign.id, launchID: launchID, actor: actor, now: now,
                        allowConcurrent: allowConcurrent)
                    let (result, commit) = try body(session)
                    output = result
                    // A dry run writes its rows too before rolling back, so it meets the constraints the launch would
                    // (its foreign keys hold by construction, as above).
                    if commit { try session.countEnrolments() } else { try session.flush() }
                    return commit ? .commit : .rollback
                }
            }
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            throw StoreError(error, path: path ?? "the database")
        }
        return output!
    }
}
