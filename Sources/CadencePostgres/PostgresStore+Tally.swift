import CadenceCore
import CadenceStore
import Foundation
import Logging
import PostgresNIO

/// `stats`'s counters, kept in the transaction that writes the fact they count, as the SQLite store keeps them:
/// what a person's facts count for is derived by `PersonFacts`, shared by both stores.
extension PostgresStore {
    /// Moves one counter in both tables: by day (`stepTally`) and all told (`stepTotal`). The column is one of
    /// `TallyMeasure`'s names, never text from outside.
    static func tally(_ key: TallyKey, _ measure: TallyMeasure, _ delta: Int, _ connection: PostgresConnection, _ logger: Logger) async throws {
        guard delta != 0 else { return }
        let column = measure.rawValue
        var bindings = PostgresBindings()
        for value in [key.campaign, key.step, key.variant, key.mailbox, key.launch, key.day] { bindings.append(value) }
        bindings.append(delta)
        try await connection.execute(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO stepTally (campaignId, stepId, variantId, mailbox, launchId, day, \(column)) VALUES ($1, $2, $3, $4, $5, $6, $7)
                    ON CONFLICT (campaignId, stepId, variantId, mailbox, launchId, day) DO UPDATE SET \(column) = stepTally.\(column) + EXCLUDED.\(column)
                    """, binds: bindings), logger)
        var totals = PostgresBindings()
        for value in [key.campaign, key.step, key.variant, key.mailbox, key.launch] { totals.append(value) }
        totals.append(delta)
        try await connection.execute(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO stepTotal (campaignId, stepId, variantId, mailbox, launchId, \(column)) VALUES ($1, $2, $3, $4, $5, $6)
                    ON CONFLICT (campaignId, stepId, variantId, mailbox, launchId) DO UPDATE SET \(column) = stepTotal.\(column) + EXCLUDED.\(column)
                    """, binds: totals), logger)
    }

    /// The counter key of a send's facts on the day of `at`, or nil when the send's person was erased.
    static func sendTallyKey(_ sendRecordID: Int64, at: Date, _ connection: PostgresConnection, _ logger: Logger) async throws -> (TallyKey, Int64)? {
        guard
            let row = try await connection.record(
                """
                SELECT s.campaignId, s.stepId, s.variantId, s.mailbox, s.enrollmentId, e.launchId, c.timeZone
                FROM sendRecord s JOIN enrollment e ON e.id = s.enrollmentId JOIN campaign c ON c.id = s.campaignId WHERE s.id = \(sendRecordID)
                """, logger)
        else { return nil }
        let key = TallyKey(
            campaign: try row("campaignId"), step: try row("stepId"), variant: try row("variantId"), mailbox: try row("mailbox"),
            launch: try row("launchId"), day: CadenceDatabase.reportingDay(at, CadenceDatabase.zone(named: try row("timeZone", as: String?.self) ?? "UTC")))
        return (key, try row("enrollmentId"))
    }

    /// Counts a send, and lets mail that came back before it was recorded (a send reconciled late) count for it.
    static func countSent(recordID: Int64, at: Date, _ connection: PostgresConnection, _ logger: Logger) async throws {
        guard let (key, enrollmentID) = try await sendTallyKey(recordID, at: at, connection, logger) else { return }
        try await tally(key, .sent, 1, connection, logger)
        if try await connection.record("SELECT 1 AS found FROM incomingMessage WHERE enrollmentId = \(enrollmentID) LIMIT 1", logger) != nil {
            try await syncPersonOutcomes(enrollmentID: enrollmentID, connection, logger)
        }
    }

    /// A person's sends and incoming mail, read for every fact that may change what they count for.
    ///
    /// Incoming mail is in the order it was received, ties broken by the order it was recorded (`seq`, SQLite's
    /// `rowid`).
    static func personFacts(enrollmentID: Int64, _ connection: PostgresConnection, _ logger: Logger) async throws -> PersonFacts? {
        guard
            let person = try await connection.record(
                "SELECT e.campaignId, e.launchId, c.timeZone FROM enrollment e JOIN campaign c ON c.id = e.campaignId WHERE e.id = \(enrollmentID)", logger)
        else { return nil }
        let sends = try await connection.records(
            "SELECT stepId, variantId, mailbox, sentAt FROM sendRecord WHERE enrollmentId = \(enrollmentID) AND state = 'sent' ORDER BY sentAt, id", logger
        ).map { PersonFacts.Send(step: try $0("stepId"), variant: try $0("variantId"), mailbox: try $0("mailbox"), at: try $0("sentAt")) }
        let incoming = try await connection.records(
            "SELECT class, label, receivedAt FROM incomingMessage WHERE enrollmentId = \(enrollmentID) ORDER BY receivedAt, seq",
            logger
        ).map { PersonFacts.Incoming(incomingClass: try $0("class"), label: try $0("label"), receivedAt: try $0("receivedAt")) }
        return PersonFacts(
            campaign: try person("campaignId"), launch: try person("launchId"),
            zone: CadenceDatabase.zone(named: try person("timeZone", as: String?.self) ?? "UTC"), sends: sends, incoming: incoming)
    }

    /// Brings the person's counted outcomes in line with their facts: what is no longer true is taken back from
    /// the counter it moved, what is new is added.
    static func syncPersonOutcomes(enrollmentID: Int64, _ connection: PostgresConnection, _ logger: Logger) async throws {
        let derived = try await personFacts(enrollmentID: enrollmentID, connection, logger)?.outcomes() ?? []
        try await syncOutcomes(enrollmentID: enrollmentID, kinds: CadenceDatabase.personKinds, derived: derived, connection, logger)
    }

    /// `step`: only that step's outcomes (a send's own, after a burst), the person's others left as they are.
    static func syncOutcomes(
        enrollmentID: Int64, kinds: [TallyMeasure], step: String? = nil, derived: [TallyOutcome], _ connection: PostgresConnection, _ logger: Logger
    ) async throws {
        var wanted = Set(derived)
        for row in try await connection.records(
            """
            SELECT id, campaignId, stepId, variantId, mailbox, launchId, day, kind, seconds FROM stepOutcome
            WHERE enrollmentId = \(enrollmentID) AND kind = ANY(\(kinds.map(\.rawValue))) AND (\(step)::text IS NULL OR stepId = \(step)) ORDER BY id
            """, logger)
        {
            guard let kind = TallyMeasure(rawValue: try row("kind")) else { continue }
            let outcome = TallyOutcome(
                kind: kind,
                key: TallyKey(
                    campaign: try row("campaignId"), step: try row("stepId"), variant: try row("variantId"), mailbox: try row("mailbox"),
                    launch: try row("launchId"), day: try row("day")),
                seconds: try row("seconds"))
            if wanted.remove(outcome) == nil {
                try await connection.execute("DELETE FROM stepOutcome WHERE id = \(try row("id", as: Int64.self))", logger)
                try await tally(outcome.key, kind, -1, connection, logger)
            }
        }
        for outcome in TallyOutcome.inOrder(wanted) { try await insertOutcome(outcome, enrollmentID: enrollmentID, connection, logger) }
    }

    /// Records the outcome and counts it, unless the person already has one of its kind at its step.
    static func insertOutcome(_ outcome: TallyOutcome, enrollmentID: Int64, _ connection: PostgresConnection, _ logger: Logger) async throws {
        let key = outcome.key
        let inserted = try await connection.record(
            """
            INSERT INTO stepOutcome (enrollmentId, campaignId, stepId, variantId, mailbox, launchId, day, kind, seconds)
            VALUES (\(enrollmentID), \(key.campaign), \(key.step), \(key.variant), \(key.mailbox), \(key.launch), \(key.day), \(outcome.kind.rawValue),
                \(outcome.seconds))
            ON CONFLICT (enrollmentId, stepId, kind) DO NOTHING RETURNING id
            """, logger)
        guard inserted != nil else { return }
        try await tally(key, outcome.kind, 1, connection, logger)
    }
}
