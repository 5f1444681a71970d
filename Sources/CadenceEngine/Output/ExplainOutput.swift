import CadenceCore
import CadenceStore
import Foundation

/// `cadence explain` as text or JSON.
public enum ExplainOutput {
    public static func text(_ explanations: [Explanation]) -> String {
        var lines: [String] = []
        for explanation in explanations {
            if !lines.isEmpty { lines.append("") }
            lines.append("\(explanation.address) in \(explanation.campaignID), from mailbox \(explanation.mailbox)")
            lines.append("  now: \(explanation.stateLine)")
            for doubt in explanation.inDoubt { lines.append("  in doubt: \(doubt)") }
            if !explanation.sends.isEmpty {
                lines.append("  sent:")
                for send in explanation.sends {
                    lines.append(
                        "    \(send.sentAt.map(Timestamps.display) ?? "-")  \(send.stepID)  Gmail message \(send.gmailMessageID ?? "-"), thread \(send.gmailThreadID ?? "-")")
                }
            }
            lines.append("  timeline:")
            for event in explanation.events {
                lines.append("    \(Timestamps.display(event.at))  \(event.kind)\(event.detail.isEmpty ? "" : ": \(event.detail)")  [\(event.actor)]")
            }
            guard let next = explanation.next else { continue }
            lines.append("  next: \(next.stepID) (\(next.kind)), due \(Timestamps.display(next.due))")
            lines.append("    delay: \(next.delay)")
            let at = max(next.due, explanation.now)
            if !next.checks.isEmpty { lines.append("    at \(Timestamps.display(at)), the runner's rules:") }
            for check in next.checks {
                lines.append("      \(check.holdsUntil == nil ? "ok  " : "WAIT") \(check.rule.rawValue): \(check.detail)")
            }
            for line in next.calendar { lines.append("    \(line)") }
            if !next.missingFields.isEmpty {
                lines.append(
                    "    merge fields: missing \(next.missingFields.joined(separator: ", ")); the step will be held, not sent, until the values are added (launch the CSV again)")
            }
            if let deferral = next.lastDeferral { lines.append("    last deferred by the runner: \(deferral)") }
            if next.kind == "task", let opens = next.earliest {
                lines.append("  opens: \(Timestamps.display(opens))")
            } else if let earliest = next.earliest {
                let path = next.postponements.map { "\($0.rule.rawValue) until \(Timestamps.display($0.holdsUntil ?? at))" }.joined(separator: ", then ")
                lines.append(
                    "  earliest it can go: \(Timestamps.display(earliest))" + (path.isEmpty ? "" : " (\(path))")
                        + "; later if other sends fill the mailbox's caps first")
            } else {
                lines.append("  earliest it can go: not within a year under these rules")
            }
        }
        return lines.joined(separator: "\n")
    }

    public static func json(_ explanations: [Explanation]) -> String {
        JSONOutput.encode(
            JSONTree.array(
                explanations.map { explanation in
                    var object: [String: JSONTree] = [
                        "address": .string(explanation.address), "campaign": .string(explanation.campaignID), "mailbox": .string(explanation.mailbox),
                        "state": .string(explanation.state.name), "explanation": .string(explanation.stateLine),
                        "inDoubt": .array(explanation.inDoubt.map { .string($0) }),
                        "sends": .array(
                            explanation.sends.map {
                                .object(
                                    [
                                        "step": .string($0.stepID), "sentAt": .optional($0.sentAt.map(Timestamps.iso)), "gmailMessageId": .optional($0.gmailMessageID),
                                        "gmailThreadId": .optional($0.gmailThreadID),
                                    ])
                            }),
                        "events": .array(
                            explanation.events.map {
                                .object(["at": .string(Timestamps.iso($0.at)), "kind": .string($0.kind), "actor": .string($0.actor), "detail": .string($0.detail)])
                            }),
                        "next": .null,
                    ]
                    if let next = explanation.next {
                        object["next"] = .object(
                            [
                                "step": .string(next.stepID), "type": .string(next.kind), "due": .string(Timestamps.iso(next.due)), "delay": .string(next.delay),
                                "rules": .array(
                                    next.checks.map {
                                        .object(
                                            [
                                                "rule": .string($0.rule.rawValue), "holds": .bool($0.holdsUntil != nil),
                                                "until": .optional($0.holdsUntil.map(Timestamps.iso)), "reason": .string($0.reason), "detail": .string($0.detail),
                                            ])
                                    }),
                                "calendar": .array(next.calendar.map { .string($0) }), "missingFields": .array(next.missingFields.map { .string($0) }),
                                "lastDeferral": .optional(next.lastDeferral), "earliest": .optional(next.earliest.map(Timestamps.iso)),
                            ])
                    }
                    return .object(object)
                }))
    }
}
