import CadenceCore
import CadenceStore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The columns of `enrollment` a decision reads, locked for the rest of the transaction.
struct LockedEnrollment: Sendable {
    var id: Int64
    var campaignId: String
    var candidateId: Int64
    var mailbox: String
    var variants: String
    var stored: StoredState
}

/// The columns of `sendRecord` the outcome methods read, locked for the rest of the transaction.
struct LockedSend: Sendable {
    var id: Int64
    var enrollmentId: Int64?
    var campaignId: String
    var stepId: String
    var sendId: String
    var mailbox: String
    var state: SendRecordState
    var createdAt: Date
    var fence: Int64?
}

/// A value a column holds that the schema's CHECK should have kept out.
struct UnreadableValue: Error, CustomStringConvertible {
    let description: String
}

extension PostgresStore {
    /// Refuses a write about `mailbox` made under `fence` once the mailbox's lease has moved on to another runner.
    /// The lease row is locked for share, so a takeover waits until this transaction ends and cannot slip in
    /// between the check and the write.
    static func requireFence(_ fence: Int64, mailbox: String, _ connection: PostgresConnection, _ logger: Logger) async throws {
        let current = try await connection.record("SELECT fence FROM mailboxLease WHERE mailbox = \(mailbox) FOR SHARE", logger)?("fence", as: Int64.self) ?? 0
        guard current == fence else { throw StoreError.leaseLost }
    }

    /// The send record, and its person locked before it (candidate, then enrolment, then the record: the one
    /// order every transaction takes), once `fence` is certainly still the lease's and no later holder stamped the
    /// record. The person is nil when they were forgotten.
    static func fencedRecord(
        _ recordID: Int64, _ fence: Int64, _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> (record: LockedSend, person: (enrollment: LockedEnrollment, addressKey: String)?)? {
        guard let owner = try await connection.record("SELECT enrollmentId, mailbox FROM sendRecord WHERE id = \(recordID)", logger) else {
            return nil
        }
        try await requireFence(fence, mailbox: try owner("mailbox"), connection, logger)
        let person = try await (owner("enrollmentId", as: Int64?.self)).asyncMap { try await lockedEnrollment($0, connection, logger) } ?? nil
        guard let record = try await lockedSend(recordID, connection, logger) else { return nil }
        if let stamped = record.fence, stamped > fence { throw StoreError.leaseLost }
        return (record, person.map { (enrollment: $0.0, addressKey: $0.addressKey) })
    }

    static func lockedSend(_ recordID: Int64, _ connection: PostgresConnection, _ logger: Logger) async throws -> LockedSend? {
        guard
            let row = try await connection.record(
                "SELECT id, enrollmentId, campaignId, stepId, sendId, mailbox, state, createdAt, fence FROM sendRecord WHERE id = \(recordID) FOR NO KEY UPDATE", logger)
        else { return nil }
        let state: String = try row("state")
        guard let known = SendRecordState(rawValue: state) else { throw UnreadableValue(description: "sendRecord \(recordID) has the state \(state)") }
        return LockedSend(
            id: try row("id"), enrollmentId: try row("enrollmentId"), campaignId: try row("campaignId"), stepId: try row("stepId"), sendId: try row("sendId"),
            mailbox: try row("mailbox"), state: known, createdAt: try row("createdAt"), fence: try row("fence"))
    }

    /// The enrolment, with its candidate's row locked first and then its own: the order every transaction that
    /// decides about a person follows (an incoming reply and a send must not cross).
    static func lockedEnrollment(_ id: Int64, _ connection: PostgresConnection, _ logger: Logger) async throws -> (LockedEnrollment, addressKey: String)? {
        guard let owner = try await connection.record("SELECT candidateId FROM enrollment WHERE id = \(id)", logger) else { return nil }
        let candidateID: Int64 = try owner("candidateId")
        guard let candidate = try await connection.record("SELECT addressKey FROM candidate WHERE id = \(candidateID) FOR NO KEY UPDATE", logger),
            let enrollment = try await lockedEnrollmentRow(id, connection, logger)
        else { return nil }
        return (enrollment, try candidate("addressKey"))
    }

    /// The enrolment's row alone, locked (its candidate needs no lock: the caller holds one, or decides nothing
    /// about the person).
    static func lockedEnrollmentRow(_ id: Int64, _ connection: PostgresConnection, _ logger: Logger) async throws -> LockedEnrollment? {
        guard
            let row = try await connection.record(
                "SELECT id, campaignId, candidateId, mailbox, variants, state, stepId, dueAt, reason, taskId FROM enrollment WHERE id = \(id) FOR NO KEY UPDATE", logger)
        else { return nil }
        let state: String = try row("state")
        guard let status = EnrollmentStatus(rawValue: state) else { throw UnreadableValue(description: "enrollment \(id) has the state \(state)") }
        return LockedEnrollment(
            id: try row("id"), campaignId: try row("campaignId"), candidateId: try row("candidateId"), mailbox: try row("mailbox"), variants: try row("variants"),
            stored: StoredState(state: status, stepId: try row("stepId"), dueAt: try row("dueAt"), reason: try row("reason"), taskId: try row("taskId")))
    }

    static func setState(_ id: Int64, _ state: StoredState, _ connection: PostgresConnection, _ logger: Logger, now: Date) async throws {
        try await connection.execute(
            """
            UPDATE enrollment SET state = \(state.state.rawValue), stepId = \(state.stepId), dueAt = \(state.dueAt), reason = \(state.reason),
            taskId = \(state.taskId), updatedAt = \(now) WHERE id = \(id)
            """, logger)
    }

    static func event(
        _ enrollment: LockedEnrollment, kind: EventKind, actor: String, detail: String, _ connection: PostgresConnection, _ logger: Logger, now: Date
    ) async throws {
        try await connection.execute(
            """
            INSERT INTO event (at, campaignId, candidateId, enrollmentId, kind, actor, detail)
            VALUES (\(now), \(enrollment.campaignId), \(enrollment.candidateId), \(enrollment.id), \(kind.rawValue), \(actor), \(detail))
            """, logger)
    }

    /// Whether the address (by key or by its hash) or its domain or a parent domain is on the suppression list.
    static func isSuppressed(key: String, _ connection: PostgresConnection, _ logger: Logger) async throws -> Bool {
        let domain = String(key.split(separator: "@").last ?? "")
        let domains = AddressKey.domainAndParents(domain)
        let found = try await connection.record(
            """
            SELECT 1 AS found FROM suppression WHERE (kind = 'address' AND value = \(key)) OR (kind = 'hash' AND value = \(AddressKey.hash(key)))
            OR (kind = 'domain' AND value = ANY(\(domains))) LIMIT 1
            """, logger)
        return found != nil
    }

    static func recordLinks(_ links: [String], of recordID: Int64, _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.execute("DELETE FROM trackedLink WHERE sendRecordId = \(recordID)", logger)
        guard !links.isEmpty else { return }
        try await connection.execute(
            """
            INSERT INTO trackedLink (sendRecordId, link, url)
            SELECT \(recordID), link, url FROM unnest(\(links)::text[]) WITH ORDINALITY AS given(url, link)
            """, logger)
    }
}

extension Optional {
    func asyncMap<U>(_ transform: (Wrapped) async throws -> U) async rethrows -> U? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
