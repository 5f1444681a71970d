import CadenceCore
import CadenceStore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Incoming mail on PostgreSQL, as the SQLite store reads it. The person's rows are locked in the same order as a
/// send's (candidate, then enrolments), so a reply read by one runner and a send by another cannot cross: whichever
/// commits second sees what the first did.
extension PostgresStore {
    public func syncCheckpoint(_ mailbox: String) async throws(StoreError) -> String? {
        let logger = logger
        return try await read { connection in
            try await connection.record("SELECT historyId FROM mailboxSync WHERE mailbox = \(mailbox)", logger)?("historyId")
        }
    }

    public func firstSyncStart(_ mailbox: String) async throws(StoreError) -> String? {
        let logger = logger
        return try await read { connection in
            try await connection.record(
                """
                SELECT COALESCE(historyCursor, historyId) AS position FROM sendRecord
                WHERE mailbox = \(mailbox) AND COALESCE(historyCursor, historyId) IS NOT NULL ORDER BY id LIMIT 1
                """, logger)?("position")
        }
    }

    public func advanceCheckpoint(_ mailbox: String, to historyID: String, fence: Int64?, now: Date) async throws(StoreError) {
        let logger = logger
        try await transaction { connection in
            if let fence { try await Self.requireFence(fence, mailbox: mailbox, connection, logger) }
            // Gmail's history ids are numbers written as text: compared as numbers, and never moved back (the
            // upsert checks again, for a first row two runners write at once).
            if let current = try await connection.record("SELECT historyId FROM mailboxSync WHERE mailbox = \(mailbox) FOR NO KEY UPDATE", logger),
                let old = UInt64(try current("historyId", as: String.self)), let new = UInt64(historyID), new <= old
            {
                try await connection.execute("UPDATE mailboxSync SET syncedAt = \(now) WHERE mailbox = \(mailbox)", logger)
                return
            }
            try await connection.execute(
                """
                INSERT INTO mailboxSync (mailbox, historyId, syncedAt) VALUES (\(mailbox), \(historyID), \(now))
                ON CONFLICT (mailbox) DO UPDATE SET historyId = EXCLUDED.historyId, syncedAt = EXCLUDED.syncedAt
                WHERE mailboxSync.historyId !~ '^[0-9]+$' OR EXCLUDED.historyId !~ '^[0-9]+$' OR mailboxSync.historyId::numeric < EXCLUDED.historyId::numeric
                """, logger)
        }
    }

    public func recordResync(_ mailbox: String, now: Date) async throws(StoreError) {
        let logger = logger
        try await transaction { connection in
            try await connection.execute("UPDATE mailboxSync SET resyncedAt = \(now), resyncCount = resyncCount + 1 WHERE mailbox = \(mailbox)", logger)
        }
    }

    public func applyIncoming(_ message: IncomingMessage, policy: IncomingPolicy, now: Date) async throws(StoreError) -> IncomingOutcome {
        let logger = logger
        return try await transaction { connection in
            let matched = try await Self.matchEnrollment(
                mailbox: message.mailbox, thread: message.providerThreadID, messageIDs: message.references, addresses: message.addresses, connection, logger)
            // The person is locked before anything is written about them, in the order a send locks them.
            let person = try await matched.asyncMap { try await Self.lockedEnrollment($0, connection, logger) } ?? nil
            // Recorded once: a second runner reading the same message waits here for the first to commit, then
            // finds it recorded.
            guard
                try await connection.record(
                    """
                    INSERT INTO incomingMessage (mailbox, providerMessageId, enrollmentId, class, rule, snippet, receivedAt)
                    VALUES (\(message.mailbox), \(message.providerMessageID), \(person?.0.id), \(message.incomingClass.name), \(message.rule),
                        \(message.snippet), \(message.receivedAt))
                    ON CONFLICT (mailbox, providerMessageId) DO NOTHING RETURNING seq
                    """, logger) != nil
            else { return .alreadyProcessed }
            guard let (enrollment, key) = person else { return .unrelated }
            let enrollmentID = enrollment.id
            try await Self.syncPersonOutcomes(enrollmentID: enrollmentID, connection, logger)
            let actor = "mailbox \(message.mailbox)"
            let detail = "\(message.incomingClass.name) (Gmail message \(message.providerMessageID), rule \(message.rule)): \(message.snippet.prefix(120))"
            try await Self.event(enrollment, kind: .incoming, actor: actor, detail: detail, connection, logger, now: now)
            let colleagueReply = try await Self.definition(enrollment.campaignId, connection, logger)?.colleagueReply ?? .stop
            let decision = policy.decide(
                message.incomingClass, rule: message.rule, from: message.from, candidateKey: key, colleagueReply: colleagueReply,
                receivedAt: message.receivedAt, now: now)
            if let note = decision.note {
                try await Self.event(enrollment, kind: .incoming, actor: actor, detail: note, connection, logger, now: now)
            }
            var stopped = 0
            var paused = 0
            if let until = decision.pauseUntil {
                for row in try await Self.lockedEnrollments(candidate: enrollment.candidateId, states: [.active], connection, logger) {
                    let reason = PauseReason.outOfOffice(until: until, guessed: decision.pauseGuessed)
                    try await Self.setState(row.id, row.stored.awayUntil(until, guessed: decision.pauseGuessed, now: now), connection, logger, now: now)
                    try await Self.event(row, kind: .paused, actor: actor, detail: reason.description, connection, logger, now: now)
                    paused += 1
                }
            }
            if let stop = decision.stop {
                // The person's enrolments in every campaign, not just this one.
                for row in try await Self.lockedEnrollments(candidate: enrollment.candidateId, states: EnrollmentStatus.inProgress, connection, logger) {
                    try await Self.setState(row.id, StoredState(.stopped(stop)), connection, logger, now: now)
                    try await Self.event(
                        row, kind: .stopped, actor: actor, detail: "\(stop.description): \(message.incomingClass.name) received", connection, logger, now: now)
                    stopped += 1
                }
            }
            if decision.suppress {
                try await Self.suppress(key, reason: message.incomingClass.name, actor: actor, connection, logger, now: now)
            }
            return .applied(candidate: key, campaign: enrollment.campaignId, stopped: stopped, paused: paused, suppressed: decision.suppress)
        }
    }

    /// The candidate's enrolments in `states`, locked, in id order (the caller holds the candidate's lock).
    static func lockedEnrollments(
        candidate: Int64, states: [EnrollmentStatus], _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> [LockedEnrollment] {
        var found: [LockedEnrollment] = []
        for row in try await connection.records(
            "SELECT id FROM enrollment WHERE candidateId = \(candidate) AND state = ANY(\(states.map(\.rawValue))) ORDER BY id FOR NO KEY UPDATE", logger)
        {
            if let enrollment = try await lockedEnrollmentRow(try row("id"), connection, logger) { found.append(enrollment) }
        }
        return found
    }

    static func suppress(_ key: String, reason: String, actor: String, _ connection: PostgresConnection, _ logger: Logger, now: Date) async throws {
        try await connection.execute(
            """
            INSERT INTO suppression (kind, value, reason, actor, createdAt) VALUES ('address', \(key), \(reason), \(actor), \(now))
            ON CONFLICT (kind, value) DO NOTHING
            """, logger)
    }

    /// The enrolment an incoming message belongs to, by the SQLite store's rule: Gmail's thread id, else the first
    /// Message-ID that names a message Cadence sent, else the first address whose key is a candidate's.
    static func matchEnrollment(
        mailbox: String, thread: String?, messageIDs: [String], addresses: [String], _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> Int64? {
        if let thread,
            let row = try await connection.record(
                "SELECT enrollmentId FROM sendRecord WHERE mailbox = \(mailbox) AND providerThreadId = \(thread) ORDER BY id LIMIT 1", logger),
            let id = try row("enrollmentId", as: Int64?.self)
        {
            return id
        }
        for messageID in messageIDs {
            let bare = messageID.trimmingCharacters(in: CharacterSet(charactersIn: "<> "))
            guard !bare.isEmpty else { continue }
            if let row = try await connection.record(
                """
                SELECT enrollmentId FROM sendRecord WHERE rfcMessageId IN (\(bare), \(messageID)) OR storedMessageId IN (\(bare), \(messageID))
                ORDER BY id LIMIT 1
                """, logger), let id = try row("enrollmentId", as: Int64?.self)
            {
                return id
            }
        }
        for address in addresses {
            let key = AddressKey.normalized(text: address)
            guard !key.isEmpty else { continue }
            if let row = try await connection.record(
                "SELECT e.id FROM enrollment e JOIN candidate c ON c.id = e.candidateId WHERE c.addressKey = \(key) ORDER BY e.id DESC LIMIT 1", logger)
            {
                return try row("id")
            }
        }
        return nil
    }

    public func sentToMatch(mailbox: String, thread: String?, messageIDs: [String], addresses: [String]) async throws(StoreError) -> [[UInt8]] {
        let logger = logger
        return try await transaction { connection in
            guard
                let enrollment = try await Self.matchEnrollment(
                    mailbox: mailbox, thread: thread, messageIDs: messageIDs, addresses: addresses, connection, logger)
            else { return [] }
            // Sent, or possibly sent (in doubt): either way the person may have its text in front of them.
            return try await connection.records(
                "SELECT message FROM sendRecord WHERE enrollmentId = \(enrollment) AND message IS NOT NULL AND state <> 'failed' ORDER BY id DESC LIMIT 10",
                logger
            ).map { Array(try $0("message", as: ByteBuffer.self).readableBytesView) }
        }
    }

    public func personMatching(messageIDs: [String], addresses: [String]) async throws(StoreError) -> (address: String, campaign: String)? {
        let logger = logger
        return try await transaction { connection in
            guard let id = try await Self.matchEnrollment(mailbox: "", thread: nil, messageIDs: messageIDs, addresses: addresses, connection, logger),
                let row = try await connection.record(
                    "SELECT c.address, e.campaignId FROM enrollment e JOIN candidate c ON c.id = e.candidateId WHERE e.id = \(id)", logger)
            else { return nil }
            return (try row("address"), try row("campaignId"))
        }
    }

    public func resumeReturned(now: Date) async throws(StoreError) -> Int {
        let logger = logger
        return try await transaction { connection in
            var resumed = 0
            // Only the people away (few), each locked as a decision about them is: candidate, then enrolment.
            for row in try await connection.records("SELECT id FROM enrollment WHERE state = 'paused' AND reason LIKE '%\"outOfOffice\"%' ORDER BY id", logger) {
                guard let (enrollment, _) = try await Self.lockedEnrollment(try row("id"), connection, logger),
                    enrollment.stored.state == .paused, let next = enrollment.stored.returned(by: now)
                else { continue }
                try await Self.setState(enrollment.id, next, connection, logger, now: now)
                try await Self.event(enrollment, kind: .resumed, actor: "runner", detail: "back from out of office", connection, logger, now: now)
                resumed += 1
            }
            return resumed
        }
    }

    public func recordedIncoming(mailbox: String) async throws(StoreError) -> [RecordedIncoming] {
        let logger = logger
        return try await read { connection in
            try await connection.records(
                """
                SELECT i.providerMessageId, i.class, c.addressKey FROM incomingMessage i
                LEFT JOIN enrollment e ON e.id = i.enrollmentId LEFT JOIN candidate c ON c.id = e.candidateId
                WHERE i.mailbox = \(mailbox) ORDER BY i.seq
                """, logger
            ).map { RecordedIncoming(providerMessageID: try $0("providerMessageId"), incomingClass: try $0("class"), candidate: try $0("addressKey")) }
        }
    }

    public func bounceCounts(campaign: String) async throws(StoreError) -> (bounced: Int, sent: Int) {
        let logger = logger
        let counts: (Int, Int) = try await transaction { connection in
            let bounced =
                try await connection.record(
                    """
                    SELECT COUNT(*) AS n FROM incomingMessage i JOIN enrollment e ON e.id = i.enrollmentId WHERE e.campaignId = \(campaign) AND i.class = 'bounce'
                    """, logger)?("n", as: Int64.self) ?? 0
            let sent =
                try await connection.record("SELECT COUNT(*) AS n FROM sendRecord WHERE campaignId = \(campaign) AND state = 'sent'", logger)?(
                    "n", as: Int64.self) ?? 0
            return (Int(bounced), Int(sent))
        }
        return (bounced: counts.0, sent: counts.1)
    }
}
