import CadenceCore
import CadenceStore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The exactly-once send protocol on PostgreSQL: the same steps and guards as the SQLite store's, with the rows a
/// decision reads locked first, since other runners may write alongside.
extension PostgresStore {
    /// Read without locks: the mailbox leases already divide the work, so no two runners read the same mailbox's
    /// steps, and the intent transaction checks each step again under its row locks.
    public func dueSteps(now: Date, limit: Int, mailboxes: [String]?) async throws(StoreError) -> [DueStep] {
        try await read { connection in
            try await connection.records(
                """
                SELECT e.id, e.campaignId, e.stepId, e.dueAt, e.mailbox, e.fields, e.variants, c.address, c.timeZone
                FROM enrollment e JOIN candidate c ON c.id = e.candidateId
                WHERE e.state = 'active' AND e.dueAt <= \(now) AND (\(mailboxes)::text[] IS NULL OR e.mailbox = ANY(\(mailboxes)))
                ORDER BY e.dueAt, e.id LIMIT \(limit)
                """, logger
            ).map { row in
                DueStep(
                    enrollmentID: try row("id"), campaignID: try row("campaignId"), stepID: try row("stepId"), dueAt: try row("dueAt"),
                    mailbox: try row("mailbox"), address: try row("address"), fields: CadenceDatabase.decodeMap(try row("fields")),
                    timeZone: try row("timeZone"), variants: CadenceDatabase.decodeMap(try row("variants")))
            }
        }
    }

    public func recordIntent(
        _ step: DueStep, key: SendKey, bytes: [UInt8], links: [String], trackingKeyID: UInt8?, historyCursor: String?, limits: CampaignLimits,
        fence: Int64, now: Date
    ) async throws(StoreError) -> IntentOutcome {
        let logger = logger
        return try await transaction { connection in
            try await Self.requireFence(fence, mailbox: step.mailbox, connection, logger)
            // A campaign-wide cap spans runners: its rows are locked first (before the person, in the order every
            // intent takes them), so two runners cannot both count the same last place.
            // The recipient's domain is read only under a campaign-wide limit: most intents need none.
            let limited = limits.dailyCap != nil || limits.perDomainDailyCap != nil
            let domain = limited ? try await Self.recipientDomain(step.enrollmentID, connection, logger) : ""
            let capped = limited && SendAdmission.hasCampaignWaits(limits, domain: domain)
            if capped { try await Self.lockCaps(limits, campaign: step.campaignID, domain: domain, connection, logger) }
            guard let (enrollment, addressKey) = try await Self.lockedEnrollment(step.enrollmentID, connection, logger),
                enrollment.stored.state == .active, enrollment.stored.stepId == step.stepID, enrollment.mailbox == step.mailbox,
                let due = enrollment.stored.dueAt, due <= now
            else { return .skipped("the enrolment is no longer due at this step") }
            if try await Self.isSuppressed(key: addressKey, connection, logger) {
                try await Self.setState(enrollment.id, StoredState(.stopped(.suppressed)), connection, logger, now: now)
                try await Self.event(enrollment, kind: .stopped, actor: "runner", detail: "the address is on the suppression list", connection, logger, now: now)
                return .skipped("suppressed")
            }
            let variant = CadenceDatabase.decodeMap(enrollment.variants)[step.stepID] ?? ""
            let message = ByteBuffer(bytes: bytes)
            let keyID = trackingKeyID.map { Int($0) }
            let earlier = try await connection.record(
                "SELECT id, state FROM sendRecord WHERE enrollmentId = \(step.enrollmentID) AND stepId = \(step.stepID) FOR NO KEY UPDATE", logger)
            // An earlier intent for this very step is still open: only reconciliation may send it (asking the
            // provider first). A refused one that a person resumed is a new attempt, recorded in full.
            if let earlier, try earlier("state", as: String.self) != SendRecordState.failed.rawValue {
                return .skipped("an earlier send of this step is being reconciled")
            }
            if capped, let wait = try await Self.campaignWait(limits, campaign: step.campaignID, domain: domain, connection, logger, now: now) {
                return .deferred(until: wait.until, reason: wait.reason)
            }
            if let earlier {
                let id: Int64 = try earlier("id")
                try await connection.execute(
                    """
                    UPDATE sendRecord SET state = 'intent', error = NULL, message = \(message), rfcMessageId = \(key.messageID), sendId = \(key.sendID),
                    historyCursor = \(historyCursor), lookupMisses = 0, lookedUpAt = NULL, createdAt = \(now), fence = \(fence),
                    trackingId = \(key.trackingID), trackingKeyId = \(keyID), variantId = \(variant) WHERE id = \(id)
                    """, logger)
                try await Self.recordLinks(links, of: id, connection, logger)
                return .recorded(recordID: id)
            }
            guard
                let inserted = try await connection.record(
                    """
                    INSERT INTO sendRecord (enrollmentId, campaignId, stepId, sendId, mailbox, state, message, rfcMessageId, historyCursor, createdAt, fence,
                        trackingId, trackingKeyId, variantId)
                    VALUES (\(step.enrollmentID), \(step.campaignID), \(step.stepID), \(key.sendID), \(step.mailbox), 'intent', \(message), \(key.messageID),
                        \(historyCursor), \(now), \(fence), \(key.trackingID), \(keyID), \(variant))
                    RETURNING id
                    """, logger)
            else { throw UnreadableValue(description: "the new send record's id was not returned") }
            let id: Int64 = try inserted("id")
            try await Self.recordLinks(links, of: id, connection, logger)
            return .recorded(recordID: id)
        }
    }

    /// The domain of the person an enrolment writes to, as their address key has it.
    static func recipientDomain(_ enrollmentID: Int64, _ connection: PostgresConnection, _ logger: Logger) async throws -> String {
        let key: String =
            try await connection.record("SELECT c.addressKey FROM enrollment e JOIN candidate c ON c.id = e.candidateId WHERE e.id = \(enrollmentID)", logger)?(
                "addressKey") ?? ""
        return String(key.split(separator: "@").last ?? "")
    }

    /// Locks the rows of the caps that apply: the whole campaign's (with a daily cap), then the domain's (with a
    /// cap per domain, for a domain that is not free mail). Intents under different caps do not wait for each other.
    static func lockCaps(_ limits: CampaignLimits, campaign: String, domain: String, _ connection: PostgresConnection, _ logger: Logger) async throws {
        var rows: [String] = []
        if limits.dailyCap != nil { rows.append("") }
        if limits.perDomainDailyCap != nil, !FreeMailDomains.contains(domain) { rows.append(domain) }
        guard !rows.isEmpty else { return }
        try await connection.execute(
            """
            INSERT INTO capLock (campaignId, domain) SELECT \(campaign), domain FROM unnest(\(rows)::text[]) AS wanted(domain)
            ON CONFLICT (campaignId, domain) DO NOTHING
            """, logger)
        try await connection.execute(
            "SELECT domain FROM capLock WHERE campaignId = \(campaign) AND domain = ANY(\(rows)) ORDER BY domain COLLATE \"C\" FOR UPDATE", logger)
    }

    /// The campaign's own limits, counting what was sent in the last day and what every runner has in flight
    /// (intents and outcomes not yet known), under the cap rows' locks.
    static func campaignWait(
        _ limits: CampaignLimits, campaign: String, domain: String, _ connection: PostgresConnection, _ logger: Logger, now: Date
    ) async throws -> SendAdmission.Wait? {
        let since = now.addingTimeInterval(-86_400)
        let counted = try await connection.records(
            """
            SELECT sentAt AS at, recipientDomain AS domain FROM mailboxLedger WHERE campaignId = \(campaign) AND sentAt > \(since)
            UNION ALL
            SELECT s.createdAt, split_part(c.addressKey, '@', 2) FROM sendRecord s JOIN enrollment e ON e.id = s.enrollmentId
            JOIN candidate c ON c.id = e.candidateId WHERE s.campaignId = \(campaign) AND s.state IN ('intent', 'unknown') AND s.createdAt > \(since)
            ORDER BY 1
            """, logger
        ).map { (at: try $0("at", as: Date.self), domain: try $0("domain", as: String.self)) }
        return SendAdmission.campaignWait(
            limits, domain: domain, campaign: counted.map(\.at), domainTimes: counted.filter { $0.domain.lowercased() == domain.lowercased() }.map(\.at))
    }

    public func recordSent(_ recordID: Int64, sent: SentMessage, next: EnrollmentState, recipientDomain: String, fence: Int64, now: Date) async throws(StoreError) {
        let logger = logger
        try await transaction { connection in
            guard let (record, person) = try await Self.fencedRecord(recordID, fence, connection, logger), record.state != .sent else { return }
            let sentAt = min(max(sent.sentAt ?? now, record.createdAt), now)
            try await connection.execute(
                """
                UPDATE sendRecord SET state = 'sent', providerMessageId = \(sent.providerMessageID), providerThreadId = \(sent.threadID),
                storedMessageId = \(sent.storedMessageID), historyId = \(sent.historyID), sentAt = \(sentAt), error = NULL WHERE id = \(record.id)
                """, logger)
            try await connection.execute(
                """
                INSERT INTO mailboxLedger (mailbox, sentAt, recipientDomain, campaignId)
                VALUES (\(record.mailbox), \(sentAt), \(recipientDomain), \(record.campaignId))
                """, logger)
            try await Self.countSent(recordID: record.id, at: sentAt, connection, logger)
            guard let enrollment = person?.enrollment else { return }
            try await Self.event(enrollment, kind: .sent, actor: "runner", detail: "step \(record.stepId) (\(record.sendId))", connection, logger, now: now)
            // Move on only if nothing else moved the enrolment meanwhile (a reply can stop it while the send was out).
            guard enrollment.stored.stepId == record.stepId else { return }
            switch enrollment.stored.state {
            case .active, .held: try await Self.setState(enrollment.id, StoredState(next), connection, logger, now: now)
            case .paused:
                // The step that went out was their last: nothing is left to pause, they are finished.
                let moved = next.step == nil ? StoredState(next) : enrollment.stored.pausedMovingOn(to: StoredState(next), now: now)
                try await Self.setState(enrollment.id, moved, connection, logger, now: now)
            case .waitingOnTask, .stopped, .finished: break
            }
        }
    }

    public func recordOutcomeUnknown(_ recordID: Int64, reason: String, fence: Int64) async throws(StoreError) {
        let logger = logger
        try await transaction { connection in
            guard let (record, _) = try await Self.fencedRecord(recordID, fence, connection, logger), record.state != .sent else { return }
            try await connection.execute("UPDATE sendRecord SET state = 'unknown', error = \(reason) WHERE id = \(record.id)", logger)
        }
    }

    public func discardIntent(_ recordID: Int64, retryAt: Date, reason: String, fence: Int64, now: Date) async throws(StoreError) {
        let logger = logger
        try await transaction { connection in
            guard let (record, person) = try await Self.fencedRecord(recordID, fence, connection, logger), record.state != .sent else { return }
            try await connection.execute("DELETE FROM sendRecord WHERE id = \(record.id)", logger)
            guard let enrollment = person?.enrollment else { return }
            if enrollment.stored.state == .active, enrollment.stored.stepId == record.stepId {
                try await connection.execute(
                    "UPDATE enrollment SET dueAt = \(retryAt), reason = \(StoredState.deferral(reason)), updatedAt = \(now) WHERE id = \(enrollment.id)", logger)
            }
            try await Self.event(enrollment, kind: .deferred, actor: "runner", detail: reason, connection, logger, now: now)
        }
    }

    public func recordRejected(_ recordID: Int64, reason: String, fence: Int64, now: Date) async throws(StoreError) {
        let logger = logger
        try await transaction { connection in
            guard let (record, person) = try await Self.fencedRecord(recordID, fence, connection, logger) else { return }
            try await connection.execute("UPDATE sendRecord SET state = 'failed', error = \(reason) WHERE id = \(record.id)", logger)
            guard let enrollment = person?.enrollment, enrollment.stored.state == .active
            else { return }
            try await Self.setState(enrollment.id, StoredState(.held(step: record.stepId, reason: .sendRejected(reason))), connection, logger, now: now)
            try await Self.event(enrollment, kind: .held, actor: "runner", detail: "the mailbox refused the message: \(reason)", connection, logger, now: now)
        }
    }

    public func unfinishedSends() async throws(StoreError) -> [PendingSend] {
        let logger = logger
        return try await read { connection in
            try await connection.records(
                """
                SELECT s.id, s.enrollmentId, s.campaignId, s.stepId, s.sendId, s.rfcMessageId, s.mailbox, s.message, s.createdAt, s.lookupMisses,
                    s.lookedUpAt, s.historyCursor, c.addressKey, c.address, c.timeZone
                FROM sendRecord s JOIN enrollment e ON e.id = s.enrollmentId JOIN candidate c ON c.id = e.candidateId
                WHERE s.state IN ('intent', 'unknown') ORDER BY s.id
                """, logger
            ).map { row in
                let key: String = try row("addressKey")
                let message: ByteBuffer? = try row("message")
                return PendingSend(
                    recordID: try row("id"), enrollmentID: try row("enrollmentId"), campaignID: try row("campaignId"), stepID: try row("stepId"),
                    key: SendKey(sendID: try row("sendId"), messageID: try row("rfcMessageId", as: String?.self) ?? ""), mailbox: try row("mailbox"),
                    bytes: message.map { Array($0.readableBytesView) } ?? [], recipientDomain: String(key.split(separator: "@").last ?? ""),
                    timeZone: try row("timeZone"), recipient: try row("address"), createdAt: try row("createdAt"),
                    lookupMisses: Int(try row("lookupMisses", as: Int32.self)), lookedUpAt: try row("lookedUpAt"), historyCursor: try row("historyCursor"))
            }
        }
    }

    public func beginResend(_ recordID: Int64, fence: Int64, now: Date) async throws(StoreError) -> ResendDecision {
        let logger = logger
        return try await transaction { connection in
            guard let (record, person) = try await Self.fencedRecord(recordID, fence, connection, logger) else { return .abandoned("no record") }
            guard let (enrollment, addressKey) = person else { return .abandoned("the candidate was forgotten") }
            var reason: String?
            if enrollment.stored.state != .active || enrollment.stored.stepId != record.stepId {
                reason = "not resent: the enrolment moved on (\(enrollment.stored.state.rawValue)) before the send could be confirmed"
            } else if try await Self.isSuppressed(key: addressKey, connection, logger) {
                reason = "not resent: the address is on the suppression list"
            }
            if let reason {
                try await connection.execute("UPDATE sendRecord SET state = 'failed', error = \(reason) WHERE id = \(record.id)", logger)
                try await Self.event(enrollment, kind: .deferred, actor: "runner", detail: reason, connection, logger, now: now)
                return .abandoned(reason)
            }
            // The message goes out from now on: a confirmation without the provider's own time is dated by this,
            // and a later lookup by recipient searches from here.
            try await connection.execute(
                "UPDATE sendRecord SET lookupMisses = 0, lookedUpAt = NULL, fence = \(fence), createdAt = \(now) WHERE id = \(record.id)", logger)
            return .resend
        }
    }

    public func recordLookupMiss(_ recordID: Int64, fence: Int64, now: Date) async throws(StoreError) {
        let logger = logger
        try await transaction { connection in
            guard let (record, _) = try await Self.fencedRecord(recordID, fence, connection, logger) else { return }
            try await connection.execute("UPDATE sendRecord SET lookupMisses = lookupMisses + 1, lookedUpAt = \(now) WHERE id = \(record.id)", logger)
        }
    }

    public func latestHistoryID(mailbox: String) async throws(StoreError) -> String? {
        let logger = logger
        return try await read { connection in
            try await connection.record(
                "SELECT historyId FROM sendRecord WHERE mailbox = \(mailbox) AND historyId IS NOT NULL ORDER BY id DESC LIMIT 1", logger)?("historyId")
        }
    }

    public func sentRecords(enrollment: Int64) async throws(StoreError) -> [SentRecord] {
        let logger = logger
        return try await read { connection in
            try await connection.records(
                """
                SELECT id, stepId, rfcMessageId, storedMessageId, providerMessageId, providerThreadId, sentAt FROM sendRecord
                WHERE enrollmentId = \(enrollment) AND state = 'sent' ORDER BY id
                """, logger
            ).map { row in
                SentRecord(
                    recordID: try row("id"), stepID: try row("stepId"), rfcMessageID: try row("rfcMessageId", as: String?.self) ?? "",
                    storedMessageID: try row("storedMessageId"), providerMessageID: try row("providerMessageId"),
                    providerThreadID: try row("providerThreadId"), sentAt: try row("sentAt"))
            }
        }
    }

    public func setStoredMessageID(_ recordID: Int64, _ messageID: String) async throws(StoreError) {
        let logger = logger
        try await transaction { connection in
            try await connection.execute("UPDATE sendRecord SET storedMessageId = \(messageID) WHERE id = \(recordID)", logger)
        }
    }

    public func postpone(_ enrollmentID: Int64, step: String, until time: Date, reason: String, now: Date) async throws(StoreError) {
        let logger = logger
        try await transaction { connection in
            guard let enrollment = try await Self.lockedEnrollment(enrollmentID, connection, logger)?.0, enrollment.stored.state == .active,
                enrollment.stored.stepId == step
            else { return }
            try await connection.execute(
                "UPDATE enrollment SET dueAt = \(time), reason = \(StoredState.deferral(reason)), updatedAt = \(now) WHERE id = \(enrollment.id)", logger)
            try await Self.event(
                enrollment, kind: .deferred, actor: "runner", detail: "until \(Timestamps.display(time)): \(reason)", connection, logger, now: now)
        }
    }

    public func hold(_ enrollmentID: Int64, step: String, reason: HoldReason, now: Date) async throws(StoreError) {
        let logger = logger
        try await transaction { connection in
            guard let enrollment = try await Self.lockedEnrollment(enrollmentID, connection, logger)?.0, enrollment.stored.state == .active,
                enrollment.stored.stepId == step
            else { return }
            try await Self.setState(enrollmentID, StoredState(.held(step: step, reason: reason)), connection, logger, now: now)
            try await Self.event(enrollment, kind: .held, actor: "runner", detail: reason.description, connection, logger, now: now)
        }
    }

    public func pauseMailbox(_ mailbox: String, until: Date, reason: String) async throws(StoreError) {
        let logger = logger
        try await transaction { connection in
            try await connection.execute(
                """
                INSERT INTO mailboxPause (mailbox, until, reason) VALUES (\(mailbox), \(until), \(reason))
                ON CONFLICT (mailbox) DO UPDATE SET until = EXCLUDED.until, reason = EXCLUDED.reason
                """, logger)
        }
    }

    public func mailboxPause(_ mailbox: String, now: Date) async throws(StoreError) -> (until: Date, reason: String)? {
        let logger = logger
        let found: (Date, String)? = try await read { connection in
            guard let row = try await connection.record("SELECT until, reason FROM mailboxPause WHERE mailbox = \(mailbox) AND until > \(now)", logger)
            else { return nil }
            return (try row("until"), try row("reason"))
        }
        return found.map { (until: $0.0, reason: $0.1) }
    }

    public func sendTimes(mailbox: String?, campaign: String?, domain: String?, since: Date) async throws(StoreError) -> [Date] {
        let logger = logger
        return try await read { connection in
            // A NULL filter matches every row, so one statement serves the three kinds of question.
            try await connection.records(
                """
                SELECT sentAt FROM mailboxLedger WHERE sentAt > \(since) AND (\(mailbox)::text IS NULL OR mailbox = \(mailbox))
                AND (\(campaign)::text IS NULL OR campaignId = \(campaign)) AND (\(domain)::text IS NULL OR recipientDomain = \(domain)) ORDER BY sentAt
                """, logger
            ).map { try $0("sentAt") }
        }
    }
}
