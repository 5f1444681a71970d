import CadenceCore
import CadenceStore
import Foundation

/// `cadence stats` as a table, JSON or CSV. Every rate says what it is out of.
public enum StatsOutput {
    static func percent(_ part: Int, of whole: Int) -> String {
        whole == 0 ? "-" : "\(Int((Double(part) * 100 / Double(whole)).rounded()))%"
    }

    /// "count (share of whole)", or "-" where the column does not apply to the row.
    static func share(_ count: Int, of whole: Int, applies: Bool = true) -> String {
        !applies ? "-" : count == 0 ? "0" : "\(count) (\(percent(count, of: whole)))"
    }

    /// "all/likely human (human's share of delivered)", or "-" for a task.
    static func tracked(_ all: Int, _ human: Int, of whole: Int, applies: Bool) -> String {
        !applies ? "-" : all == 0 ? "0" : "\(all)/\(human) (\(percent(human, of: whole)))"
    }

    /// A median wait, to the minute: `45m`, `3h 20m`, `2d 4h`.
    static func duration(_ seconds: Double?) -> String {
        guard let seconds else { return "-" }
        let minutes = Int((seconds / 60).rounded())
        if minutes < 60 { return "\(minutes)m" }
        if minutes < 24 * 60 { return minutes % 60 == 0 ? "\(minutes / 60)h" : "\(minutes / 60)h \(minutes % 60)m" }
        let hours = Int((seconds / 3600).rounded())
        return hours % 24 == 0 ? "\(hours / 24)d" : "\(hours / 24)d \(hours % 24)h"
    }

    public static let rateNote = [
        "Rates: sent is out of enrolled, bounced out of sent, the rest out of delivered (sent less bounced).",
        "Replied: their reply came when this step was the last sent to them; eventually: sent this step, replied at any time after. 1st reply: median time from this step's send to that reply.",
    ]

    public static func text(_ campaigns: [CampaignStats]) -> String {
        guard !campaigns.isEmpty else { return "No campaigns have been launched; `cadence launch CAMPAIGN --candidates CSV` starts one." }
        var lines: [String] = []
        for campaign in campaigns {
            lines.append("\(campaign.id): \(campaign.name) (\(campaign.enrolled) enrolled\(cohortText(campaign)))")
            if let slice = campaign.query.slice, slice.isSeries {
                lines += seriesTable(campaign, slice)
                continue
            }
            let tracking = campaign.rows.contains { $0.opened + $0.clicked + $0.unsubscribedByLink > 0 }
            let labelled = campaign.rows.contains { $0.positiveReplies > 0 }
            let tasks = campaign.rows.contains { $0.kind == "task" }
            lines += stepTable(campaign.rows, tracking: tracking, labelled: labelled, tasks: tasks).map { "  " + $0 }
            for slice in campaign.slices {
                lines.append("  \(campaign.query.slice?.rawValue ?? "") \(slice.value) (\(slice.enrolled) enrolled)")
                lines += stepTable(slice.rows, tracking: tracking, labelled: labelled, tasks: tasks).map { "    " + $0 }
            }
            lines += rateNote.map { "  " + $0 }
            if labelled {
                lines.append("  Positive: replies labelled interested with `cadence label`.")
            }
            if tracking {
                lines.append(
                    "  Opened and clicked are sends, not events: all/likely human (that share of delivered). Scanners and machine fetches count in all only (docs/tracking.md). Unsub link: one-click or the page's button."
                )
            }
            if tasks { lines.append("  Tasks: done/open/overdue (open past their due time).") }
            for (step, comparison) in comparisons(campaign) { lines.append("  " + comparisonLine(step: step, comparison)) }
            lines.append("  Where people stand now (active, held, paused, finished): `cadence status \(campaign.id)`.")
        }
        return lines.joined(separator: "\n")
    }

    static func cohortText(_ campaign: CampaignStats) -> String {
        let query = campaign.query
        guard query.since != nil || query.until != nil else { return "" }
        let range = "\(query.since?.description ?? "the start") to \(query.until?.description ?? "today")"
        if query.slice?.isSeries == true { return "; events from \(range), \(campaign.timeZone)" }
        return "; the cohort first sent to from \(range), \(campaign.timeZone)"
    }

    static func stepTable(_ rows: [CampaignStats.Row], tracking: Bool, labelled: Bool, tasks: Bool) -> [String] {
        var header = ["step", "variant", "type", "enrolled", "sent", "delivered", "replied", "eventually"]
        if labelled { header.append("positive") }
        header += ["bounced", "unsub", "ooo", "1st reply"]
        if tracking { header += ["opened", "clicked", "unsub link"] }
        if tasks { header.append("tasks") }
        var table = [header]
        for row in rows {
            let mail = row.kind != "task"
            var line = [
                row.variantID == nil ? row.stepID : "", row.variantID ?? "", row.kind, "\(row.enrolled)",
                mail ? share(row.sent, of: row.enrolled) : "-", mail ? "\(row.delivered)" : "-",
                share(row.replied, of: row.delivered, applies: mail), share(row.repliedEventually, of: row.delivered, applies: mail),
            ]
            if labelled { line.append(share(row.positiveReplies, of: row.delivered, applies: mail)) }
            line += [
                share(row.bounced, of: row.sent, applies: mail), share(row.unsubscribed, of: row.delivered, applies: mail),
                share(row.outOfOffice, of: row.delivered, applies: mail), mail ? duration(row.medianSecondsToReply) : "-",
            ]
            if tracking {
                line += [
                    tracked(row.opened, row.openedHuman, of: row.delivered, applies: mail), tracked(row.clicked, row.clickedHuman, of: row.delivered, applies: mail),
                    share(row.unsubscribedByLink, of: row.delivered, applies: mail),
                ]
            }
            if tasks { line.append(mail || row.variantID != nil ? "-" : "\(row.tasksDone)/\(row.tasksOpen)/\(row.tasksOverdue)") }
            table.append(line)
        }
        return Table.render(table, rightAligned: 3...(header.count - 1))
    }

    static func seriesTable(_ campaign: CampaignStats, _ slice: StatsQuery.Slice) -> [String] {
        guard !campaign.series.isEmpty else { return ["  nothing happened in these days"] }
        var table = [[slice == .week ? "week of" : "day", "enrolled", "sent", "bounced", "replied", "positive", "unsub", "ooo", "opened", "clicked", "unsub link", "tasks done"]]
        for period in campaign.series {
            let c = period.counts
            table.append(
                [
                    period.start.description, "\(c.enrolled)", "\(c.sent)", "\(c.bounced)", "\(c.replied)", "\(c.positiveReplies)", "\(c.unsubscribed)",
                    "\(c.outOfOffice)", "\(c.opened)/\(c.openedHuman)", "\(c.clicked)/\(c.clickedHuman)", "\(c.unsubscribedByLink)", "\(c.tasksDone)",
                ])
        }
        return Table.render(table, rightAligned: 1...(table[0].count - 1)).map { "  " + $0 }
            + [
                "  Counted on the \(slice == .week ? "week (from Monday)" : "day") they happened, in \(campaign.timeZone): enrolments, sends, and the first reply, bounce, open or click of each person at each step. Opened and clicked: all/likely human."
            ]
    }

    /// Each step with two variants or more, compared on replies over delivered (sent less bounced).
    public static func comparisons(_ campaign: CampaignStats) -> [(step: String, comparison: VariantComparison)] {
        var order: [String] = []
        var variants: [String: [VariantComparison.Variant]] = [:]
        for row in campaign.rows {
            guard let variant = row.variantID else { continue }
            if variants[row.stepID] == nil { order.append(row.stepID) }
            variants[row.stepID, default: []].append(.init(id: variant, trials: row.delivered, successes: row.replied))
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

    static func counts(_ row: CampaignStats.Row) -> [String: JSONTree] {
        var object = counts(row.counts)
        object["step"] = .string(row.stepID)
        object["variant"] = .optional(row.variantID)
        object["type"] = .string(row.kind)
        object["medianSecondsToFirstReply"] = .optional(row.medianSecondsToReply)
        object["tasksOpen"] = .int(row.tasksOpen)
        object["tasksOverdue"] = .int(row.tasksOverdue)
        return object
    }

    static func counts(_ c: StatCounts) -> [String: JSONTree] {
        [
            "enrolled": .int(c.enrolled), "sent": .int(c.sent), "delivered": .int(c.delivered), "bounced": .int(c.bounced), "replied": .int(c.replied),
            "repliedEventually": .int(c.repliedEventually), "positiveReplies": .int(c.positiveReplies), "unsubscribed": .int(c.unsubscribed),
            "outOfOffice": .int(c.outOfOffice), "opened": .int(c.opened), "openedLikelyHuman": .int(c.openedHuman), "clicked": .int(c.clicked),
            "clickedLikelyHuman": .int(c.clickedHuman), "unsubscribedByLink": .int(c.unsubscribedByLink), "tasksDone": .int(c.tasksDone),
        ]
    }

    /// What each rate is out of, in the JSON, so a consumer computes the rates the text shows.
    static let denominators: JSONTree = .object(
        [
            "sent": .string("enrolled"), "bounced": .string("sent"), "replied": .string("delivered"), "repliedEventually": .string("delivered"),
            "positiveReplies": .string("delivered"), "unsubscribed": .string("delivered"), "outOfOffice": .string("delivered"),
            "opened": .string("delivered"), "openedLikelyHuman": .string("delivered"), "clicked": .string("delivered"),
            "clickedLikelyHuman": .string("delivered"), "unsubscribedByLink": .string("delivered"),
        ])

    public static func jsonTree(_ campaigns: [CampaignStats]) -> JSONTree {
        .array(
            campaigns.map { campaign in
                var object: [String: JSONTree] = [
                    "id": .string(campaign.id), "name": .string(campaign.name), "timeZone": .string(campaign.timeZone), "enrolled": .int(campaign.enrolled),
                    "steps": .array(campaign.rows.map { .object(counts($0)) }), "rateDenominators": denominators,
                    "variantComparisons": .array(comparisons(campaign).map { step, comparison in comparisonTree(step: step, comparison) }),
                ]
                if campaign.query.since != nil || campaign.query.until != nil {
                    object[campaign.query.slice?.isSeries == true ? "events" : "cohort"] = .object(
                        ["since": .optional(campaign.query.since?.description), "until": .optional(campaign.query.until?.description)])
                }
                if let slice = campaign.query.slice {
                    object["by"] = .string(slice.rawValue)
                    if slice.isSeries {
                        object["series"] = .array(
                            campaign.series.map { period in
                                var counts = counts(period.counts)
                                counts["start"] = .string(period.start.description)
                                return .object(counts)
                            })
                    } else {
                        object["slices"] = .array(
                            campaign.slices.map {
                                .object(["value": .string($0.value), "enrolled": .int($0.enrolled), "steps": .array($0.rows.map { .object(counts($0)) })])
                            })
                    }
                }
                return .object(object)
            })
    }

    static func comparisonTree(step: String, _ comparison: VariantComparison) -> JSONTree {
        let versus: [JSONTree] =
            comparison.leader == nil
            ? []
            : comparison.comparisons.map {
                .object(
                    [
                        "leader": .string(comparison.leader ?? ""), "other": .string($0.other), "pValue": .double($0.pValue), "adjustedP": .double($0.adjustedP),
                        "difference": .double($0.interval.difference), "lower": .double($0.interval.lower), "upper": .double($0.interval.upper),
                        "significant": .bool($0.isSignificant),
                    ])
            }
        return .object(
            [
                "step": .string(step), "rate": .string("replied/delivered"), "verdict": .string(comparison.verdict), "leader": .optional(comparison.leader),
                "versus": .array(versus),
            ])
    }

    public static func json(_ campaigns: [CampaignStats]) -> String { JSONOutput.encode(jsonTree(campaigns)) }

    static let csvCounts = [
        "enrolled", "sent", "delivered", "bounced", "replied", "repliedEventually", "positiveReplies", "unsubscribed", "outOfOffice", "opened",
        "openedLikelyHuman", "clicked", "clickedLikelyHuman", "unsubscribedByLink", "tasksDone",
    ]

    static func csvValues(_ c: StatCounts) -> [String] {
        [
            c.enrolled, c.sent, c.delivered, c.bounced, c.replied, c.repliedEventually, c.positiveReplies, c.unsubscribed, c.outOfOffice, c.opened, c.openedHuman,
            c.clicked, c.clickedHuman, c.unsubscribedByLink, c.tasksDone,
        ].map(String.init)
    }

    /// One row per step and variant (per slice value with `--by mailbox|launch`), or per period of a series.
    public static func csv(_ campaigns: [CampaignStats]) -> String {
        let series = campaigns.first?.query.slice?.isSeries == true
        if series {
            var lines = [(["campaign", "period"] + csvCounts).joined(separator: ",")]
            for campaign in campaigns {
                for period in campaign.series { lines.append(([csvField(campaign.id), period.start.description] + csvValues(period.counts)).joined(separator: ",")) }
            }
            return lines.joined(separator: "\n")
        }
        let sliced = campaigns.first?.query.slice != nil
        var lines = [
            ((sliced ? ["campaign", "by", "value"] : ["campaign"]) + ["step", "variant", "type"] + csvCounts + ["tasksOpen", "tasksOverdue", "medianSecondsToFirstReply"])
                .joined(separator: ",")
        ]
        func line(_ prefix: [String], _ row: CampaignStats.Row) -> String {
            (prefix + [csvField(row.stepID), csvField(row.variantID ?? ""), row.kind] + csvValues(row.counts) + [
                "\(row.tasksOpen)", "\(row.tasksOverdue)", row.medianSecondsToReply.map { String(Int($0.rounded())) } ?? "",
            ]).joined(separator: ",")
        }
        for campaign in campaigns {
            if let slice = campaign.query.slice {
                for part in campaign.slices {
                    for row in part.rows { lines.append(line([csvField(campaign.id), slice.rawValue, csvField(part.value)], row)) }
                }
            } else {
                for row in campaign.rows { lines.append(line([csvField(campaign.id)], row)) }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
    static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
