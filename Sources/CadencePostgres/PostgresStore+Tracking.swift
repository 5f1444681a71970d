import CadenceCore
import CadenceStore
import Foundation
import Logging
import PostgresNIO

/// Opens, clicks and link unsubscribes on PostgreSQL, as the SQLite store records them: any `serve` on any host
/// writes to the same tables.
extension PostgresStore {
    static let trackedSendColumns = "s.id, s.enrollmentId, s.campaignId, s.stepId, s.state, s.sentAt"

    static func trackedSend(_ row: PostgresRecord) throws -> TrackedSend {
        let state: String = try row("state")
        guard let known = SendRecordState(rawValue: state) else { throw UnreadableValue(description: "a send record has the state \(state)") }
        return TrackedSend(
            recordID: try row("id"), enrollmentID: try row("enrollmentId"), campaignID: try row("campaignId"), stepID: try row("stepId"), state: known,
            sentAt: try row("sentAt"))
    }

    public func trackedSend(trackingID: String) async throws(StoreError) -> TrackedSend? {
        let logger = logger
        return try await read { connection in
            try await connection.record("SELECT \(unescaped: Self.trackedSendColumns) FROM sendRecord s WHERE s.trackingId = \(trackingID) ORDER BY s.id LIMIT 1", logger)
                .map(Self.trackedSend)
        }
    }

    public func isErased(trackingID: String) async throws(StoreError) -> Bool {
        let logger = logger
        return try await read { connection in try await Self.isErased(trackingID, connection, logger) }
    }

    static func isErased(_ trackingID: String, _ connection: PostgresConnection, _ logger: Logger) async throws -> Bool {
        try await connection.record("SELECT 1 AS found FROM erasedTracking WHERE trackingId = \(trackingID)", logger) != nil
    }

    public func erasedTrackingCount() async throws(StoreError) -> Int {
        let logger = logger
        return try await read { connection in
            Int(try await connection.record("SELECT COUNT(*) AS n FROM erasedTracking", logger)?("n", as: Int64.self) ?? 0)
        }
    }

    public func clickTarget(trackingID: String, link: Int) async throws(StoreError) -> (send: TrackedSend, url: String?)? {
        let logger = logger
        let found: (TrackedSend, String?)? = try await read { connection in
            guard
                let row = try await connection.record(
                    """
                    SELECT \(unescaped: Self.trackedSendColumns), l.url FROM sendRecord s LEFT JOIN trackedLink l ON l.sendRecordId = s.id AND l.link = \(link)
                    WHERE s.trackingId = \(trackingID) ORDER BY s.id LIMIT 1
                    """, logger)
            else { return nil }
            return (try Self.trackedSend(row), try row("url"))
        }
        return found.map { (send: $0.0, url: $0.1) }
    }

    public func recordTrackingEvents(_ events: [TrackingEventRecord]) async throws(StoreError) {
        guard !events.isEmpty else { return }
        let logger = logger
        try await transaction { connection in
            let scanner = TrackingEventClass.scanner.rawValue
            for event in events {
                let isRepeat =
                    try await connection.record(
                        """
                        SELECT 1 AS found FROM trackingEvent WHERE sendRecordId = \(event.sendRecordID) AND kind = \(event.kind.rawValue)
                        AND link IS NOT DISTINCT FROM \(event.link) LIMIT 1
                        """, logger) != nil
                var eventClass = event.eventClass
                var burst = false
                if event.kind == .click, let link = event.link {
                    let from = event.at.addingTimeInterval(-ClickBurst.window)
                    let until = event.at.addingTimeInterval(ClickBurst.window)
                    let nearby = try await connection.records(
                        """
                        SELECT link, at FROM trackingEvent WHERE sendRecordId = \(event.sendRecordID) AND kind = 'click' AND at >= \(from) AND at <= \(until)
                        """, logger
                    ).map { (link: Int(try $0("link", as: Int32.self)), at: try $0("at", as: Date.self)) }
                    if ClickBurst.isBurst(link: link, at: event.at, earlier: nearby) {
                        eventClass = .scanner
                        burst = true
                        try await connection.execute(
                            """
                            UPDATE trackingEvent SET class = \(scanner) WHERE sendRecordId = \(event.sendRecordID) AND kind = 'click'
                            AND at >= \(from) AND at <= \(until) AND class <> \(scanner)
                            """, logger)
                        try await Self.withdrawHotLead(sendRecordID: event.sendRecordID, connection, logger, now: event.at)
                    }
                }
                // An event whose send is gone (erased by `forget` after its request was answered) is dropped alone.
                guard
                    try await connection.record(
                        """
                        INSERT INTO trackingEvent (sendRecordId, kind, link, class, isRepeat, at)
                        SELECT \(event.sendRecordID), \(event.kind.rawValue), \(event.link.map(Int32.init)), \(eventClass.rawValue), \(isRepeat), \(event.at)
                        WHERE EXISTS (SELECT 1 FROM sendRecord WHERE id = \(event.sendRecordID)) RETURNING id
                        """, logger) != nil
                else { continue }
                // Counted for `stats` once per send: its first open, first click, and first of each by a person.
                switch event.kind {
                case .open:
                    if !isRepeat { try await Self.countTracking(.opened, sendRecordID: event.sendRecordID, at: event.at, connection, logger) }
                    if eventClass.isLikelyHuman { try await Self.countTracking(.openedHuman, sendRecordID: event.sendRecordID, at: event.at, connection, logger) }
                case .click:
                    try await Self.countTracking(.clicked, sendRecordID: event.sendRecordID, at: event.at, connection, logger)
                    if burst {
                        try await Self.recountHumanClick(sendRecordID: event.sendRecordID, connection, logger)
                    } else if eventClass.isLikelyHuman {
                        try await Self.countTracking(.clickedHuman, sendRecordID: event.sendRecordID, at: event.at, connection, logger)
                    }
                case .unsubscribe: try await Self.countTracking(.unsubscribedByLink, sendRecordID: event.sendRecordID, at: event.at, connection, logger)
                }
            }
        }
    }

    /// A hot-lead task still open for the send's person, when no likely-human click of theirs is left after a burst
    /// was reclassed: removed, with an event saying why. The person is locked first, as `tasks done` locks them, and
    /// only a task still open is removed: one done meanwhile stays, with its note.
    static func withdrawHotLead(sendRecordID: Int64, _ connection: PostgresConnection, _ logger: Logger, now: Date) async throws {
        guard let send = try await connection.record("SELECT enrollmentId FROM sendRecord WHERE id = \(sendRecordID)", logger),
            let enrollmentID = try send("enrollmentId", as: Int64?.self),
            let (enrollment, _) = try await lockedEnrollment(enrollmentID, connection, logger),
            let task = try await connection.record(
                "SELECT id FROM task WHERE enrollmentId = \(enrollmentID) AND stepId = \(CadenceDatabase.hotLeadStep) AND doneAt IS NULL", logger)
        else { return }
        let taskID: Int64 = try task("id")
        let human = TrackingEventClass.allCases.filter(\.isLikelyHuman).map(\.rawValue)
        let stillHuman =
            try await connection.record(
                """
                SELECT 1 AS found FROM trackingEvent t JOIN sendRecord s ON s.id = t.sendRecordId
                WHERE s.enrollmentId = \(enrollmentID) AND t.kind = 'click' AND t.class = ANY(\(human)) LIMIT 1
                """, logger) != nil
        guard !stillHuman else { return }
        let removed = try await connection.records("DELETE FROM task WHERE id = \(taskID) AND doneAt IS NULL RETURNING id", logger)
        guard !removed.isEmpty else { return }
        try await event(
            enrollment, kind: .taskDone, actor: "tracking", detail: "task \(taskID): hot lead withdrawn, the click that opened it was a link scanner's (a burst)",
            connection, logger, now: now)
    }

    /// Counts a send's tracking event if it is the send's first of `kind`.
    static func countTracking(_ kind: TallyMeasure, sendRecordID: Int64, at: Date, _ connection: PostgresConnection, _ logger: Logger) async throws {
        guard let (key, enrollmentID) = try await sendTallyKey(sendRecordID, at: at, connection, logger) else { return }
        try await insertOutcome(TallyOutcome(kind: kind, key: key), enrollmentID: enrollmentID, connection, logger)
    }

    /// After a burst made clicks a scanner's: the send's likely-human click, if one is left, is the first one
    /// recorded that still is; if none is, the send no longer counts as clicked by a person.
    static func recountHumanClick(sendRecordID: Int64, _ connection: PostgresConnection, _ logger: Logger) async throws {
        guard let send = try await connection.record("SELECT enrollmentId, stepId FROM sendRecord WHERE id = \(sendRecordID)", logger),
            let enrollmentID = try send("enrollmentId", as: Int64?.self)
        else { return }
        let human = TrackingEventClass.allCases.filter(\.isLikelyHuman).map(\.rawValue)
        let first: Date? = try await connection.record(
            "SELECT at FROM trackingEvent WHERE sendRecordId = \(sendRecordID) AND kind = 'click' AND class = ANY(\(human)) ORDER BY id LIMIT 1", logger)?("at")
        var derived: [TallyOutcome] = []
        if let first, let (key, _) = try await sendTallyKey(sendRecordID, at: first, connection, logger) {
            derived = [TallyOutcome(kind: .clickedHuman, key: key)]
        }
        // Only this send's step: the person's other sends keep theirs.
        try await syncOutcomes(enrollmentID: enrollmentID, kinds: [.clickedHuman], step: try send("stepId"), derived: derived, connection, logger)
    }

    public func unsubscribe(trackingID: String, reason: String?, policy: IncomingPolicy, now: Date) async throws(StoreError) -> LinkUnsubscribeOutcome {
        let given = CadenceDatabase.givenReason(reason)
        let label = given.map { "unsubscribe link: \($0)" } ?? "unsubscribe link"
        let logger = logger
        return try await transaction { connection in
            guard let send = try await connection.record("SELECT id, enrollmentId, stepId FROM sendRecord WHERE trackingId = \(trackingID) ORDER BY id LIMIT 1", logger)
            else { return try await Self.isErased(trackingID, connection, logger) ? .erased : .unknownSend }
            guard let enrollmentID = try send("enrollmentId", as: Int64?.self) else { return .erased }
            let step: String = try send("stepId")
            return try await Self.unsubscribe(
                sendRecordID: try send("id"), enrollmentID: enrollmentID, label: label, reasonGiven: given != nil, detail: "by the unsubscribe link of step \(step)",
                policy: policy, connection, logger, now: now) ?? .erased
        }
    }

    public func unsubscribeRotated(
        trackingID: String, keyID: UInt8, address: EmailAddress?, reason: String?, policy: IncomingPolicy, now: Date
    ) async throws(StoreError) -> LinkUnsubscribeOutcome {
        let given = CadenceDatabase.givenReason(reason)
        let label = given.map { "unsubscribe link: \($0)" } ?? "unsubscribe link"
        let logger = logger
        return try await transaction { connection in
            guard
                let send = try await connection.record(
                    "SELECT id, enrollmentId, stepId, trackingKeyId FROM sendRecord WHERE trackingId = \(trackingID) ORDER BY id LIMIT 1", logger),
                try send("trackingKeyId", as: Int32?.self) == Int32(keyID), let enrollmentID = try send("enrollmentId", as: Int64?.self),
                let owner = try await connection.record(
                    "SELECT c.addressKey FROM enrollment e JOIN candidate c ON c.id = e.candidateId WHERE e.id = \(enrollmentID)", logger)
            else { return .unknownSend }
            if let address, AddressKey.normalized(address) != (try owner("addressKey", as: String.self)) { return .unknownSend }
            let step: String = try send("stepId")
            return try await Self.unsubscribe(
                sendRecordID: try send("id"), enrollmentID: enrollmentID, label: label, reasonGiven: given != nil,
                detail: "by the unsubscribe link of step \(step), signed with a key since rotated out", policy: policy, connection, logger, now: now)
                ?? .unknownSend
        }
    }

    /// What both unsubscribes do, for the person the send went to (nil when they are gone): the incoming policy's
    /// decision for an unsubscribe request, applied to their running enrolments and the suppression list, and
    /// counted by `stats` against the step whose link it was.
    static func unsubscribe(
        sendRecordID: Int64, enrollmentID: Int64, label: String, reasonGiven: Bool, detail: String, policy: IncomingPolicy, _ connection: PostgresConnection,
        _ logger: Logger, now: Date
    ) async throws -> LinkUnsubscribeOutcome? {
        guard let (enrollment, key) = try await lockedEnrollment(enrollmentID, connection, logger),
            let candidate = try await connection.record("SELECT address FROM candidate WHERE id = \(enrollment.candidateId)", logger)
        else { return nil }
        let address: String = try candidate("address")
        let decision = policy.decide(.unsubscribe, rule: "unsubscribe.link", from: address, candidateKey: key, colleagueReply: .stop, receivedAt: now, now: now)
        let rows = try await lockedEnrollments(candidate: enrollment.candidateId, states: EnrollmentStatus.inProgress, connection, logger)
        let suppressed =
            try await connection.record(
                "SELECT 1 AS found FROM suppression WHERE (kind = 'address' AND value = \(key)) OR (kind = 'hash' AND value = \(AddressKey.hash(key))) LIMIT 1",
                logger) != nil
        if suppressed, rows.isEmpty {
            if reasonGiven {
                try await connection.execute(
                    "UPDATE suppression SET reason = \(label) WHERE kind = 'address' AND value = \(key) AND actor = 'unsubscribe link'", logger)
            }
            return .alreadyUnsubscribed
        }
        if let stop = decision.stop {
            for row in rows {
                try await setState(row.id, StoredState(.stopped(stop)), connection, logger, now: now)
                try await event(row, kind: .stopped, actor: "unsubscribe link", detail: "\(stop.description): \(detail)", connection, logger, now: now)
            }
        }
        if decision.suppress, !suppressed {
            try await suppress(key, reason: label, actor: "unsubscribe link", connection, logger, now: now)
        }
        try await connection.execute(
            """
            INSERT INTO trackingEvent (sendRecordId, kind, link, class, isRepeat, at)
            VALUES (\(sendRecordID), \(TrackingEventRecord.Kind.unsubscribe.rawValue), NULL, \(TrackingEventClass.likelyHuman.rawValue), false, \(now))
            """, logger)
        try await countTracking(.unsubscribedByLink, sendRecordID: sendRecordID, at: now, connection, logger)
        return .unsubscribed(stopped: decision.stop == nil ? 0 : rows.count)
    }
}
