import CadenceCore
import Foundation
import GRDB

/// A message that came back to a mailbox, classified, and what it belongs to.
public struct IncomingMessage: Sendable, Equatable {
    public var mailbox: String
    public var providerMessageID: String
    public var providerThreadID: String?
    public var from: String
    /// The Message-IDs to find the message Cadence sent by, strongest first (a bounce's original, then
    /// `In-Reply-To` and `References`), with angle brackets.
    public var references: [String]
    /// The addresses to find the person by when no Message-ID does: a bounce's failed recipients, else the sender.
    public var addresses: [String]
    public var incomingClass: IncomingClass
    /// The classifier rule that decided the class.
    public var rule: String
    /// A short piece of its text, for events and `show`.
    public var snippet: String
    public var receivedAt: Date

    public init(
        mailbox: String, providerMessageID: String, providerThreadID: String?, from: String, references: [String], addresses: [String]? = nil,
        incomingClass: IncomingClass, rule: String = "unknown", snippet: String, receivedAt: Date
    ) {
        self.mailbox = mailbox
        self.providerMessageID = providerMessageID
        self.providerThreadID = providerThreadID
        self.from = from
        self.references = references
        self.addresses = addresses ?? (from.isEmpty ? [] : [from])
        self.incomingClass = incomingClass
        self.rule = rule
        self.snippet = snippet
        self.receivedAt = receivedAt
    }
}

/// What processing an incoming message did.
public enum IncomingOutcome: Sendable, Equatable {
    /// Already processed before (a re-read after a crash, a duplicate push): nothing done.
    case alreadyProcessed
    /// It concerns no enrolment Cadence knows (a newsletter, a colleague): recorded only.
    case unrelated
    /// Recorded against the candidate (in `campaign`); `stopped` enrolments stopped, `paused` paused until the
    /// person is back, `suppressed` whether the address was suppressed.
    case applied(candidate: String, campaign: String, stopped: Int, paused: Int, suppressed: Bool)
}

extension CadenceDatabase {
    /// The mailbox's processed history position, if it has one.
    public func syncCheckpoint(_ mailbox: String) async throws(StoreError) -> String? {
        try await read { db in try String.fetchOne(db, sql: "SELECT historyId FROM mailboxSync WHERE mailbox = ?", arguments: [mailbox]) }
    }

    /// Moves the mailbox's position forward (never back), after the messages before it were processed.
    public func advanceCheckpoint(_ mailbox: String, to historyID: String, fence: Int64?, now: Date) async throws(StoreError) {
        try await write { db in
            if let fence { try Self.requireFence(fence, db) }
            if let current = try String.fetchOne(db, sql: "SELECT historyId FROM mailboxSync WHERE mailbox = ?", arguments: [mailbox]),
                let old = UInt64(current), let new = UInt64(historyID), new <= old
            {
                try db.execute(sql: "UPDATE mailboxSync SET syncedAt = ? WHERE mailbox = ?", arguments: [now, mailbox])
                return
            }
            try db.execute(
                sql: "INSERT INTO mailboxSync (mailbox, historyId, syncedAt) VALUES (?, ?, ?) ON CONFLICT (mailbox) DO UPDATE SET historyId = excluded.historyId, syncedAt = excluded.syncedAt",
                arguments: [mailbox, historyID, now])
        }
    }

    /// Records an incoming message once and carries out what `policy` decides it does, in one transaction.
    ///
    /// The enrolment is found by Gmail's thread id, else by a Message-ID it answers, else by the normalised address
    /// of its sender (of the failed recipient, for a bounce). The decision (stop the person everywhere, suppress the
    /// address, pause while they are away, or only record) is `IncomingPolicy`'s, given the colleague rule of the
    /// matched enrolment's campaign; this method looks things up and writes.
    public func applyIncoming(_ message: IncomingMessage, policy: IncomingPolicy, now: Date) async throws(StoreError) -> IncomingOutcome {
        try await write { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM incomingMessage WHERE mailbox = ? AND providerMessageId = ?)", arguments: [message.mailbox, message.providerMessageID]) == true
            {
                return .alreadyProcessed
            }
            let enrollmentID = try Self.matchEnrollment(
                mailbox: message.mailbox, thread: message.providerThreadID, messageIDs: message.references, addresses: message.addresses, db)
            try db.execute(
                sql: "INSERT INTO incomingMessage (mailbox, providerMessageId, enrollmentId, class, rule, snippet, receivedAt) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [message.mailbox, message.providerMessageID, enrollmentID, message.incomingClass.name, message.rule, message.snippet, message.receivedAt])
            guard let enrollmentID, let enrollment = try EnrollmentRow.find(enrollmentID, db),
                let candidate = try CandidateRow.find(enrollment.candidateId, db)
            else { return .unrelated }
            try Self.syncPersonOutcomes(enrollmentID: enrollmentID, db)
            let key = candidate.addressKey
            let actor = "mailbox \(message.mailbox)"
            let detail = "\(message.incomingClass.name) (Gmail message \(message.providerMessageID), rule \(message.rule)): \(message.snippet.prefix(120))"
            try Self.event(enrollment, kind: .incoming, actor: actor, detail: detail, db, now: now)
            let colleagueReply = try Self.definition(enrollment.campaignId, db)?.colleagueReply ?? .stop
            let decision = policy.decide(
                message.incomingClass, rule: message.rule, from: message.from, candidateKey: key, colleagueReply: colleagueReply, receivedAt: message.receivedAt, now: now)
            if let note = decision.note {
                try Self.event(enrollment, kind: .incoming, actor: actor, detail: note, db, now: now)
            }
            var stopped = 0
            var paused = 0
            if let until = decision.pauseUntil {
                for row in try EnrollmentRow.filter(Column("candidateId") == candidate.id && Column("state") == EnrollmentStatus.active).fetchAll(db) {
                    let reason = PauseReason.outOfOffice(until: until, guessed: decision.pauseGuessed)
                    try Self.setState(row.id, row.stored.awayUntil(until, guessed: decision.pauseGuessed, now: now), db, now: now)
                    try Self.event(row, kind: .paused, actor: actor, detail: reason.description, db, now: now)
                    paused += 1
                }
            }
            if let stop = decision.stop {
                // The person's enrolments in every campaign, not just this one.
                let inProgress = EnrollmentStatus.inProgress.contains(Column("state"))
                for row in try EnrollmentRow.filter(Column("candidateId") == candidate.id && inProgress).fetchAll(db) {
                    try Self.setState(row.id, StoredState(.stopped(stop)), db, now: now)
                    try Self.event(row, kind: .stopped, actor: actor, detail: "\(stop.description): \(message.incomingClass.name) received", db, now: now)
                    stopped += 1
                }
            }
            if decision.suppress {
                try db.execute(
                    sql: "INSERT INTO suppression (kind, value, reason, actor, createdAt) VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, value) DO NOTHING",
                    arguments: [Suppression.Kind.address, key, message.incomingClass.name, actor, now])
            }
            return .applied(candidate: key, campaign: enrollment.campaignId, stopped: stopped, paused: paused, suppressed: decision.suppress)
        }
    }

    /// The enrolment an incoming message belongs to: by Gmail's thread id, else by the first Message-ID that names
    /// a message Cadence sent (a bounce's original first), else by the first address whose normalised key is a
    /// candidate's (a bounce's failed recipients in every field, else the sender). The order is
    /// `IncomingMail`'s: strongest evidence first.
    static func matchEnrollment(mailbox: String, thread: String?, messageIDs: [String], addresses: [String], _ db: Database) throws -> Int64? {
        if let thread,
            let id = try Int64.fetchOne(db, sql: "SELECT enrollmentId FROM sendRecord WHERE mailbox = ? AND providerThreadId = ? ORDER BY id LIMIT 1", arguments: [mailbox, thread])
        {
            return id
        }
        for messageID in messageIDs {
            let bare = messageID.trimmingCharacters(in: CharacterSet(charactersIn: "<> "))
            guard !bare.isEmpty else { continue }
            if let id = try Int64.fetchOne(
                db, sql: "SELECT enrollmentId FROM sendRecord WHERE rfcMessageId IN (?, ?) OR storedMessageId IN (?, ?) ORDER BY id LIMIT 1",
                arguments: [bare, messageID, bare, messageID])
            {
                return id
            }
        }
        for address in addresses {
            let key = AddressKey.normalized(text: address)
            guard !key.isEmpty else { continue }
            if let id = try Int64.fetchOne(
                db, sql: "SELECT e.id FROM enrollment e JOIN candidate c ON c.id = e.candidateId WHERE c.addressKey = ? ORDER BY e.id DESC LIMIT 1",
                arguments: [key])
            {
                return id
            }
        }
        return nil
    }

    public func sentToMatch(mailbox: String, thread: String?, messageIDs: [String], addresses: [String]) async throws(StoreError) -> [[UInt8]] {
        try await read { db in try Self.sentToMatch(mailbox: mailbox, thread: thread, messageIDs: messageIDs, addresses: addresses, db) }
    }

    static func sentToMatch(mailbox: String, thread: String?, messageIDs: [String], addresses: [String], _ db: Database) throws -> [[UInt8]] {
        guard let enrollment = try matchEnrollment(mailbox: mailbox, thread: thread, messageIDs: messageIDs, addresses: addresses, db) else { return [] }
        // Sent, or possibly sent (in doubt): either way the person may have its text in front of them.
        return try Data.fetchAll(
            db, sql: "SELECT message FROM sendRecord WHERE enrollmentId = ? AND message IS NOT NULL AND state <> ? ORDER BY id DESC LIMIT 10",
            arguments: [enrollment, SendRecordState.failed]
        ).map { Array($0) }
    }

    public func personMatching(messageIDs: [String], addresses: [String]) async throws(StoreError) -> (address: String, campaign: String)? {
        try await read { db in
            guard let id = try Self.matchEnrollment(mailbox: "", thread: nil, messageIDs: messageIDs, addresses: addresses, db),
                let row = try Row.fetchOne(
                    db, sql: "SELECT c.address, e.campaignId FROM enrollment e JOIN candidate c ON c.id = e.candidateId WHERE e.id = ?", arguments: [id])
            else { return nil }
            return (row["address"], row["campaignId"])
        }
    }

    /// People paused for being out of office whose return time has come resume where they were (their next step
    /// at the time left when they went away, after `until`). Returns how many resumed.
    public func resumeReturned(now: Date) async throws(StoreError) -> Int {
        try await write { db in
            var resumed = 0
            for row in try EnrollmentRow.filter(Column("state") == EnrollmentStatus.paused).fetchAll(db) {
                guard let next = row.stored.returned(by: now) else { continue }
                try Self.setState(row.id, next, db, now: now)
                try Self.event(row, kind: .resumed, actor: "runner", detail: "back from out of office", db, now: now)
                resumed += 1
            }
            return resumed
        }
    }

    /// The incoming messages recorded for `mailbox`, in the order they were processed.
    public func recordedIncoming(mailbox: String) async throws(StoreError) -> [RecordedIncoming] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT i.providerMessageId, i.class, c.addressKey FROM incomingMessage i
                    LEFT JOIN enrollment e ON e.id = i.enrollmentId LEFT JOIN candidate c ON c.id = e.candidateId
                    WHERE i.mailbox = ? ORDER BY i.rowid
                    """, arguments: [mailbox]
            ).map { RecordedIncoming(providerMessageID: $0["providerMessageId"], incomingClass: $0["class"], candidate: $0["addressKey"]) }
        }
    }

    /// Permanent bounces and sends of a campaign, for its hard-bounce rate.
    public func bounceCounts(campaign: String) async throws(StoreError) -> (bounced: Int, sent: Int) {
        try await read { db in
            let bounced =
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT COUNT(*) FROM incomingMessage i JOIN enrollment e ON e.id = i.enrollmentId WHERE e.campaignId = ? AND i.class = 'bounce'
                        """, arguments: [campaign]) ?? 0
            let sent = try SendRecordRow.filter(Column("campaignId") == campaign && Column("state") == SendRecordState.sent).fetchCount(db)
            return (bounced, sent)
        }
    }
}
