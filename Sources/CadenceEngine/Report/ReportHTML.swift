import CadenceCore
import CadenceStore
import Foundation
import Mustache

/// `cadence report`: one self-contained HTML file (CSS and SVG inline, nothing fetched, no script) that opens
/// offline and can be attached to an email. The page is a swift-mustache template, which escapes every value
/// it is given; the charts are SVG drawn by `SVGChart`, which escapes its own text. Every chart has a table.
public enum ReportHTML {
    public static func render(_ report: CampaignReport) -> String {
        // The template is a constant of this file: failing to parse it is a programming error caught by any test.
        let template = try! MustacheTemplate(string: page)
        return template.render(context(report))
    }

    static func context(_ report: CampaignReport) -> [String: Any] {
        let stats = report.stats
        let mail = stats.rows.filter { $0.kind != "task" }
        let funnelGroups = mail.filter { $0.variantID == nil }.map { row in
            (
                label: row.stepID,
                stages: [
                    (name: "sent", value: row.sent), (name: "delivered", value: row.delivered), (name: "opened (person)", value: row.openedHuman),
                    (name: "clicked (person)", value: row.clickedHuman), (name: "replied", value: row.replied), (name: "positive", value: row.positiveReplies),
                ]
            )
        }
        let labels = report.series.map { String($0.start.description.dropFirst(5)) }
        var context: [String: Any] = [
            "id": stats.id, "name": stats.name, "timeZone": stats.timeZone, "enrolled": stats.enrolled,
            "generated": Timestamps.display(report.generatedAt), "anonymous": report.anonymous,
            "funnelSVG": SVGChart.funnel(title: "Funnel per step", groups: funnelGroups),
            "steps": stats.rows.map { stepContext($0) },
            "rateNotes": StatsOutput.rateNote,
            "hasSeries": !report.series.isEmpty,
            "periodName": report.period == .week ? "week of" : "day",
            "timelineSVG": SVGChart.timeline(
                title: report.period == .week ? "Sends, replies and opens by week" : "Sends, replies and opens by day", labels: labels,
                series: [
                    (name: "sent", values: report.series.map(\.counts.sent)), (name: "replied", values: report.series.map(\.counts.replied)),
                    (name: "opened (person)", values: report.series.map(\.counts.openedHuman)),
                ]),
            "series": report.series.map { period in
                [
                    "day": period.start.description, "sent": period.counts.sent, "replied": period.counts.replied, "opened": period.counts.opened,
                    "openedHuman": period.counts.openedHuman, "clicked": period.counts.clicked, "bounced": period.counts.bounced,
                ] as [String: Any]
            },
            "heatmapSVG": SVGChart.heatmap(title: "Replies by weekday and hour", cells: report.heatmap),
            "heatmapRows": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].enumerated().map { day, name in
                ["day": name, "cells": (0..<24).map { ["count": report.heatmap.indices.contains(day * 24 + $0) ? report.heatmap[day * 24 + $0] : 0] }] as [String: Any]
            },
            "hours": (0..<24).map { ["hour": $0] },
            "replies": report.heatmap.reduce(0, +),
        ]
        let comparisons = StatsOutput.comparisons(stats)
        context["comparisons"] = comparisons.map { step, comparison in
            [
                "step": step, "verdict": comparison.verdict, "line": StatsOutput.comparisonLine(step: step, comparison),
                "variants": stats.rows.filter { $0.stepID == step && $0.variantID != nil }.map { row in
                    [
                        "variant": row.variantID ?? "", "delivered": row.delivered, "replied": row.replied,
                        "rate": StatsOutput.percent(row.replied, of: row.delivered),
                    ] as [String: Any]
                },
            ] as [String: Any]
        }
        context["hasComparisons"] = !comparisons.isEmpty
        context["mailboxes"] = report.mailboxes.map { mailbox in
            [
                "name": mailbox.name, "sentLastDay": mailbox.sentLastDay, "cap": mailbox.dailyCap.map(String.init) ?? "-",
                "use": mailbox.dailyCap.map { StatsOutput.percent(mailbox.sentLastDay, of: $0) } ?? "-", "sent": mailbox.counts.sent,
                "bounceRate": StatsOutput.percent(mailbox.counts.bounced, of: mailbox.counts.sent),
                "oooRate": StatsOutput.percent(mailbox.counts.outOfOffice, of: mailbox.counts.delivered),
                "unsubRate": StatsOutput.percent(mailbox.counts.unsubscribed + mailbox.counts.unsubscribedByLink, of: mailbox.counts.delivered),
            ] as [String: Any]
        }
        context["tasks"] = report.tasks.map { task in
            [
                "who": report.anonymous ? "a person" : task.fields["firstName"].map { "\($0) <\(task.address)>" } ?? task.address,
                "title": task.title, "step": task.stepID, "opened": Timestamps.display(task.openedAt), "due": task.dueAt.map(Timestamps.display) ?? "-",
                "overdue": task.dueAt.map { $0 <= report.generatedAt } ?? false,
            ] as [String: Any]
        }
        context["hasTasks"] = !report.tasks.isEmpty
        let held = (report.status?.steps ?? []).flatMap { step in step.heldReasons.map { (step: step.stepID, reason: $0) } }
        // A reason's own words can name the person (an address Cadence cannot send to, the provider's refusal):
        // anonymous, only its kind and fields.
        context["held"] = held.map {
            [
                "step": $0.step, "reason": report.anonymous ? ([$0.reason.kind] + ($0.reason.fields ?? [])).joined(separator: " ") : $0.reason.description,
                "count": $0.reason.count,
            ] as [String: Any]
        }
        context["hasHeld"] = !held.isEmpty
        return context
    }

    static func stepContext(_ row: CampaignStats.Row) -> [String: Any] {
        let mail = row.kind != "task"
        func share(_ count: Int, _ whole: Int) -> String { mail ? StatsOutput.percent(count, of: whole) : "-" }
        return [
            "step": row.stepID, "variant": row.variantID ?? "", "isVariant": row.variantID != nil, "type": row.kind, "mail": mail,
            "enrolled": row.enrolled, "sent": row.sent, "delivered": row.delivered, "opened": row.opened, "openedHuman": row.openedHuman,
            "clicked": row.clicked, "clickedHuman": row.clickedHuman, "replied": row.replied, "repliedEventually": row.repliedEventually,
            "positiveReplies": row.positiveReplies, "bounced": row.bounced, "unsubscribed": row.unsubscribed, "outOfOffice": row.outOfOffice,
            "unsubscribedByLink": row.unsubscribedByLink, "tasksDone": row.tasksDone, "tasksOpen": row.tasksOpen, "tasksOverdue": row.tasksOverdue,
            "repliedRate": share(row.replied, row.delivered), "bouncedRate": share(row.bounced, row.sent),
            "openedRate": share(row.openedHuman, row.delivered), "clickedRate": share(row.clickedHuman, row.delivered),
            "median": mail ? StatsOutput.duration(row.medianSecondsToReply) : "-",
        ]
    }

    static let page = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>{{name}}: campaign report</title>
        <style>
        body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1f2933; margin: 2em auto; max-width: 1100px; padding: 0 1em; }
        h1 { font-size: 1.6em; margin-bottom: 0.2em; }
        h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #d9e2ec; padding-bottom: 0.2em; }
        p.lead { color: #52606d; margin-top: 0; }
        table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
        th, td { border-bottom: 1px solid #e4e7eb; padding: 0.25em 0.6em; text-align: right; }
        th:first-child, td.text { text-align: left; }
        thead th { background: #f5f7fa; }
        tr.variant th { font-weight: normal; padding-left: 1.6em; }
        td.overdue { color: #b42318; font-weight: bold; }
        .heatmap td { padding: 0.1em 0.25em; font-size: 0.8em; }
        .note { color: #52606d; font-size: 0.85em; }
        svg { max-width: 100%; height: auto; }
        @media print { body { margin: 0; } h2 { break-after: avoid; } svg, table { break-inside: avoid; } }
        </style>
        </head>
        <body>
        <header>
        <h1>{{name}}</h1>
        <p class="lead">Campaign <code>{{id}}</code>: {{enrolled}} enrolled. Report made {{generated}}; days are in {{timeZone}}.{{#anonymous}} Names and addresses are left out.{{/anonymous}}</p>
        </header>

        <section id="funnel">
        <h2>Funnel per step</h2>
        {{{funnelSVG}}}
        <table id="steps">
        <thead><tr><th>step</th><th>type</th><th>enrolled</th><th>sent</th><th>delivered</th><th>opened (person)</th><th>clicked (person)</th><th>replied</th><th>eventually</th><th>positive</th><th>bounced</th><th>unsub</th><th>ooo</th><th>1st reply</th><th>tasks done/open/overdue</th></tr></thead>
        <tbody>
        {{#steps}}
        <tr data-step="{{step}}" data-variant="{{variant}}"{{#isVariant}} class="variant"{{/isVariant}}>
        <th>{{#isVariant}}variant {{variant}}{{/isVariant}}{{^isVariant}}{{step}}{{/isVariant}}</th><td class="text">{{type}}</td>
        <td data-measure="enrolled">{{enrolled}}</td>
        {{#mail}}
        <td data-measure="sent">{{sent}}</td><td data-measure="delivered">{{delivered}}</td>
        <td data-measure="openedLikelyHuman">{{openedHuman}} ({{openedRate}})</td><td data-measure="clickedLikelyHuman">{{clickedHuman}} ({{clickedRate}})</td>
        <td data-measure="replied">{{replied}} ({{repliedRate}})</td><td data-measure="repliedEventually">{{repliedEventually}}</td>
        <td data-measure="positiveReplies">{{positiveReplies}}</td><td data-measure="bounced">{{bounced}} ({{bouncedRate}})</td>
        <td data-measure="unsubscribed">{{unsubscribed}}</td><td data-measure="outOfOffice">{{outOfOffice}}</td><td>{{median}}</td><td>-</td>
        {{/mail}}
        {{^mail}}
        <td>-</td><td>-</td><td>-</td><td>-</td><td>-</td><td>-</td><td>-</td><td>-</td><td>-</td><td>-</td><td>-</td>
        <td data-measure="tasksDone">{{tasksDone}}/{{tasksOpen}}/{{tasksOverdue}}</td>
        {{/mail}}
        </tr>
        {{/steps}}
        </tbody>
        </table>
        {{#rateNotes}}<p class="note">{{.}}</p>{{/rateNotes}}
        <p class="note">Opened and clicked count sends opened or clicked by someone likely a person: Apple's prefetch, link scanners and other machines are left out.</p>
        </section>

        <section id="over-time">
        <h2>Sends, replies and opens over time</h2>
        {{#hasSeries}}
        {{{timelineSVG}}}
        <table id="series">
        <thead><tr><th>{{periodName}}</th><th>sent</th><th>replied</th><th>opened (all)</th><th>opened (person)</th><th>clicked</th><th>bounced</th></tr></thead>
        <tbody>
        {{#series}}<tr data-day="{{day}}"><th>{{day}}</th><td data-measure="sent">{{sent}}</td><td data-measure="replied">{{replied}}</td><td data-measure="opened">{{opened}}</td><td data-measure="openedLikelyHuman">{{openedHuman}}</td><td data-measure="clicked">{{clicked}}</td><td data-measure="bounced">{{bounced}}</td></tr>
        {{/series}}
        </tbody>
        </table>
        <p class="note">Each day counts what happened on it: the sends, and each person's first reply, open and click at each step.</p>
        {{/hasSeries}}
        {{^hasSeries}}<p>Nothing has been sent yet.</p>{{/hasSeries}}
        </section>

        <section id="heatmap">
        <h2>When people reply</h2>
        {{{heatmapSVG}}}
        <table class="heatmap" id="reply-hours">
        <thead><tr><th>day</th>{{#hours}}<th>{{hour}}</th>{{/hours}}</tr></thead>
        <tbody>
        {{#heatmapRows}}<tr><th>{{day}}</th>{{#cells}}<td>{{count}}</td>{{/cells}}</tr>
        {{/heatmapRows}}
        </tbody>
        </table>
        <p class="note">Replies: {{replies}}, by the weekday and hour they came in each person's own time zone.</p>
        </section>

        <section id="variants">
        <h2>Variants</h2>
        {{#hasComparisons}}
        {{#comparisons}}
        <p>{{line}}</p>
        <table data-step="{{step}}">
        <thead><tr><th>variant</th><th>delivered (n)</th><th>replied</th><th>rate</th></tr></thead>
        <tbody>{{#variants}}<tr><th>{{variant}}</th><td>{{delivered}}</td><td>{{replied}}</td><td>{{rate}}</td></tr>{{/variants}}</tbody>
        </table>
        {{/comparisons}}
        <p class="note">Fisher's exact test (two-sided) and a Newcombe–Wilson 95% interval for the difference in reply rate, Holm's correction with more than two variants. Looking every day and stopping at the first "significant" makes false winners likely: decide the sample size first.</p>
        {{/hasComparisons}}
        {{^hasComparisons}}<p>No step of this campaign has A/B variants.</p>{{/hasComparisons}}
        </section>

        <section id="mailboxes">
        <h2>Mailboxes</h2>
        <table id="mailbox-health">
        <thead><tr><th>mailbox</th><th>sent, last 24 h</th><th>daily cap</th><th>use</th><th>sent (campaign)</th><th>bounce rate</th><th>out of office</th><th>unsubscribed</th></tr></thead>
        <tbody>
        {{#mailboxes}}<tr data-mailbox="{{name}}"><th>{{name}}</th><td>{{sentLastDay}}</td><td>{{cap}}</td><td>{{use}}</td><td>{{sent}}</td><td>{{bounceRate}}</td><td>{{oooRate}}</td><td>{{unsubRate}}</td></tr>
        {{/mailboxes}}
        </tbody>
        </table>
        <p class="note">The last 24 hours count every campaign's sends, as the cap does. Bounces are out of sent; out of office and unsubscribed (by mail or link) out of delivered.</p>
        </section>

        <section id="tasks">
        <h2>People waiting on a task</h2>
        {{#hasTasks}}
        <table id="open-tasks">
        <thead><tr><th>who</th><th>task</th><th>step</th><th>opened</th><th>due</th></tr></thead>
        <tbody>
        {{#tasks}}<tr><th>{{who}}</th><td class="text">{{title}}</td><td class="text">{{step}}</td><td>{{opened}}</td><td{{#overdue}} class="overdue"{{/overdue}}>{{due}}{{#overdue}} (overdue){{/overdue}}</td></tr>
        {{/tasks}}
        </tbody>
        </table>
        {{/hasTasks}}
        {{^hasTasks}}<p>No task is open.</p>{{/hasTasks}}
        </section>

        <section id="held">
        <h2>Why people are held</h2>
        {{#hasHeld}}
        <table id="held-reasons">
        <thead><tr><th>step</th><th>reason</th><th>people</th></tr></thead>
        <tbody>{{#held}}<tr><th>{{step}}</th><td class="text">{{reason}}</td><td>{{count}}</td></tr>{{/held}}</tbody>
        </table>
        <p class="note"><code>cadence status {{id}}</code> lists them. Missing fields: add the values to the CSV and launch the same file again. Any other hold: fix its cause, then <code>cadence resume --candidate EMAIL</code>.</p>
        {{/hasHeld}}
        {{^hasHeld}}<p>Nobody is held.</p>{{/hasHeld}}
        </section>
        <footer><p class="note">Made by Cadence from its database; the figures are those of <code>cadence stats {{id}}</code> at the same time.</p></footer>
        </body>
        </html>

        """
}
