import CadenceCore
import Foundation
import GRDB

/// A send as a tracking link finds it: enough to record against it and to know whom it went to.
public struct TrackedSend: Sendable, Equatable {
    public var recordID: Int64
    public var enrollmentID: Int64?
    public var campaignID: String
    public var stepID: String
    /// Whether the provider has it, may have it, or refused it.
    public var state: SendRecordState
    public var sentAt: Date?

    package init(recordID: Int64, enrollmentID: Int64?, campaignID: String, stepID: String, state: SendRecordState, sentAt: Date?) {
        self.recordID = recordID
        self.enrollmentID = enrollmentID
        self.campaignID = campaignID
        self.stepID = stepID
        self.state = state
        self.sentAt = sentAt
    }
}

extension TrackedSend {
    /// From a row with `sendRecord`'s id, enrollmentId, campaignId, stepId, state and sentAt.
    init(row: Row) {
        self.init(
            recordID: row["id"], enrollmentID: row["enrollmentId"], campaignID: row["campaignId"], stepID: row["stepId"], state: row["state"],
            sentAt: row["sentAt"])
    }
}

extension CadenceDatabase {
    /// The send a token names, or nil (a preview's token, or a send since erased).
    public func trackedSend(trackingID: String) async throws(StoreError) -> TrackedSend? {
        try await read { db in
            try Row.fetchOne(
                db, sql: "SELECT id, enrollmentId, campaignId, stepId, state, sentAt FROM sendRecord WHERE trackingId = ? ORDER BY id LIMIT 1",
                arguments: [trackingID]
            ).map(TrackedSend.init(row:))
        }
    }

    /// Each key id that signed sends since `since`, with its latest such send.
    public func trackingKeysUsed(since: Date) throws(StoreError) -> [(keyID: UInt8, latest: Date)] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT trackingKeyId, MAX(createdAt) AS latest FROM sendRecord WHERE trackingKeyId IS NOT NULL AND createdAt >= ? GROUP BY 1",
                arguments: [since]
            ).map { (keyID: UInt8(clamping: $0["trackingKeyId"] as Int), latest: $0["latest"] as Date) }
        }
    }

    /// Whether the send `trackingID` belonged to a person erased with `forget`.
    public func isErased(trackingID: String) async throws(StoreError) -> Bool {
        try await read { db in try Self.isErased(trackingID, db) }
    }

    public func erasedTrackingCount() async throws(StoreError) -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM erasedTracking") ?? 0 }
    }

    static func isErased(_ trackingID: String, _ db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM erasedTracking WHERE trackingId = ?)", arguments: [trackingID]) ?? false
    }

    /// The send `trackingID` and where its link `link` goes, as the campaign wrote it (nil when it has no such
    /// link), in one statement: a click reads the database once. Nil when no send has that id.
    public func clickTarget(trackingID: String, link: Int) async throws(StoreError) -> (send: TrackedSend, url: String?)? {
        try await read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT s.id, s.enrollmentId, s.campaignId, s.stepId, s.state, s.sentAt, l.url
                    FROM sendRecord s LEFT JOIN trackedLink l ON l.sendRecordId = s.id AND l.link = ?
                    WHERE s.trackingId = ? ORDER BY s.id LIMIT 1
                    """, arguments: [link, trackingID]
            ).map { row in (send: TrackedSend(row: row), url: row["url"]) }
        }
    }
}

/// One pixel fetch or click, ready to be recorded.
public struct TrackingEventRecord: Sendable, Equatable {
    public enum Kind: String, Sendable, DatabaseValueConvertible {
        case open, click
        /// The one-click unsubscribe or the page's button (recorded by `unsubscribe(trackingID:)` itself).
        case unsubscribe
    }

    public var sendRecordID: Int64
    public var kind: Kind
    /// For a click, which link of the message.
    public var link: Int?
    public var eventClass: TrackingEventClass
    public var at: Date

    public init(sendRecordID: Int64, kind: Kind, link: Int?, eventClass: TrackingEventClass, at: Date) {
        self.sendRecordID = sendRecordID
        self.kind = kind
        self.link = link
        self.eventClass = eventClass
        self.at = at
    }
}

/// What an unsubscribe link did.
public enum LinkUnsubscribeOutcome: Sendable, Equatable {
    /// The address is suppressed now and the person stopped in this many enrolments.
    case unsubscribed(stopped: Int)
    /// Already suppressed, with nothing left to stop: the same answer again.
    case alreadyUnsubscribed
    /// No send has this token's id: a preview, or a link from another project.
    case unknownSend
    /// The send's person was erased with `cadence forget`.
    case erased
}

extension CadenceDatabase {
    /// Records a batch of pixel fetches and clicks in one transaction (one fsync for the batch), each marked a
    /// repeat when the send already had one of its kind (for a click, of its link). A click that makes a burst
    /// with the send's other clicks (`ClickBurst`) is a scanner's, and so are the clicks of the burst already
    /// recorded. An event whose send is gone
    /// (erased by `forget` after its request was answered) is dropped alone, not with the batch.
    /// Pinned to the send's index: a send has a handful of clicks, while the `(kind, at)` index the planner would
    /// otherwise take holds every click of those seconds across all sends.
    static let recentClicksSQL =
        "SELECT link, at FROM trackingEvent INDEXED BY trackingEventSend WHERE sendRecordId = ? AND kind = 'click' AND at >= ? AND at <= ?"

    static let reclassBurstSQL =
        "UPDATE trackingEvent INDEXED BY trackingEventSend SET class = ? WHERE sendRecordId = ? AND kind = 'click' AND at >= ? AND at <= ? AND class <> ?"

    public func recordTrackingEvents(_ events: [TrackingEventRecord]) async throws(StoreError) {
        guard !events.isEmpty else { return }
        try await write { db in
            let earlier = try db.cachedStatement(
                sql: "SELECT EXISTS (SELECT 1 FROM trackingEvent WHERE sendRecordId = ? AND kind = ? AND link IS ?)")
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO trackingEvent (sendRecordId, kind, link, class, isRepeat, at)
                    SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM sendRecord WHERE id = ?)
                    """)
            let recentClicks = try db.cachedStatement(sql: Self.recentClicksSQL)
            let reclass = try db.cachedStatement(sql: Self.reclassBurstSQL)
            for event in events {
                let isRepeat = try Bool.fetchOne(earlier, arguments: [event.sendRecordID, event.kind, event.link]) ?? false
                var eventClass = event.eventClass
                var burst = false
                if event.kind == .click, let link = event.link {
                    let from = event.at.addingTimeInterval(-ClickBurst.window)
                    let until = event.at.addingTimeInterval(ClickBurst.window)
                    let nearby = try Row.fetchAll(recentClicks, arguments: [event.sendRecordID, from, until]).map { (link: $0[0] as Int, at: $0[1] as Date) }
                    if ClickBurst.isBurst(link: link, at: event.at, earlier: nearby) {
                        eventClass = .scanner
                        burst = true
                        try reclass.execute(arguments: [TrackingEventClass.scanner.rawValue, event.sendRecordID, from, until, TrackingEventClass.scanner.rawValue])
                        try Self.withdrawHotLead(sendRecordID: event.sendRecordID, db, now: event.at)
                    }
                }
                try insert.execute(arguments: [event.sendRecordID, event.kind, event.link, eventClass.rawValue, isRepeat, event.at, event.sendRecordID])
                guard db.changesCount == 1 else { continue }
                // Counted for `stats` once per send: its first open, first click, and first of each by a person.
                switch event.kind {
                case .open:
                    if !isRepeat { try Self.countTracking(.opened, sendRecordID: event.sendRecordID, at: event.at, db) }
                    if eventClass.isLikelyHuman { try Self.countTracking(.openedHuman, sendRecordID: event.sendRecordID, at: event.at, db) }
                case .click:
                    try Self.countTracking(.clicked, sendRecordID: event.sendRecordID, at: event.at, db)
                    if burst {
                        try Self.recountHumanClick(sendRecordID: event.sendRecordID, db)
                    } else if eventClass.isLikelyHuman {
                        try Self.countTracking(.clickedHuman, sendRecordID: event.sendRecordID, at: event.at, db)
                    }
                case .unsubscribe: try Self.countTracking(.unsubscribedByLink, sendRecordID: event.sendRecordID, at: event.at, db)
                }
            }
        }
    }

    /// How many pixel fetches and clicks are recorded, all told: for tests and the benchmark's check that what was
    /// answered was recorded.
    public func trackingEventCount() async throws(StoreError) -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM trackingEvent") ?? 0 }
    }

    /// The events of one send, oldest first: (kind, link, class, repeat).
    public func trackingEvents(sendRecordID: Int64) async throws(StoreError) -> [(kind: String, link: Int?, eventClass: String, isRepeat: Bool)] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT kind, link, class, isRepeat FROM trackingEvent WHERE sendRecordId = ? ORDER BY id", arguments: [sendRecordID]).map {
                (kind: $0["kind"], link: $0["link"], eventClass: $0["class"], isRepeat: $0["isRepeat"])
            }
        }
    }

    /// A hot-lead task still open for the send's person, when no likely-human click of theirs is left after a
    /// burst was reclassed: the click that opened it was a scanner's, written late. The task is removed (so a
    /// person's own click later can open one) and the event says why.
    static func withdrawHotLead(sendRecordID: Int64, _ db: Database, now: Date) throws {
        guard let enrollmentID = try Int64.fetchOne(db, sql: "SELECT enrollmentId FROM sendRecord WHERE id = ?", arguments: [sendRecordID]),
            let taskID = try Int64.fetchOne(
                db, sql: "SELECT id FROM task WHERE enrollmentId = ? AND stepId = ? AND doneAt IS NULL", arguments: [enrollmentID, hotLeadStep])
        else { return }
        let human = TrackingEventClass.allCases.filter(\.isLikelyHuman).map(\.rawValue)
        let stillHuman =
            try Bool.fetchOne(
                db,
                sql: """
                    SELECT EXISTS (SELECT 1 FROM trackingEvent t JOIN sendRecord s ON s.id = t.sendRecordId
                    WHERE s.enrollmentId = ? AND t.kind = 'click' AND t.class IN (\(human.map { _ in "?" }.joined(separator: ", "))))
                    """, arguments: StatementArguments([enrollmentID] as [any DatabaseValueConvertible] + human)) ?? false
        guard !stillHuman else { return }
        try db.execute(sql: "DELETE FROM task WHERE id = ?", arguments: [taskID])
        if let enrollment = try EnrollmentRow.find(enrollmentID, db) {
            try Self.event(
                enrollment, kind: .taskDone, actor: "tracking", detail: "task \(taskID): hot lead withdrawn, the click that opened it was a link scanner's (a burst)", db,
                now: now)
        }
    }

    /// The one-click unsubscribe (RFC 8058 POST, or the page's button) for the send `trackingID`: what the
    /// incoming policy does with an unsubscribe request (suppress the normalised address everywhere, stop the
    /// person in every campaign), committed before it returns. Doing it again changes nothing, except that a
    /// `reason` the person gives on the page (perhaps after their mail client's one click) is kept with the
    /// suppression, at most 500 characters.
    public func unsubscribe(
        trackingID: String, reason: String? = nil, policy: IncomingPolicy = IncomingPolicy(), now: Date
    ) async throws(StoreError) -> LinkUnsubscribeOutcome {
        let given = Self.givenReason(reason)
        let label = given.map { "unsubscribe link: \($0)" } ?? "unsubscribe link"
        return try await write { db in
            guard let record = try SendRecordRow.filter(Column("trackingId") == trackingID).order(Column("id")).fetchOne(db) else {
                return try Self.isErased(trackingID, db) ? .erased : .unknownSend
            }
            guard let enrollmentID = record.enrollmentId, let enrollment = try EnrollmentRow.find(enrollmentID, db),
                let candidate = try CandidateRow.find(enrollment.candidateId, db)
            else { return .erased }
            return try Self.unsubscribe(
                record, candidate, label: label, reasonGiven: given != nil, detail: "by the unsubscribe link of step \(record.stepId)", policy: policy, db,
                now: now)
        }
    }

    /// The link's unsubscribe for the person `record` went to, counted by `stats` against the step whose link it was.
    static func unsubscribe(
        _ record: SendRecordRow, _ candidate: CandidateRow, label: String, reasonGiven: Bool, detail: String, policy: IncomingPolicy, _ db: Database, now: Date
    ) throws -> LinkUnsubscribeOutcome {
        let outcome = try unsubscribe(
            key: candidate.addressKey, address: candidate.address, candidateID: candidate.id, label: label, reasonGiven: reasonGiven, detail: detail,
            policy: policy, db, now: now)
        guard case .unsubscribed = outcome else { return outcome }
        try db.execute(
            sql: "INSERT INTO trackingEvent (sendRecordId, kind, link, class, isRepeat, at) VALUES (?, ?, NULL, ?, 0, ?)",
            arguments: [record.id, TrackingEventRecord.Kind.unsubscribe, TrackingEventClass.likelyHuman.rawValue, now])
        try countTracking(.unsubscribedByLink, sendRecordID: record.id, at: now, db)
        return outcome
    }

    /// The unsubscribe of a link whose key was rotated out, which cannot be verified: honoured only for a send
    /// that was signed with `keyID` (the caller has checked that no held key has it), and when `address` is given
    /// (the page's form), only if it is the address the send went to. So a made-up token can neither reach a send
    /// signed with a held key nor suppress an address of its choosing. Anything else is `.unknownSend`, and
    /// nothing is written.
    public func unsubscribeRotated(
        trackingID: String, keyID: UInt8, address: EmailAddress?, reason: String? = nil, policy: IncomingPolicy = IncomingPolicy(), now: Date
    ) async throws(StoreError) -> LinkUnsubscribeOutcome {
        let given = Self.givenReason(reason)
        let label = given.map { "unsubscribe link: \($0)" } ?? "unsubscribe link"
        return try await write { db in
            guard let record = try SendRecordRow.filter(Column("trackingId") == trackingID).order(Column("id")).fetchOne(db),
                try Int.fetchOne(db, sql: "SELECT trackingKeyId FROM sendRecord WHERE id = ?", arguments: [record.id]) == Int(keyID),
                let enrollmentID = record.enrollmentId, let enrollment = try EnrollmentRow.find(enrollmentID, db),
                let candidate = try CandidateRow.find(enrollment.candidateId, db)
            else { return .unknownSend }
            if let address, AddressKey.normalized(address) != candidate.addressKey { return .unknownSend }
            return try Self.unsubscribe(
                record, candidate, label: label, reasonGiven: given != nil,
                detail: "by the unsubscribe link of step \(record.stepId), signed with a key since rotated out", policy: policy, db, now: now)
        }
    }

    /// One line, at most 500 characters, or nil.
    package static func givenReason(_ reason: String?) -> String? {
        reason.map { String($0.split(whereSeparator: \.isNewline).joined(separator: " ").prefix(500)) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// What both unsubscribes do: the incoming policy's decision for an unsubscribe request, applied to the
    /// person's running enrolments and the suppression list.
    static func unsubscribe(
        key: String, address: String, candidateID: Int64?, label: String, reasonGiven: Bool, detail: String, policy: IncomingPolicy, _ db: Database, now: Date
    ) throws -> LinkUnsubscribeOutcome {
        let decision = policy.decide(.unsubscribe, rule: "unsubscribe.link", from: address, candidateKey: key, colleagueReply: .stop, receivedAt: now, now: now)
        let inProgress = EnrollmentStatus.inProgress.contains(Column("state"))
        let rows = try candidateID.map { try EnrollmentRow.filter(Column("candidateId") == $0 && inProgress).fetchAll(db) } ?? []
        let suppressed =
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM suppression WHERE (kind = ? AND value = ?) OR (kind = ? AND value = ?))",
                arguments: [Suppression.Kind.address, key, Suppression.Kind.hash, AddressKey.hash(key)]) ?? false
        if suppressed, rows.isEmpty {
            if reasonGiven {
                try db.execute(
                    sql: "UPDATE suppression SET reason = ? WHERE kind = ? AND value = ? AND actor = 'unsubscribe link'",
                    arguments: [label, Suppression.Kind.address, key])
            }
            return .alreadyUnsubscribed
        }
        if let stop = decision.stop {
            for row in rows {
                try Self.setState(row.id, StoredState(.stopped(stop)), db, now: now)
                try Self.event(row, kind: .stopped, actor: "unsubscribe link", detail: "\(stop.description): \(detail)", db, now: now)
            }
        }
        if decision.suppress, !suppressed {
            try db.execute(
                sql: "INSERT INTO suppression (kind, value, reason, actor, createdAt) VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, value) DO NOTHING",
                arguments: [Suppression.Kind.address, key, label, "unsubscribe link", now])
        }
        return .unsubscribed(stopped: decision.stop == nil ? 0 : rows.count)
    }
}
