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

    package init(
        recordID: Int64, enrollmentID: Int64, campaignID: String, stepID: String, key: SendKey, mailbox: String, bytes: [UInt8], recipientDomain: String, timeZone: String?, recipient: String,
        createdAt: Date, lookupMisses: Int, lookedUpAt: Date?, historyCursor: String?
    ) {
        self.recordID = recordID
        self.enrollmentID = enrollmentID
        self.campaignID = campaignID
        self.stepID = stepID
        self.key = key
        self.mailbox = mailbox
        self.bytes = bytes
        self.recipientDomain = recipientDomain
        self.timeZone = timeZone
        self.recipient = recipient
        self.createdAt = createdAt
        self.lookupMisses = lookupMisses
        self.lookedUpAt = lookedUpAt
        self.historyCursor = historyCursor
    }
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
    public var sentAt: Date? = nil

    package init(recordID: Int64, stepID: String, rfcMessageID: String, storedMessageID: String?, providerMessageID: String?, providerThreadID: String?, sentAt: Date? = nil) {
        self.recordID = recordID
        self.stepID = stepID
        self.rfcMessageID = rfcMessageID
        self.storedMessageID = storedMessageID
        self.providerMessageID = providerMessageID
        self.providerThreadID = providerThreadID
        self.sentAt = sentAt
    }
}

/// Whether a send that was certainly not sent may be sent again now.
public enum ResendDecision: Sendable, Equatable {
    case resend
    /// The enrolment moved on (replied, stopped, paused) or the address was suppressed: the record is closed
    /// as failed with the reason, and nothing is sent.
    case abandoned(String)
}

/// What recording a send's intent found.
public enum IntentOutcome: Sendable, Equatable {
    /// Recorded: call the provider with exactly these bytes.
    case recorded(recordID: Int64)
    /// The enrolment is no longer where the claim found it (replied, paused, moved on): send nothing.
    case skipped(String)
    /// A campaign-wide limit is full, counting the sends other runners have in flight: the step waits until
    /// `until`, for `reason`.
    case deferred(until: Date, reason: String)
}

extension CadenceDatabase {
    /// Records the intent to send `bytes` for `step`, in one transaction that first checks, again, that the
    /// enrolment is still active at that step and due, and that the address is not suppressed (a suppressed one
    /// is stopped). The record is unique per enrolment and step: a step is sent at most once, ever.
    ///
    /// `fence` is the runner's lease fence: the intent is refused once another runner holds the lease, and is
    /// stamped with it, so only this runner (or a later holder) may record what became of it.
    ///
    /// `links` are the original addresses of the message's click links (link n is `links[n - 1]`), written in the
    /// same transaction, so a click on a message that may have gone out always finds where it goes.
    public func recordIntent(
        _ step: DueStep, key: SendKey, bytes: [UInt8], links: [String], trackingKeyID: UInt8?, historyCursor: String?, limits: CampaignLimits,
        fence: Int64, now: Date
    ) async throws(StoreError) -> IntentOutcome {
        try await write { db in
            try Self.requireFence(fence, db)
            guard let enrollment = try EnrollmentRow.find(step.enrollmentID, db),
                enrollment.state == .active, enrollment.stepId == step.stepID, enrollment.mailbox == step.mailbox,
                let due = enrollment.dueAt, due <= now,
                let candidate = try CandidateRow.find(enrollment.candidateId, db)
            else { return .skipped("the enrolment is no longer due at this step") }
            if try Self.isSuppressed(key: candidate.addressKey, domain: candidate.domain, db) {
                try Self.setState(enrollment.id, StoredState(.stopped(.suppressed)), db, now: now)
                try Self.event(enrollment, kind: .stopped, actor: "runner", detail: "the address is on the suppression list", db, now: now)
                return .skipped("suppressed")
            }
            let earlier = try SendRecordRow.filter(Column("enrollmentId") == step.enrollmentID && Column("stepId") == step.stepID).fetchOne(db)
            // An earlier intent for this very step is still open: only reconciliation may send it (asking the
            // provider first), never a second attempt from here. A refused one that a person resumed is retried.
            if let earlier, earlier.state != .failed { return .skipped("an earlier send of this step is being reconciled") }
            if let wait = try Self.campaignWait(limits, campaign: step.campaignID, domain: candidate.domain, db, now: now) {
                return .deferred(until: wait.until, reason: wait.reason)
            }
            if var existing = earlier {
                // Refused for good (Gmail did not store it), and a person resumed the step: a new attempt, recorded
                // in full as a fresh intent would be.
                try existing.updateChanges(db) {
                    $0.state = .intent
                    $0.error = nil
                    $0.message = Data(bytes)
                    $0.rfcMessageId = key.messageID
                    $0.sendId = key.sendID
                    $0.historyCursor = historyCursor
                    $0.lookupMisses = 0
                    $0.lookedUpAt = nil
                    $0.createdAt = now
                    $0.fence = fence
                    $0.trackingId = key.trackingID
                    $0.trackingKeyId = trackingKeyID.map { Int($0) }
                }
                try db.execute(sql: "UPDATE sendRecord SET variantId = ? WHERE id = ?", arguments: [Self.decodeMap(enrollment.variants)[step.stepID] ?? "", existing.id])
                try Self.recordLinks(links, of: existing.id, db)
                return .recorded(recordID: existing.id)
            }
            try db.execute(
                sql: """
                    INSERT INTO sendRecord (enrollmentId, campaignId, stepId, sendId, mailbox, state, message, rfcMessageId, historyCursor, createdAt, fence, trackingId, trackingKeyId, variantId)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    step.enrollmentID, step.campaignID, step.stepID, key.sendID, step.mailbox, SendRecordState.intent, Data(bytes), key.messageID,
                    historyCursor, now, fence, key.trackingID, trackingKeyID.map { Int($0) }, Self.decodeMap(enrollment.variants)[step.stepID] ?? "",
                ])
            let recordID = db.lastInsertedRowID
            try Self.recordLinks(links, of: recordID, db)
            return .recorded(recordID: recordID)
        }
    }

    /// The campaign's own limits, counting what was sent in the last day and what is in flight (intents and
    /// outcomes not yet known): one writer holds a SQLite file, so no other send can slip in meanwhile.
    static func campaignWait(_ limits: CampaignLimits, campaign: String, domain: String, _ db: Database, now: Date) throws -> SendAdmission.Wait? {
        guard SendAdmission.hasCampaignWaits(limits, domain: domain) else { return nil }
        let since = now.addingTimeInterval(-86_400)
        let sent = try Row.fetchAll(
            db, sql: "SELECT sentAt, recipientDomain FROM mailboxLedger INDEXED BY mailboxLedgerCampaign WHERE campaignId = ? AND sentAt > ?",
            arguments: [campaign, since]
        ).map { (at: $0["sentAt"] as Date, domain: $0["recipientDomain"] as String) }
        let inFlight = try Row.fetchAll(
            db,
            sql: """
                SELECT s.createdAt, c.addressKey FROM sendRecord s JOIN enrollment e ON e.id = s.enrollmentId JOIN candidate c ON c.id = e.candidateId
                WHERE s.campaignId = ? AND s.state IN ('intent', 'unknown') AND s.createdAt > ?
                """, arguments: [campaign, since]
        ).map { (at: $0["createdAt"] as Date, domain: String(($0["addressKey"] as String).split(separator: "@").last ?? "")) }
        let all = (sent + inFlight).sorted { $0.at < $1.at }
        return SendAdmission.campaignWait(
            limits, domain: domain, campaign: all.map(\.at), domainTimes: all.filter { $0.domain.lowercased() == domain.lowercased() }.map(\.at))
    }

    static func recordLinks(_ links: [String], of recordID: Int64, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM trackedLink WHERE sendRecordId = ?", arguments: [recordID])
        let statement = try db.cachedStatement(sql: "INSERT INTO trackedLink (sendRecordId, link, url) VALUES (?, ?, ?)")
        for (index, url) in links.enumerated() { try statement.execute(arguments: [recordID, index + 1, url]) }
    }

    static func isSuppressed(key: String, domain: String, _ db: Database) throws -> Bool {
        let domains = AddressKey.domainAndParents(domain)
        let placeholders = domains.map { _ in "?" }.joined(separator: ", ")
        return try Bool.fetchOne(
            db,
            sql: """
                SELECT EXISTS (SELECT 1 FROM suppression WHERE (kind = ? AND value = ?) OR (kind = ? AND value = ?)
                OR (kind = ? AND value IN (\(placeholders))))
                """,
            arguments: StatementArguments(
                [Suppression.Kind.address, key, Suppression.Kind.hash, AddressKey.hash(key), Suppression.Kind.domain] as [any DatabaseValueConvertible] + domains)
        ) ?? false
    }

    /// The provider has the message: mark it sent, count it against the mailbox, and move the enrolment on to
    /// `next`, all in one transaction. Recording an already-sent record again changes nothing.
    ///
    /// A person paused while the send was out (by hand, or by an out-of-office read meanwhile) stays paused, but
    /// resumes at `next`: the step that went out is not theirs to send again. When it was their last step they are
    /// finished instead.
    ///
    /// The send is dated when the provider took it (`sent.sentAt`), kept between the intent and `now` since the
    /// provider's clock is not ours; without it, `now`.
    public func recordSent(_ recordID: Int64, sent: SentMessage, next: EnrollmentState, recipientDomain: String, fence: Int64, now: Date) async throws(StoreError) {
        try await write { db in
            guard var record = try Self.fencedRecord(recordID, fence, db), record.state != .sent else { return }
            let sentAt = min(max(sent.sentAt ?? now, record.createdAt), now)
            try record.updateChanges(db) {
                $0.state = .sent
                $0.providerMessageId = sent.providerMessageID
                $0.providerThreadId = sent.threadID
                $0.storedMessageId = sent.storedMessageID
                $0.historyId = sent.historyID
                $0.sentAt = sentAt
                $0.error = nil
            }
            try db.execute(
                sql: "INSERT INTO mailboxLedger (mailbox, sentAt, recipientDomain, campaignId) VALUES (?, ?, ?, ?)",
                arguments: [record.mailbox, sentAt, recipientDomain, record.campaignId])
            try Self.countSent(recordID: record.id, at: sentAt, db)
            guard let enrollmentID = record.enrollmentId, let enrollment = try EnrollmentRow.find(enrollmentID, db) else { return }
            try Self.event(enrollment, kind: .sent, actor: "runner", detail: "step \(record.stepId) (\(record.sendId))", db, now: now)
            // Move on only if nothing else moved the enrolment meanwhile (a reply can stop it while the send was out).
            guard enrollment.stepId == record.stepId else { return }
            switch enrollment.state {
            case .active, .held: try Self.setState(enrollment.id, StoredState(next), db, now: now)
            case .paused:
                // The step that went out was their last: nothing is left to pause, they are finished.
                let moved = next.step == nil ? StoredState(next) : enrollment.stored.pausedMovingOn(to: StoredState(next), now: now)
                try Self.setState(enrollment.id, moved, db, now: now)
            case .waitingOnTask, .stopped, .finished: break
            }
        }
    }

    /// The send may or may not have gone out: keep the record for reconciliation before any retry.
    public func recordOutcomeUnknown(_ recordID: Int64, reason: String, fence: Int64) async throws(StoreError) {
        try await write { db in
            guard var record = try Self.fencedRecord(recordID, fence, db), record.state != .sent else { return }
            try record.updateChanges(db) {
                $0.state = .unknown
                $0.error = reason
            }
        }
    }

    /// Certainly not sent (or refused for now): forget the intent and try again at `retryAt`.
    public func discardIntent(_ recordID: Int64, retryAt: Date, reason: String, fence: Int64, now: Date) async throws(StoreError) {
        try await write { db in
            guard let record = try Self.fencedRecord(recordID, fence, db), record.state != .sent else { return }
            try record.delete(db)
            guard let enrollmentID = record.enrollmentId, var enrollment = try EnrollmentRow.find(enrollmentID, db) else { return }
            if enrollment.state == .active, enrollment.stepId == record.stepId {
                try enrollment.updateChanges(db) {
                    $0.dueAt = retryAt
                    $0.reason = StoredState.deferral(reason)
                    $0.updatedAt = now
                }
            }
            try Self.event(enrollment, kind: .deferred, actor: "runner", detail: reason, db, now: now)
        }
    }

    /// The provider refused this message for good: the record fails and the enrolment is held for a person.
    public func recordRejected(_ recordID: Int64, reason: String, fence: Int64, now: Date) async throws(StoreError) {
        try await write { db in
            guard var record = try Self.fencedRecord(recordID, fence, db) else { return }
            try record.updateChanges(db) {
                $0.state = .failed
                $0.error = reason
            }
            guard let enrollmentID = record.enrollmentId, let enrollment = try EnrollmentRow.find(enrollmentID, db), enrollment.state == .active
            else { return }
            try Self.setState(enrollment.id, StoredState(.held(step: record.stepId, reason: .sendRejected(reason))), db, now: now)
            try Self.event(enrollment, kind: .held, actor: "runner", detail: "the mailbox refused the message: \(reason)", db, now: now)
        }
    }

    /// Sends recorded but not known to be done: intents (a crash came before the outcome) and unknown outcomes.
    public func unfinishedSends() async throws(StoreError) -> [PendingSend] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT s.*, c.addressKey, c.address, c.timeZone FROM sendRecord s JOIN enrollment e ON e.id = s.enrollmentId JOIN candidate c ON c.id = e.candidateId
                    WHERE s.state IN (?, ?) ORDER BY s.id
                    """, arguments: StatementArguments(SendRecordState.inDoubt)
            ).map { row in
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

    /// Before reconciliation resends recorded bytes: checks, in one transaction, that the enrolment is still active
    /// at this step and the address not suppressed; then starts the lookup count over for the resend's outcome.
    /// The resend is stamped with `fence`: from now on only this runner (or a later holder) records its outcome.
    public func beginResend(_ recordID: Int64, fence: Int64, now: Date) async throws(StoreError) -> ResendDecision {
        try await write { db in
            guard var record = try Self.fencedRecord(recordID, fence, db) else { return .abandoned("no record") }
            guard let enrollmentID = record.enrollmentId, let enrollment = try EnrollmentRow.find(enrollmentID, db),
                let candidate = try CandidateRow.find(enrollment.candidateId, db)
            else { return .abandoned("the candidate was forgotten") }
            var reason: String?
            if enrollment.state != .active || enrollment.stepId != record.stepId {
                reason = "not resent: the enrolment moved on (\(enrollment.state.rawValue)) before the send could be confirmed"
            } else if try Self.isSuppressed(key: candidate.addressKey, domain: candidate.domain, db) {
                reason = "not resent: the address is on the suppression list"
            }
            if let reason {
                try record.updateChanges(db) {
                    $0.state = .failed
                    $0.error = reason
                }
                try Self.event(enrollment, kind: .deferred, actor: "runner", detail: reason, db, now: now)
                return .abandoned(reason)
            }
            try record.updateChanges(db) {
                $0.lookupMisses = 0
                $0.lookedUpAt = nil
                $0.fence = fence
                // The message goes out from now on: a confirmation without the provider's own time is dated by
                // this, and a later lookup by recipient searches from here.
                $0.createdAt = now
            }
            return .resend
        }
    }

    /// A lookup found nothing: counted, so the next one (after the provider's recheck delay) can be trusted.
    public func recordLookupMiss(_ recordID: Int64, fence: Int64, now: Date) async throws(StoreError) {
        try await write { db in
            guard var record = try Self.fencedRecord(recordID, fence, db) else { return }
            try record.updateChanges(db) {
                $0.lookupMisses += 1
                $0.lookedUpAt = now
            }
        }
    }

    /// The mailbox's latest history position Cadence learned (from its most recent send), for a new intent.
    public func latestHistoryID(mailbox: String) async throws(StoreError) -> String? {
        try await read { db in
            try String.fetchOne(db, sql: "SELECT historyId FROM sendRecord WHERE mailbox = ? AND historyId IS NOT NULL ORDER BY id DESC LIMIT 1", arguments: [mailbox])
        }
    }

    /// The messages sent to an enrolment, oldest first.
    public func sentRecords(enrollment: Int64) async throws(StoreError) -> [SentRecord] {
        try await read { db in
            try SendRecordRow.filter(Column("enrollmentId") == enrollment && Column("state") == SendRecordState.sent).order(Column("id")).fetchAll(db).map { row in
                SentRecord(
                    recordID: row.id, stepID: row.stepId, rfcMessageID: row.rfcMessageId ?? "", storedMessageID: row.storedMessageId,
                    providerMessageID: row.providerMessageId, providerThreadID: row.providerThreadId, sentAt: row.sentAt)
            }
        }
    }

    /// The provider's Message-ID for a sent record, learned after the send.
    public func setStoredMessageID(_ recordID: Int64, _ messageID: String) async throws(StoreError) {
        try await write { db in
            try db.execute(sql: "UPDATE sendRecord SET storedMessageId = ? WHERE id = ?", arguments: [messageID, recordID])
        }
    }

    /// People each mailbox still has in progress (active, held or paused) across every campaign: the load a new
    /// launch balances against.
    public func enrollmentsInProgress() throws(StoreError) -> [String: Int] {
        try read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT mailbox, COUNT(*) AS n FROM enrollment WHERE state IN (?, ?, ?, ?) GROUP BY mailbox",
                arguments: StatementArguments(EnrollmentStatus.inProgress))
            {
                counts[row["mailbox"]] = row["n"]
            }
            return counts
        }
    }

    /// The provider stopped `mailbox` from sending until `until`: every step of it waits until then.
    public func pauseMailbox(_ mailbox: String, until: Date, reason: String) async throws(StoreError) {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO mailboxPause (mailbox, until, reason) VALUES (?, ?, ?) ON CONFLICT (mailbox) DO UPDATE SET until = excluded.until, reason = excluded.reason",
                arguments: [mailbox, until, reason])
        }
    }

    /// The pause on `mailbox` still in force at `now`, if any.
    public func mailboxPause(_ mailbox: String, now: Date) async throws(StoreError) -> (until: Date, reason: String)? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT until, reason FROM mailboxPause WHERE mailbox = ? AND until > ?", arguments: [mailbox, now]) else { return nil }
            return (row["until"], row["reason"])
        }
    }

    /// Moves a due enrolment's time to `time` (outside the send window, over a limit), with the reason in its events.
    public func postpone(_ enrollmentID: Int64, step: String, until time: Date, reason: String, now: Date) async throws(StoreError) {
        try await write { db in
            // The reason stays on the active enrolment until it moves, so `status` can say why it waits.
            guard var enrollment = try EnrollmentRow.find(enrollmentID, db), enrollment.state == .active, enrollment.stepId == step else { return }
            try enrollment.updateChanges(db) {
                $0.dueAt = time
                $0.reason = StoredState.deferral(reason)
                $0.updatedAt = now
            }
            try Self.event(enrollment, kind: .deferred, actor: "runner", detail: "until \(Timestamps.display(time)): \(reason)", db, now: now)
        }
    }

    /// Send times from the ledger since `since`, oldest first: for a mailbox, or a campaign, or a campaign and domain.
    public func sendTimes(mailbox: String?, campaign: String?, domain: String?, since: Date) async throws(StoreError) -> [Date] {
        try await read { db in
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
    public func hold(_ enrollmentID: Int64, step: String, reason: HoldReason, now: Date) async throws(StoreError) {
        try await write { db in
            guard let enrollment = try EnrollmentRow.find(enrollmentID, db), enrollment.state == .active, enrollment.stepId == step else { return }
            try Self.setState(enrollmentID, StoredState(.held(step: step, reason: reason)), db, now: now)
            try Self.event(enrollment, kind: .held, actor: "runner", detail: reason.description, db, now: now)
        }
    }
}
