import CadenceCore
import CadenceStore
import Foundation

/// `cadence stats` as a table, JSON or CSV. Every rate says what it is out of.
public enum StatsOutput {
    static func percent(_ part: Int, of whole: Int) -> String {
        whole == 0 ? "-" : "\(Int((Double(part) * 100 / Double(whole)).rounded()))%"
    }

    static func outcome(_ count: Int, of sent: Int, _ isTask: Bool) -> String {
        isTask ? "-" : count == 0 ? "0" : "\(count) (\(percent(count, of: sent)))"
    }

    /// "all/likely human (human's share of sent)", or "-" for a task.
    static func tracked(_ all: Int, _ human: Int, of sent: Int, _ isTask: Bool) -> String {
        isTask ? "-" : all == 0 ? "0" : "\(all)/\(human) (\(percent(human, of: sent)))"
    }

    public static func text(_ campaigns: [CampaignStats]) -> String {
        guard !campaigns.isEmpty else { return "No campaigns have been launched; `cadence launch CAMPAIGN --candidates CSV` starts one." }
        var lines: [String] = []
        for campaign in campaigns {
            lines.append("\(campaign.id): \(campaign.name) (\(campaign.enrolled) enrolled)")
            let tracking = campaign.rows.contains { $0.opened + $0.clicked + $0.unsubscribedByLink > 0 }
            var table = [["step", "variant", "type", "enrolled", "sent", "sent/enrolled", "tasks done", "active", "held", "paused", "replied", "bounced", "unsub", "ooo"]]
            let labelled = campaign.rows.contains { $0.positiveReplies > 0 }
            if labelled { table[0].insert("positive", at: 11) }
            if tracking { table[0] += ["opened", "clicked", "unsub link"] }
            for row in campaign.rows {
                let isTask = row.kind == "task"
                table.append([
                    row.variantID == nil ? row.stepID : "", row.variantID ?? "", row.kind, "\(row.enrolled)",
                    isTask ? "-" : "\(row.sent)", isTask ? "-" : percent(row.sent, of: row.enrolled),
                    isTask ? "\(row.tasksDone)" : "-", "\(row.active)", "\(row.held)", "\(row.paused)",
                    outcome(row.replied, of: row.sent, isTask), outcome(row.bounced, of: row.sent, isTask),
                    outcome(row.unsubscribed, of: row.sent, isTask), outcome(row.outOfOffice, of: row.sent, isTask),
                ])
                if labelled { table[table.count - 1].insert(outcome(row.positiveReplies, of: row.sent, isTask), at: 11) }
                if tracking {
                    table[table.count - 1] += [
                        tracked(row.opened, row.openedHuman, of: row.sent, isTask), tracked(row.clicked, row.clickedHuman, of: row.sent, isTask),
                        outcome(row.unsubscribedByLink, of: row.sent, isTask),
                    ]
                }
            }
            lines += Table.render(table, rightAligned: 3...(table[0].count - 1)).map { "  " + $0 }
            let stopped = campaign.stopped.reduce(0) { $0 + $1.count }
            let reasons = campaign.stopped.map { "\($0.description) \($0.count)" }.joined(separator: ", ")
            lines.append(
                "  finished \(campaign.finished) of \(campaign.enrolled) enrolled (\(percent(campaign.finished, of: campaign.enrolled))); stopped \(stopped) of \(campaign.enrolled) (\(percent(stopped, of: campaign.enrolled)))"
                    + (reasons.isEmpty ? "" : ": \(reasons)"))
            lines.append(
                "  Rates are of the row's enrolled: everyone for a step, those given the variant for a variant. Replied, bounced, unsub(scribed) and ooo (out of office) count people whose mail came back after this step, as a share of its sends."
            )
            if labelled {
                lines.append("  Positive: replies labelled interested with `cadence label`, as a share of the step's sends.")
            }
            if tracking {
                lines.append(
                    "  Opened and clicked are sends, not events: all/likely human (that share of sends). Scanners and machine fetches count in all only (docs/tracking.md). Unsub link: one-click or the page's button."
                )
            }
            for (step, comparison) in comparisons(campaign) { lines.append("  " + comparisonLine(step: step, comparison)) }
        }
        return lines.joined(separator: "\n")
    }

    /// Each step with two variants or more, compared on replies over delivered (sent less bounced).
    public static func comparisons(_ campaign: CampaignStats) -> [(step: String, comparison: VariantComparison)] {
        var order: [String] = []
        var variants: [String: [VariantComparison.Variant]] = [:]
        for row in campaign.rows {
            guard let variant = row.variantID else { continue }
            if variants[row.stepID] == nil { order.append(row.stepID) }
            variants[row.stepID, default: []].append(.init(id: variant, trials: max(0, row.sent - row.bounced), successes: row.replied))
        }
        return order.compactMap { step in
            guard let list = variants[step], list.count >= 2 else { return nil }
            return (step, VariantComparison(list))
        }
    }

    /// `intro, replies over delivered: b leads, not yet significant (n=40 and 41); b − a +12.2 points (95% CI −3.4 to +27.1)`.
    public static func comparisonLine(step: String, _ comparison: VariantComparison) -> String {
        var line = "\(step), replies over delivered: \(comparison.verdict)"
        if let leader = comparison.leader {
            let differences = comparison.comparisons.map { versus in
                "\(leader) − \(versus.other) \(points(versus.interval.difference)) points (95% CI \(points(versus.interval.lower)) to \(points(versus.interval.upper)))"
            }
            line += "; " + differences.joined(separator: "; ")
        }
        return line
    }

    /// A difference of proportions in percentage points, signed, one decimal: `+12.2`, `−3.4`, `0.0`.
    static func points(_ difference: Double) -> String {
        let tenths = Int((difference * 1_000).rounded())
        let text = "\(abs(tenths) / 10).\(abs(tenths) % 10)"
        return tenths > 0 ? "+" + text : tenths < 0 ? "−" + text : text
    }

    public static func json(_ campaigns: [CampaignStats]) -> String {
        struct Row: Encodable {
            var step: String; var variant: String?; var type: String; var enrolled: Int; var sent: Int; var tasksDone: Int
            var active: Int; var held: Int; var paused: Int
            var replied: Int; var positiveReplies: Int; var bounced: Int; var unsubscribed: Int; var outOfOffice: Int
            var opened: Int; var openedLikelyHuman: Int; var clicked: Int; var clickedLikelyHuman: Int; var unsubscribedByLink: Int
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: Keys.self)
                try c.encode(step, forKey: .step); try c.encode(variant, forKey: .variant); try c.encode(type, forKey: .type)
                try c.encode(enrolled, forKey: .enrolled); try c.encode(sent, forKey: .sent); try c.encode(tasksDone, forKey: .tasksDone)
                try c.encode(active, forKey: .active); try c.encode(held, forKey: .held); try c.encode(paused, forKey: .paused)
                try c.encode(replied, forKey: .replied); try c.encode(positiveReplies, forKey: .positiveReplies); try c.encode(bounced, forKey: .bounced);
                try c.encode(unsubscribed, forKey: .unsubscribed)
                try c.encode(outOfOffice, forKey: .outOfOffice)
                try c.encode(opened, forKey: .opened); try c.encode(openedLikelyHuman, forKey: .openedLikelyHuman); try c.encode(clicked, forKey: .clicked)
                try c.encode(clickedLikelyHuman, forKey: .clickedLikelyHuman); try c.encode(unsubscribedByLink, forKey: .unsubscribedByLink)
            }
            enum Keys: String, CodingKey {
                case step, variant, type, enrolled, sent, tasksDone, active, held, paused, replied, positiveReplies, bounced, unsubscribed, outOfOffice
                case opened, openedLikelyHuman, clicked, clickedLikelyHuman, unsubscribedByLink
            }
        }
        struct Stopped: Encodable { var kind: String; var description: String; var count: Int }
        struct Versus: Encodable {
            var leader: String; var other: String; var pValue: Double; var adjustedP: Double; var difference: Double; var lower: Double; var upper: Double
            var significant: Bool
        }
        struct Comparison: Encodable {
            var step: String; var rate = "replied/delivered"; var verdict: String; var leader: String?; var versus: [Versus]
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: Keys.self)
                try c.encode(step, forKey: .step); try c.encode(rate, forKey: .rate); try c.encode(verdict, forKey: .verdict)
                try c.encode(leader, forKey: .leader); try c.encode(versus, forKey: .versus)
            }
            enum Keys: String, CodingKey { case step, rate, verdict, leader, versus }
        }
        struct Campaign: Encodable {
            var id: String; var name: String; var enrolled: Int; var finished: Int; var stopped: [Stopped]; var steps: [Row]; var variantComparisons: [Comparison]
        }
        return JSONOutput.encode(
            campaigns.map { campaign in
                Campaign(
                    id: campaign.id, name: campaign.name, enrolled: campaign.enrolled, finished: campaign.finished,
                    stopped: campaign.stopped.map { .init(kind: $0.kind, description: $0.description, count: $0.count) },
                    steps: campaign.rows.map {
                        .init(
                            step: $0.stepID, variant: $0.variantID, type: $0.kind, enrolled: $0.enrolled, sent: $0.sent, tasksDone: $0.tasksDone,
                            active: $0.active, held: $0.held, paused: $0.paused, replied: $0.replied, positiveReplies: $0.positiveReplies, bounced: $0.bounced,
                            unsubscribed: $0.unsubscribed, outOfOffice: $0.outOfOffice, opened: $0.opened, openedLikelyHuman: $0.openedHuman, clicked: $0.clicked,
                            clickedLikelyHuman: $0.clickedHuman, unsubscribedByLink: $0.unsubscribedByLink)
                    },
                    variantComparisons: comparisons(campaign).map { step, comparison in
                        Comparison(
                            step: step, verdict: comparison.verdict, leader: comparison.leader,
                            versus: comparison.leader == nil
                                ? []
                                : comparison.comparisons.map {
                                    Versus(
                                        leader: comparison.leader ?? "", other: $0.other, pValue: $0.pValue, adjustedP: $0.adjustedP, difference: $0.interval.difference,
                                        lower: $0.interval.lower, upper: $0.interval.upper, significant: $0.isSignificant)
                                })
                    })
            })
    }

    public static func csv(_ campaigns: [CampaignStats]) -> String {
        var lines = [
            "campaign,step,variant,type,enrolled,sent,tasksDone,active,held,paused,replied,bounced,unsubscribed,outOfOffice,opened,openedLikelyHuman,clicked,clickedLikelyHuman,unsubscribedByLink,positiveReplies"
        ]
        for campaign in campaigns {
            for row in campaign.rows {
                lines.append(
                    [
                        campaign.id, row.stepID, row.variantID ?? "", row.kind, "\(row.enrolled)", "\(row.sent)", "\(row.tasksDone)", "\(row.active)", "\(row.held)",
                        "\(row.paused)", "\(row.replied)", "\(row.bounced)", "\(row.unsubscribed)", "\(row.outOfOffice)", "\(row.opened)",
                        "\(row.openedHuman)", "\(row.clicked)", "\(row.clickedHuman)", "\(row.unsubscribedByLink)", "\(row.positiveReplies)",
                    ].joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n")
    }
}
