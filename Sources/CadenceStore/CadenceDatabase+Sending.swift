import CadenceCore
import Foundation
import GRDB

/// A send recorded before the provider was called whose outcome is not yet known: what the runner reconciles.
public struct PendingSend: Sendable, Equatable {
    public var recordID: Int64
    public var enrollmentID: Int64
    public var campaignID: String
    public var stepID: String
    public var key: SendKey
    public var mailbox: String
    public var bytes: [UInt8]
    public var recipientDomain: String
    /// The candidate's zone, for scheduling the step after this one.
    public var timeZone: String?
    /// The candidate's address as written, for lookups by recipient.
    public var recipient: String
    /// When the intent was recorded.
    public var createdAt: Date
    /// Lookups that found nothing so far, and when the last one ran.
    public var lookupMisses: Int
    public var lookedUpAt: Date?
    public var historyCursor: String?
}

/// A message already sent to an enrolment: what a follow-up in its thread needs.
public struct SentRecord: Sendable, Equatable {
    public var recordID: Int64
    public var stepID: String
    /// The Message-ID Cadence wrote, without angle brackets.
    public var rfcMessageID: String
    /// The Message-ID the provider stored, with angle brackets as Gmail shows it; nil when not known (yet).
    public var storedMessageID: String?
    public var providerMessageID: String?
    public var providerThreadID: String?
}

/// What recording a send's intent found.
public enum IntentOutcome: Sendable, Equatable {
    /// Recorded: call the provider with exactly these bytes.
    case recorded(recordID: Int64)
    /// The enrolment is no longer where the claim found it (replied, paused, moved on): send nothing.
    case skipped(String)
}

extension CadenceDatabase {
    /// Records the intent to send `bytes` for `step`, in one transaction that first checks, again, that the
    /// enrolment is still active at that step and due, and that the address is not suppressed (a suppressed one
    /// is stopped). The record is unique per enrolment and step: a step is sent at most once, ever.
    ///
    /// `fence` is the runner's lease fence: the intent is refused once another runner holds the lease, and is
    /// stamped with it, so only this runner (or a later holder) may record what became of it.
    public func recordIntent(_ step: DueStep, key: SendKey, bytes: [UInt8], historyCursor: String? = nil, fence: Int64, now: Date) throws(StoreError) -> IntentOutcome {
        try write { db in
            try Self.requireFence(fence, db)
            guard let enrollment = try Row.fetchOne(db, sql: """
                SELECT e.*, c.addressKey FROM enrollment e JOIN candidate c ON c.id = e.candidateId WHERE e.id = ?
                """, arguments: [step.enrollmentID]),
                enrollment["state"] == "active", enrollment["stepId"] == step.stepID,
                let due: Date = enrollment["dueAt"], due <= now
            else { return .skipped("the enrolment is no longer due at this step") }
            let addressKey: String = enrollment["addressKey"]
            let domain = String(addressKey.split(separator: "@").last ?? "")
            if try Self.isSuppressed(key: addressKey, domain: domain, db) {
                try Self.setState(enrollment["id"], StoredState(.stopped(.suppressed)), db, now: now)
                try Self.event(enrollment, kind: "stopped", actor: "runner", detail: "the address is on the suppression list", db, now: now)
                return .skipped("suppressed")
            }
            if let existing = try Row.fetchOne(db, sql: "SELECT id, state FROM sendRecord WHERE enrollmentId = ? AND stepId = ?", arguments: [step.enrollmentID, step.stepID]) {
                // An earlier intent for this very step is still open: only reconciliation may send it (asking the
                // provider first), never a second attempt from here. A refused one that a person resumed is retried.
                guard existing["state"] == "failed" else { return .skipped("an earlier send of this step is being reconciled") }
                // Refused for good (Gmail did not store it), and a person resumed the step: a new attempt, recorded
                // in full as a fresh intent would be.
                try db.execute(sql: """
                    UPDATE sendRecord SET state = 'intent', error = NULL, message = ?, rfcMessageId = ?, sendId = ?, historyCursor = ?,
                    lookupMisses = 0, lookedUpAt = NULL, createdAt = ?, fence = ? WHERE id = ?
                    """, arguments: [Data(bytes), key.messageID, key.sendID, historyCursor, now, fence, existing["id"]])
                return .recorded(recordID: existing["id"])
            }
            try db.execute(sql: """
                INSERT INTO sendRecord (enrollmentId, campaignId, stepId, sendId, mailbox, state, message, rfcMessageId, historyCursor, createdAt, fence)
                VALUES (?, ?, ?, ?, ?, 'intent', ?, ?, ?, ?, ?)
                """, arguments: [step.enrollmentID, step.campaignID, step.stepID, key.sendID, step.mailbox, Data(bytes), key.messageID, historyCursor, now, fence])
            return .recorded(recordID: db.lastInsertedRowID)
        }
    }

    static func isSuppressed(key: String, domain: String, _ db: Database) throws -> Bool {
        let domains = AddressKey.domainAndParents(domain)
        let placeholders = domains.map { _ in "?" }.joined(separator: ", ")
        return try Bool.fetchOne(db, sql: """
            SELECT EXISTS (SELECT 1 FROM suppression WHERE (kind = 'address' AND value = ?) OR (kind = 'hash' AND value = ?)
            OR (kind = 'domain' AND value IN (\(placeholders))))
            """, arguments: StatementArguments([key, AddressKey.hash(key)] + domains)) ?? false
    }

    /// The provider has the message: mark it sent, count it against the mailbox, and move the enrolment on to
    /// `next`, all in one transaction. Recording an already-sent record again changes nothing.
    ///
    /// A person paused while the send was out (by hand, or by an out-of-office read meanwhile) stays paused, but
    /// resumes at `next`: the step that went out is not theirs to send again.
    public func recordSent(_ recordID: Int64, sent: SentMessage, next: EnrollmentState, recipientDomain: String, fence: Int64, now: Date) throws(StoreError) {
        try write { db in
            guard let record = try Self.fencedRecord(recordID, fence, db), record["state"] != "sent" else { return }
            try db.execute(
                sql: "UPDATE sendRecord SET state = 'sent', providerMessageId = ?, providerThreadId = ?, storedMessageId = ?, historyId = ?, sentAt = ?, error = NULL WHERE id = ?",
                arguments: [sent.providerMessageID, sent.threadID, sent.storedMessageID, sent.historyID, now, recordID])
            try db.execute(
                sql: "INSERT INTO mailboxLedger (mailbox, sentAt, recipientDomain, campaignId) VALUES (?, ?, ?, ?)",
                arguments: [record["mailbox"], now, recipientDomain, record["campaignId"]])
            guard let enrollment = try Row.fetchOne(db, sql: "SELECT * FROM enrollment WHERE id = ?", arguments: [record["enrollmentId"]]) else { return }
            try Self.event(enrollment, kind: "sent", actor: "runner", detail: "step \(record["stepId"] as String) (\(record["sendId"] as String))", db, now: now)
            // Move on only if nothing else moved the enrolment meanwhile (a reply can stop it while the send was out).
            guard enrollment["stepId"] == record["stepId"] as String else { return }
            if enrollment["state"] == "active" || enrollment["state"] == "held" {
                try Self.setState(enrollment["id"], StoredState(next), db, now: now)
            } else if enrollment["state"] == "paused" {
                try Self.setState(enrollment["id"], StoredState(row: enrollment).pausedMovingOn(to: StoredState(next), now: now), db, now: now)
            }
        }
    }

    /// The send may or may not have gone out: keep the record for reconciliation before any retry.
    public func recordOutcomeUnknown(_ recordID: Int64, reason: String, fence: Int64) throws(StoreError) {
        try write { db in
            guard try Self.fencedRecord(recordID, fence, db) != nil else { return }
            try db.execute(sql: "UPDATE sendRecord SET state = 'unknown', error = ? WHERE id = ? AND state != 'sent'", arguments: [reason, recordID])
        }
    }

    /// Certainly not sent (or refused for now): forget the intent and try again at `retryAt`.
    public func discardIntent(_ recordID: Int64, retryAt: Date, reason: String, fence: Int64, now: Date) throws(StoreError) {
        try write { db in
            guard let record = try Self.fencedRecord(recordID, fence, db), record["state"] != "sent" else { return }
            try db.execute(sql: "DELETE FROM sendRecord WHERE id = ?", arguments: [recordID])
            try db.execute(
                sql: "UPDATE enrollment SET dueAt = ?, reason = ?, updatedAt = ? WHERE id = ? AND state = 'active' AND stepId = ?",
                arguments: [retryAt, StoredState.encode(StoredState.Reason(kind: "deferred", note: reason)), now, record["enrollmentId"], record["stepId"]])
            if let enrollment = try Row.fetchOne(db, sql: "SELECT * FROM enrollment WHERE id = ?", arguments: [record["enrollmentId"]]) {
                try Self.event(enrollment, kind: "deferred", actor: "runner", detail: reason, db, now: now)
            }
        }
    }

    /// The provider refused this message for good: the record fails and the enrolment is held for a person.
    public func recordRejected(_ recordID: Int64, reason: String, fence: Int64, now: Date) throws(StoreError) {
        try write { db in
            guard let record = try Self.fencedRecord(recordID, fence, db) else { return }
            try db.execute(sql: "UPDATE sendRecord SET state = 'failed', error = ? WHERE id = ?", arguments: [reason, recordID])
            guard let enrollment = try Row.fetchOne(db, sql: "SELECT * FROM enrollment WHERE id = ?", arguments: [record["enrollmentId"]]),
                enrollment["state"] == "active"
            else { return }
            try Self.setState(enrollment["id"], StoredState(.held(step: record["stepId"], reason: .sendRejected(reason))), db, now: now)
            try Self.event(enrollment, kind: "held", actor: "runner", detail: "the mailbox refused the message: \(reason)", db, now: now)
        }
    }

    /// Sends recorded but not known to be done: intents (a crash came before the outcome) and unknown outcomes.
    public func unfinishedSends() throws(StoreError) -> [PendingSend] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.*, c.addressKey, c.address, c.timeZone FROM sendRecord s JOIN enrollment e ON e.id = s.enrollmentId JOIN candidate c ON c.id = e.candidateId
                WHERE s.state IN ('intent', 'unknown') ORDER BY s.id
                """).map { row in
                let key: String = row["addressKey"]
                return PendingSend(
                    recordID: row["id"], enrollmentID: row["enrollmentId"], campaignID: row["campaignId"], stepID: row["stepId"],
                    key: SendKey(sendID: row["sendId"], messageID: row["rfcMessageId"] ?? ""), mailbox: row["mailbox"],
                    bytes: Array((row["message"] as Data?) ?? Data()), recipientDomain: String(key.split(separator: "@").last ?? ""),
                    timeZone: row["timeZone"], recipient: row["address"], createdAt: row["createdAt"], lookupMisses: row["lookupMisses"],
                    lookedUpAt: row["lookedUpAt"], historyCursor: row["historyCursor"])
            }
        }
    }

    /// Whether a send that was certainly not sent may be sent again now.
    public enum ResendDecision: Sendable, Equatable {
        case resend
        /// The enrolment moved on (replied, stopped, paused) or the address was suppressed: the record is closed
        /// as failed with the reason, and nothing is sent.
        case abandoned(String)
    }

    /// Before reconciliation resends recorded bytes: checks, in one transaction, that the enrolment is still active
    /// at this step and the address not suppressed; then starts the lookup count over for the resend's outcome.
    /// The resend is stamped with `fence`: from now on only this runner (or a later holder) records its outcome.
    public func beginResend(_ recordID: Int64, fence: Int64, now: Date) throws(StoreError) -> ResendDecision {
        try write { db in
            guard let record = try Self.fencedRecord(recordID, fence, db) else { return .abandoned("no record") }
            guard let enrollment = try Row.fetchOne(db, sql: """
                SELECT e.*, c.addressKey FROM enrollment e JOIN candidate c ON c.id = e.candidateId WHERE e.id = ?
                """, arguments: [record["enrollmentId"]])
            else { return .abandoned("the candidate was forgotten") }
            let addressKey: String = enrollment["addressKey"]
            let domain = String(addressKey.split(separator: "@").last ?? "")
            var reason: String?
            if enrollment["state"] != "active" || enrollment["stepId"] != record["stepId"] as String {
                reason = "not resent: the enrolment moved on (\(enrollment["state"] as String)) before the send could be confirmed"
            } else if try Self.isSuppressed(key: addressKey, domain: domain, db) {
                reason = "not resent: the address is on the suppression list"
            }
            if let reason {
                try db.execute(sql: "UPDATE sendRecord SET state = 'failed', error = ? WHERE id = ?", arguments: [reason, recordID])
                try Self.event(enrollment, kind: "deferred", actor: "runner", detail: reason, db, now: now)
                return .abandoned(reason)
            }
            try db.execute(sql: "UPDATE sendRecord SET lookupMisses = 0, lookedUpAt = NULL, fence = ? WHERE id = ?", arguments: [fence, recordID])
            return .resend
        }
    }

    /// A lookup found nothing: counted, so the next one (after the provider's recheck delay) can be trusted.
    public func recordLookupMiss(_ recordID: Int64, fence: Int64, now: Date) throws(StoreError) {
        try write { db in
            guard try Self.fencedRecord(recordID, fence, db) != nil else { return }
            try db.execute(sql: "UPDATE sendRecord SET lookupMisses = lookupMisses + 1, lookedUpAt = ? WHERE id = ?", arguments: [now, recordID])
        }
    }

    /// The mailbox's latest history position Cadence learned (from its most recent send), for a new intent.
    public func latestHistoryID(mailbox: String) throws(StoreError) -> String? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT historyId FROM sendRecord WHERE mailbox = ? AND historyId IS NOT NULL ORDER BY id DESC LIMIT 1", arguments: [mailbox])
        }
    }

    /// The messages sent to an enrolment, oldest first.
    public func sentRecords(enrollment: Int64) throws(StoreError) -> [SentRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM sendRecord WHERE enrollmentId = ? AND state = 'sent' ORDER BY id", arguments: [enrollment]).map { row in
                SentRecord(
                    recordID: row["id"], stepID: row["stepId"], rfcMessageID: row["rfcMessageId"] ?? "", storedMessageID: row["storedMessageId"],
                    providerMessageID: row["providerMessageId"], providerThreadID: row["providerThreadId"])
            }
        }
    }

    /// The provider's Message-ID for a sent record, learned after the send.
    public func setStoredMessageID(_ recordID: Int64, _ messageID: String) throws(StoreError) {
        try write { db in
            try db.execute(sql: "UPDATE sendRecord SET storedMessageId = ? WHERE id = ?", arguments: [messageID, recordID])
        }
    }

    /// People each mailbox still has in progress (active, held or paused) across every campaign: the load a new
    /// launch balances against.
    public func enrollmentsInProgress() throws(StoreError) -> [String: Int] {
        try read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT mailbox, COUNT(*) AS n FROM enrollment WHERE state IN ('active', 'held', 'paused', 'waitingOnTask') GROUP BY mailbox") {
                counts[row["mailbox"]] = row["n"]
            }
            return counts
        }
    }

    /// The provider stopped `mailbox` from sending until `until`: every step of it waits until then.
    public func pauseMailbox(_ mailbox: String, until: Date, reason: String) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: "INSERT INTO mailboxPause (mailbox, until, reason) VALUES (?, ?, ?) ON CONFLICT (mailbox) DO UPDATE SET until = excluded.until, reason = excluded.reason",
                arguments: [mailbox, until, reason])
        }
    }

    /// The pause on `mailbox` still in force at `now`, if any.
    public func mailboxPause(_ mailbox: String, now: Date) throws(StoreError) -> (until: Date, reason: String)? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT until, reason FROM mailboxPause WHERE mailbox = ? AND until > ?", arguments: [mailbox, now]) else { return nil }
            return (row["until"], row["reason"])
        }
    }

    /// Moves a due enrolment's time to `time` (outside the send window, over a limit), with the reason in its events.
    public func postpone(_ enrollmentID: Int64, step: String, until time: Date, reason: String, now: Date) throws(StoreError) {
        try write { db in
            // The reason stays on the active enrolment until it moves, so `status` can say why it waits.
            try db.execute(
                sql: "UPDATE enrollment SET dueAt = ?, reason = ?, updatedAt = ? WHERE id = ? AND state = 'active' AND stepId = ?",
                arguments: [time, StoredState.encode(StoredState.Reason(kind: "deferred", note: reason)), now, enrollmentID, step])
            guard db.changesCount > 0, let enrollment = try Row.fetchOne(db, sql: "SELECT * FROM enrollment WHERE id = ?", arguments: [enrollmentID]) else { return }
            try Self.event(enrollment, kind: "deferred", actor: "runner", detail: "until \(Timestamps.display(time)): \(reason)", db, now: now)
        }
    }

    /// Send times from the ledger since `since`, oldest first: for a mailbox, or a campaign, or a campaign and domain.
    public func sendTimes(mailbox: String? = nil, campaign: String? = nil, domain: String? = nil, since: Date) throws(StoreError) -> [Date] {
        try read { db in
            var conditions = ["sentAt > ?"]
            var arguments: [any DatabaseValueConvertible] = [since]
            if let mailbox { conditions.append("mailbox = ?"); arguments.append(mailbox) }
            if let campaign { conditions.append("campaignId = ?"); arguments.append(campaign) }
            if let domain { conditions.append("recipientDomain = ?"); arguments.append(domain) }
            return try Date.fetchAll(db, sql: "SELECT sentAt FROM mailboxLedger WHERE \(conditions.joined(separator: " AND ")) ORDER BY sentAt", arguments: StatementArguments(arguments))
        }
    }

}

extension CadenceDatabase {
    /// Holds an active enrolment at `step` (its data turned out to be missing when rendering).
    public func hold(_ enrollmentID: Int64, step: String, reason: HoldReason, now: Date) throws(StoreError) {
        try write { db in
            guard let enrollment = try Row.fetchOne(db, sql: "SELECT * FROM enrollment WHERE id = ? AND state = 'active' AND stepId = ?", arguments: [enrollmentID, step]) else { return }
            try Self.setState(enrollmentID, StoredState(.held(step: step, reason: reason)), db, now: now)
            try Self.event(enrollment, kind: "held", actor: "runner", detail: reason.description, db, now: now)
        }
    }
}
