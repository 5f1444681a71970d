import CadenceCore
import Foundation
import GRDB

/// Per step (and variant) counts of what happened: `cadence stats`.
public struct CampaignStats: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var stepID: String
        /// Nil for the step as a whole; a variant id for that variant's share.
        public var variantID: String?
        public var kind: String
        /// Enrolments this row is about: the whole campaign, or those given this variant.
        public var enrolled: Int
        public var sent: Int
        public var tasksDone: Int
        /// Where enrolments stand now, at this step.
        public var active: Int
        public var held: Int
        public var paused: Int
        /// People whose mail back came after this step was their last one sent (reply watching), by class. The
        /// denominator is `sent`.
        public var replied = 0
        /// Replies labelled `interested` with `cadence label`.
        public var positiveReplies = 0
        public var bounced = 0
        public var unsubscribed = 0
        public var outOfOffice = 0
        /// Sends of this row opened (pixel fetched at least once), and of those, opened by someone likely human
        /// (docs/tracking.md); the same for clicks. Distinct sends, not events.
        public var opened = 0
        public var openedHuman = 0
        public var clicked = 0
        public var clickedHuman = 0
        /// People who unsubscribed through this step's link (one click or the page), apart from those who asked by mail.
        public var unsubscribedByLink = 0
    }

    public var id: String
    public var name: String
    public var enrolled: Int
    public var rows: [Row]
    public var stopped: [ReasonCount]
    public var finished: Int
}

extension CadenceDatabase {
    /// One read transaction for everything: the counts of where people stand and of what was sent come from the
    /// same snapshot, even while the runner commits.
    public func stats(campaign: String?, now: Date) throws(StoreError) -> [CampaignStats] {
        try read { db in
            try Self.status(campaign: campaign, now: now, db).map { status in
                let definition = try Self.definition(status.id, db)
                let sent = Dictionary(
                    uniqueKeysWithValues: try GRDB.Row.fetchAll(
                        db,
                        sql: """
                            SELECT s.stepId, json_extract(e.variants, '$."' || s.stepId || '"') AS variant, COUNT(*) AS n
                            FROM sendRecord s JOIN enrollment e ON e.id = s.enrollmentId
                            WHERE s.campaignId = ? AND s.state = ? GROUP BY 1, 2
                            """, arguments: [status.id, SendRecordState.sent]
                    ).map { (Key(step: $0["stepId"], variant: $0["variant"]), $0["n"] as Int) })
                let tasksDone = Dictionary(
                    uniqueKeysWithValues: try GRDB.Row.fetchAll(
                        db,
                        sql: """
                            SELECT t.stepId, COUNT(*) AS n FROM task t JOIN enrollment e ON e.id = t.enrollmentId
                            WHERE e.campaignId = ? AND t.doneAt IS NOT NULL GROUP BY 1
                            """, arguments: [status.id]
                    ).map { ($0["stepId"] as String, $0["n"] as Int) })
                // Each incoming message counts for the last step sent to that person before it arrived.
                var outcomes: [Key: [String: Int]] = [:]
                for row in try GRDB.Row.fetchAll(
                    db,
                    sql: """
                        SELECT s.stepId, json_extract(e.variants, '$."' || s.stepId || '"') AS variant,
                            CASE WHEN i.class IN ('reply', 'unparsed') THEN 'reply' ELSE i.class END AS class, COUNT(DISTINCT i.enrollmentId) AS n,
                            COUNT(DISTINCT CASE WHEN i.label = 'interested' THEN i.enrollmentId END) AS positive
                        FROM incomingMessage i JOIN enrollment e ON e.id = i.enrollmentId
                        JOIN sendRecord s ON s.id = (
                            SELECT id FROM sendRecord WHERE enrollmentId = i.enrollmentId AND state = ? AND sentAt <= i.receivedAt
                            ORDER BY sentAt DESC, id DESC LIMIT 1)
                        WHERE e.campaignId = ? GROUP BY 1, 2, 3
                        """, arguments: [SendRecordState.sent, status.id])
                {
                    outcomes[Key(step: row["stepId"], variant: row["variant"]), default: [:]][row["class"], default: 0] += row["n"] as Int
                    outcomes[Key(step: row["stepId"], variant: row["variant"]), default: [:]]["positive", default: 0] += row["positive"] as Int
                }
                // Opens, clicks and link unsubscribes, per send: a send counts once however often it was fetched.
                var tracked: [Key: [Int]] = [:]
                let human = "(" + TrackingEventClass.allCases.filter(\.isLikelyHuman).map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
                for row in try GRDB.Row.fetchAll(
                    db,
                    sql: """
                        SELECT s.stepId, json_extract(e.variants, '$."' || s.stepId || '"') AS variant,
                            COUNT(DISTINCT CASE WHEN t.kind = 'open' THEN s.id END) AS opened,
                            COUNT(DISTINCT CASE WHEN t.kind = 'open' AND t.class IN \(human) THEN s.id END) AS openedHuman,
                            COUNT(DISTINCT CASE WHEN t.kind = 'click' THEN s.id END) AS clicked,
                            COUNT(DISTINCT CASE WHEN t.kind = 'click' AND t.class IN \(human) THEN s.id END) AS clickedHuman,
                            COUNT(DISTINCT CASE WHEN t.kind = 'unsubscribe' THEN s.id END) AS unsubscribed
                        FROM trackingEvent t JOIN sendRecord s ON s.id = t.sendRecordId JOIN enrollment e ON e.id = s.enrollmentId
                        WHERE s.campaignId = ? GROUP BY 1, 2
                        """, arguments: [status.id])
                {
                    tracked[Key(step: row["stepId"], variant: row["variant"])] = [row["opened"], row["openedHuman"], row["clicked"], row["clickedHuman"], row["unsubscribed"]]
                }
                func applyTracked(_ row: inout CampaignStats.Row, _ counts: [Int]) {
                    row.opened += counts[0]
                    row.openedHuman += counts[1]
                    row.clicked += counts[2]
                    row.clickedHuman += counts[3]
                    row.unsubscribedByLink += counts[4]
                }
                func apply(_ row: inout CampaignStats.Row, _ counts: [String: Int]) {
                    // A message that could not be read but belonged to the person stopped them as a reply (counted
                    // with the replies, once per person, in the query).
                    row.replied += counts["reply", default: 0]
                    row.positiveReplies += counts["positive", default: 0]
                    row.bounced += counts["bounce", default: 0]
                    row.unsubscribed += counts["unsubscribe", default: 0]
                    row.outOfOffice += counts["out-of-office", default: 0]
                }
                var rows: [CampaignStats.Row] = []
                for counts in status.steps {
                    let step = definition?.step(withID: counts.stepID)
                    let kind = step?.kind.typeName ?? "removed"
                    let stepSent = sent.filter { $0.key.step == counts.stepID }.values.reduce(0, +)
                    var stepRow = CampaignStats.Row(
                        stepID: counts.stepID, variantID: nil, kind: kind, enrolled: status.total, sent: stepSent,
                        tasksDone: tasksDone[counts.stepID] ?? 0, active: counts.active, held: counts.held.values.reduce(0, +),
                        paused: counts.paused.values.reduce(0, +))
                    for (key, counts) in outcomes where key.step == stepRow.stepID { apply(&stepRow, counts) }
                    for (key, counts) in tracked where key.step == stepRow.stepID { applyTracked(&stepRow, counts) }
                    rows.append(stepRow)
                    let variants: [Variant]
                    switch step?.kind {
                    case .email(let email)?: if case .variants(let list) = email.content { variants = list } else { variants = [] }
                    case .reply(let reply)?: if case .variants(let list) = reply.content { variants = list } else { variants = [] }
                    default: variants = []
                    }
                    for variant in variants {
                        let given =
                            try Int.fetchOne(
                                db,
                                sql: """
                                    SELECT COUNT(*) FROM enrollment WHERE campaignId = ? AND json_extract(variants, '$."' || ? || '"') = ?
                                    """, arguments: [status.id, counts.stepID, variant.id]) ?? 0
                        let at = try GRDB.Row.fetchAll(
                            db,
                            sql: """
                                SELECT state, COUNT(*) AS n FROM enrollment WHERE campaignId = ? AND stepId = ?
                                AND json_extract(variants, '$."' || ? || '"') = ? GROUP BY state
                                """, arguments: [status.id, counts.stepID, counts.stepID, variant.id])
                        func count(_ state: EnrollmentStatus) -> Int { at.first { $0["state"] == state }?["n"] ?? 0 }
                        var variantRow = CampaignStats.Row(
                            stepID: counts.stepID, variantID: variant.id, kind: kind, enrolled: given,
                            sent: sent[Key(step: counts.stepID, variant: variant.id)] ?? 0, tasksDone: 0,
                            active: count(.active), held: count(.held), paused: count(.paused))
                        apply(&variantRow, outcomes[Key(step: counts.stepID, variant: variant.id)] ?? [:])
                        applyTracked(&variantRow, tracked[Key(step: counts.stepID, variant: variant.id)] ?? [0, 0, 0, 0, 0])
                        rows.append(variantRow)
                    }
                }
                return CampaignStats(id: status.id, name: status.name, enrolled: status.total, rows: rows, stopped: status.stoppedReasons, finished: status.finished)
            }
        }
    }

    private struct Key: Hashable {
        var step: String
        var variant: String?
    }
}
