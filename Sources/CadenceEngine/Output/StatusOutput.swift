import CadenceCore
import CadenceStore
import Foundation

/// Text tables and stable JSON for `status`, `show` and `tasks`.
public enum StatusOutput {
    public static func text(_ statuses: [CampaignStatus]) -> String {
        guard !statuses.isEmpty else { return "No campaigns have been launched; `cadence launch CAMPAIGN --candidates CSV` starts one." }
        var lines: [String] = []
        for status in statuses {
            lines.append("\(status.id) (version \(status.version))\(status.paused ? " [paused]" : ""): \(status.name)")
            var table = [["step", "active", "due now", "tasks", "held", "paused", "next due"]]
            for step in status.steps {
                table.append([
                    step.stepID, "\(step.active)", "\(step.due)", "\(step.waitingOnTask)", "\(step.held.values.reduce(0, +))",
                    "\(step.paused.values.reduce(0, +))", step.nextDue.map(Timestamps.display) ?? "-",
                ])
            }
            lines += Table.render(table, rightAligned: 1...5).map { "  " + $0 }
            for step in status.steps {
                for (reason, count) in step.held.sorted(by: { $0.key < $1.key }) { lines.append("  held at \(step.stepID): \(reason) (\(count))") }
                for (reason, count) in step.paused.sorted(by: { $0.key < $1.key }) { lines.append("  paused at \(step.stepID): \(reason) (\(count))") }
                for (reason, count) in step.waiting.sorted(by: { $0.key < $1.key }) { lines.append("  waiting at \(step.stepID): \(reason) (\(count))") }
                for (reason, count) in step.inDoubt.sorted(by: { $0.key < $1.key }) {
                    lines.append("  in doubt at \(step.stepID): \(reason); asked about again each pass, never sent twice (\(count))")
                }
            }
            let stopped = status.stopped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            lines.append(
                "  \(status.total) candidate\(status.total == 1 ? "" : "s"); finished \(status.finished); stopped \(status.stopped.values.reduce(0, +))"
                    + (stopped.isEmpty ? "" : " (\(stopped.joined(separator: ", ")))"))
        }
        return lines.joined(separator: "\n")
    }

    /// Reply watching per Gmail mailbox: when `cadence run` last read it, pushes waiting, its Gmail watch, resyncs.
    public static func watching(_ states: [(mailbox: String, state: MailboxSyncState)], now: Date) -> String {
        var lines = ["Reply watching:"]
        for (mailbox, state) in states {
            var parts: [String] = []
            if let synced = state.syncedAt {
                parts.append("read \(Timestamps.display(synced))" + (state.historyID.map { " (history \($0))" } ?? ""))
            } else {
                parts.append("not read yet (`cadence run` reads it each pass)")
            }
            if state.queuedPushes > 0 { parts.append("\(state.queuedPushes) push\(state.queuedPushes == 1 ? "" : "es") waiting for `cadence run`") }
            if let expires = state.watchExpiresAt {
                parts.append(expires > now ? "push watch until \(Timestamps.display(expires))" : "push watch EXPIRED \(Timestamps.display(expires)); `cadence run` renews it, or run `cadence watch`")
            } else {
                parts.append("polling only")
            }
            if state.resyncCount > 0, let at = state.resyncedAt {
                parts.append("history expired and the recent mail was re-read \(state.resyncCount) time\(state.resyncCount == 1 ? "" : "s"), last \(Timestamps.display(at))")
            }
            lines.append("  \(mailbox): " + parts.joined(separator: "; "))
        }
        return lines.joined(separator: "\n")
    }

    /// Stable field names; absent values are `null`, never left out; reasons come in parts (`kind`, `fields`, `note`).
    public static func json(_ statuses: [CampaignStatus]) -> String {
        struct Reason: Encodable {
            var kind: String; var fields: [String]?; var note: String?; var until: String?; var description: String; var count: Int
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: Keys.self)
                try c.encode(kind, forKey: .kind); try c.encode(fields, forKey: .fields); try c.encode(note, forKey: .note)
                try c.encode(until, forKey: .until); try c.encode(description, forKey: .description); try c.encode(count, forKey: .count)
            }
            enum Keys: String, CodingKey { case kind, fields, note, until, description, count }
        }
        struct Step: Encodable {
            var step: String; var active: Int; var dueNow: Int; var waitingOnTask: Int
            var held: [Reason]; var paused: [Reason]; var nextDue: String?
            /// Why active enrolments wait (window, limits, a paused mailbox) and sends in doubt, as `{reason, count}`.
            var waiting: [Note]; var inDoubt: [Note]
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: Keys.self)
                try c.encode(step, forKey: .step); try c.encode(active, forKey: .active); try c.encode(dueNow, forKey: .dueNow)
                try c.encode(waitingOnTask, forKey: .waitingOnTask); try c.encode(held, forKey: .held); try c.encode(paused, forKey: .paused)
                try c.encode(nextDue, forKey: .nextDue); try c.encode(waiting, forKey: .waiting); try c.encode(inDoubt, forKey: .inDoubt)
            }
            enum Keys: String, CodingKey { case step, active, dueNow, waitingOnTask, held, paused, nextDue, waiting, inDoubt }
        }
        struct Note: Encodable {
            var reason: String; var count: Int
            static func list(_ counts: [String: Int]) -> [Note] { counts.sorted { $0.key < $1.key }.map { Note(reason: $0.key, count: $0.value) } }
        }
        struct Campaign: Encodable {
            var id: String; var name: String; var version: Int; var paused: Bool
            var candidates: Int; var finished: Int; var stopped: [Reason]; var steps: [Step]
        }
        func reasons(_ list: [ReasonCount]) -> [Reason] {
            list.map { Reason(kind: $0.kind, fields: $0.fields, note: $0.note, until: $0.until.map(Timestamps.iso), description: $0.description, count: $0.count) }
        }
        return JSONOutput.encode(
            statuses.map {
                Campaign(
                    id: $0.id, name: $0.name, version: $0.version, paused: $0.paused, candidates: $0.total, finished: $0.finished,
                    stopped: reasons($0.stoppedReasons),
                    steps: $0.steps.map {
                        .init(
                            step: $0.stepID, active: $0.active, dueNow: $0.due, waitingOnTask: $0.waitingOnTask, held: reasons($0.heldReasons),
                            paused: reasons($0.pausedReasons), nextDue: $0.nextDue.map(Timestamps.iso), waiting: Note.list($0.waiting), inDoubt: Note.list($0.inDoubt))
                    })
            })
    }

    public static func describe(_ state: EnrollmentState) -> String {
        switch state {
        case .active(let step, let due): "active: next step \(step), due \(Timestamps.display(due))"
        case .waitingOnTask(let step, let task): "waiting on task \(task) (step \(step))"
        case .held(let step, let reason): "held at step \(step): \(reason.description)"
        case .paused(let step, let reason): "paused at step \(step): \(reason.description)"
        case .stopped(let reason): "stopped: \(reason.description)"
        case .finished: "finished"
        }
    }

    public static func text(_ detail: CandidateDetail) -> String {
        var lines = [detail.address + (detail.timeZone.map { " (\($0))" } ?? "")]
        for (name, value) in detail.fields.sorted(by: { $0.key < $1.key }) where name != "email" {
            lines.append("  \(name): \(MergeField.isBlank(value) ? "(empty)" : value)")
        }
        for enrollment in detail.enrollments {
            lines.append("")
            lines.append("\(enrollment.campaignID), from mailbox \(enrollment.mailbox): \(describe(enrollment.state))")
            if !enrollment.variants.isEmpty {
                lines.append("  variants: " + enrollment.variants.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            }
            for event in enrollment.events {
                lines.append("  \(Timestamps.display(event.at))  \(event.kind)\(event.detail.isEmpty ? "" : ": \(event.detail)")  [\(event.actor)]")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// A state's reason in parts, for JSON: nil for active, waiting and finished.
    static func reasonParts(_ state: EnrollmentState) -> (kind: String, fields: [String]?, note: String?, until: Date?)? {
        switch state {
        case .held(_, .missingFields(let fields)): ("missingFields", fields, nil, nil)
        case .held(_, .sendRejected(let message)): ("sendRejected", nil, message, nil)
        case .held(_, .unsendable(let message)): ("unsendable", nil, message, nil)
        case .paused(_, .manual(let note)): ("manual", nil, note, nil)
        case .paused(_, .campaignPaused): ("campaignPaused", nil, nil, nil)
        case .paused(_, .outOfOffice(let until, let guessed)): ("outOfOffice", nil, guessed ? "guessed from its wording" : nil, until)
        case .stopped(.replied): ("replied", nil, nil, nil)
        case .stopped(.bounced): ("bounced", nil, nil, nil)
        case .stopped(.unsubscribed): ("unsubscribed", nil, nil, nil)
        case .stopped(.manual(let note)): ("manual", nil, note, nil)
        case .stopped(.suppressed): ("suppressed", nil, nil, nil)
        case .active, .waitingOnTask, .finished: nil
        }
    }

    public static func json(_ detail: CandidateDetail) -> String {
        struct Event: Encodable { var at: String; var kind: String; var actor: String; var detail: String }
        struct Reason: Encodable {
            var kind: String; var fields: [String]?; var note: String?; var until: String?
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: Keys.self)
                try c.encode(kind, forKey: .kind); try c.encode(fields, forKey: .fields); try c.encode(note, forKey: .note); try c.encode(until, forKey: .until)
            }
            enum Keys: String, CodingKey { case kind, fields, note, until }
        }
        struct Enrollment: Encodable {
            var campaign: String; var mailbox: String; var state: String; var step: String?; var reason: Reason?; var description: String
            var dueAt: String?; var variants: [String: String]; var events: [Event]
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: Keys.self)
                try c.encode(campaign, forKey: .campaign); try c.encode(mailbox, forKey: .mailbox); try c.encode(state, forKey: .state)
                try c.encode(step, forKey: .step); try c.encode(reason, forKey: .reason); try c.encode(description, forKey: .description)
                try c.encode(dueAt, forKey: .dueAt); try c.encode(variants, forKey: .variants); try c.encode(events, forKey: .events)
            }
            enum Keys: String, CodingKey { case campaign, mailbox, state, step, reason, description, dueAt, variants, events }
        }
        struct Document: Encodable { var address: String; var timeZone: String?; var fields: [String: String]; var enrollments: [Enrollment] }
        return JSONOutput.encode(
            Document(
                address: detail.address, timeZone: detail.timeZone, fields: detail.fields,
                enrollments: detail.enrollments.map { enrollment in
                    var due: String?
                    if case .active(_, let at) = enrollment.state { due = Timestamps.iso(at) }
                    let reason = reasonParts(enrollment.state).map { Reason(kind: $0.kind, fields: $0.fields, note: $0.note, until: $0.until.map(Timestamps.iso)) }
                    return .init(
                        campaign: enrollment.campaignID, mailbox: enrollment.mailbox, state: enrollment.state.name, step: enrollment.state.step,
                        reason: reason, description: describe(enrollment.state), dueAt: due, variants: enrollment.variants,
                        events: enrollment.events.map { .init(at: Timestamps.iso($0.at), kind: $0.kind, actor: $0.actor, detail: $0.detail) })
                }))
    }

    public static func text(_ tasks: [OpenTask]) -> String {
        guard !tasks.isEmpty else { return "No open tasks." }
        var lines: [String] = []
        for task in tasks {
            let name = [task.fields["firstName"], task.fields["lastName"]].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
            lines.append("#\(task.id)  \(task.campaignID) · \(task.stepID): \(task.title)")
            lines.append("    \(task.address)\(name.isEmpty ? "" : " (\(name))"), open since \(Timestamps.display(task.openedAt))")
            lines.append("    \(task.instructions)")
        }
        lines.append("Mark one done with `cadence tasks done ID [--note TEXT]`.")
        return lines.joined(separator: "\n")
    }

    public static func json(_ tasks: [OpenTask]) -> String {
        struct Task: Encodable {
            var id: Int64; var campaign: String; var step: String; var title: String; var instructions: String
            var address: String; var fields: [String: String]; var openedAt: String
        }
        return JSONOutput.encode(
            tasks.map {
                Task(id: $0.id, campaign: $0.campaignID, step: $0.stepID, title: $0.title, instructions: $0.instructions, address: $0.address, fields: $0.fields, openedAt: Timestamps.iso($0.openedAt))
            })
    }
}

/// Plain text tables with aligned columns.
enum Table {
    static func render(_ rows: [[String]], rightAligned: ClosedRange<Int>) -> [String] {
        guard let width = rows.first?.count else { return [] }
        let widths = (0..<width).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned.contains(column) ? pad + cell : cell + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
    }
}
