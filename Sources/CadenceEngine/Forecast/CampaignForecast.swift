import CadenceCore
import CadenceStore
import Foundation

/// `cadence status --forecast`: when each campaign's last step is expected and how many days of work each mailbox
/// has queued, from Core's `Forecast` over a read snapshot. Writes nothing; any store that keeps the protocol serves.
public struct CampaignForecast: Sendable {
    public var snapshot: ForecastSnapshot
    public var result: Forecast.Result
    public var now: Date
    /// The one campaign asked about, or nil for all. The play-forward always covers every campaign: they share
    /// mailboxes, and a mailbox's queue is the work of all of them.
    public var only: String?
    /// The mailboxes each campaign sends from.
    var mailboxesOf: [String: [String]] = [:]

    public static let assumptions =
        "Assumes nobody replies, bounces or unsubscribes, every task is done the moment it is due, held and paused people stay so (out-of-office people come back on the day they gave), nobody new is launched, and the mailboxes stay authorised and unpaused. The runner adds a random extra of up to a third of each mailbox's minimum gap between sends, which this leaves out: with a queue behind the gap, the real finish is somewhat later."

    public static func make(
        _ store: any CadenceStore, configuration: ProjectConfiguration, now: Date, seed: UInt64, only: String? = nil
    ) async throws(StoreError) -> CampaignForecast {
        let snapshot = try await store.forecastSnapshot(now: now)
        var campaigns: [String: SequenceDefinition] = [:]
        for id in snapshot.campaigns {
            if let stored = try await store.storedCampaign(id), let definition = SnapshotCampaign(stored)?.definition { campaigns[id] = definition }
        }
        let mailboxes = Dictionary(configuration.mailboxes.map { ($0.name, $0) }) { first, _ in first }
        let result = Forecast.run(people: snapshot.people, campaigns: campaigns, mailboxes: mailboxes, pastSends: snapshot.pastSends, now: now, seed: seed)
        // The mailboxes a campaign's people send from: an update may have changed the campaign's list since they
        // were given theirs.
        var mailboxesOf: [String: [String]] = campaigns.mapValues(\.mailboxes)
        for person in snapshot.people where !(mailboxesOf[person.campaign]?.contains(person.mailbox) ?? false) {
            mailboxesOf[person.campaign, default: []].append(person.mailbox)
        }
        return CampaignForecast(snapshot: snapshot, result: result, now: now, only: only, mailboxesOf: mailboxesOf)
    }

    /// The campaigns shown: the one asked about (none when it is stopped), or all.
    var shown: [String] { snapshot.campaigns.filter { only == nil || $0 == only } }

    /// The mailboxes shown: those the shown campaigns send from, or all.
    var shownMailboxes: [(String, Forecast.MailboxResult)] {
        let wanted = only.map { Set(mailboxesOf[$0] ?? []) }
        return result.mailboxes.sorted(by: { $0.key < $1.key }).filter { wanted?.contains($0.key) ?? true }
    }

    /// Days from now to the instant, rounded up: "3 days".
    static func days(from now: Date, to date: Date) -> Int { max(0, Int((date.timeIntervalSince(now) / 86_400).rounded(.up))) }

    public var text: String {
        var lines = ["Forecast from \(Timestamps.display(now)) (the runner's rules played forward on a snapshot; nothing was written):"]
        if let only, shown.isEmpty { lines.append("  \(only): stopped; nothing more is sent") }
        for id in shown {
            let campaign = result.campaigns[id] ?? Forecast.CampaignResult()
            var line = "  \(id): "
            if campaign.people == 0 {
                line += "nobody in progress"
            } else if let last = campaign.lastStep, campaign.beyondHorizon == 0 {
                line +=
                    "\(campaign.people) in progress, \(campaign.emails) email\(campaign.emails == 1 ? "" : "s") and \(campaign.tasks) task\(campaign.tasks == 1 ? "" : "s") to go; last step expected \(Timestamps.display(last)) (in \(Self.days(from: now, to: last)) days)"
            } else {
                line += "\(campaign.people) in progress; \(campaign.beyondHorizon) still going after a year (\(Timestamps.display(result.horizon)))"
            }
            let left = [snapshot.held[id].map { "\($0) held" }, snapshot.paused[id].map { "\($0) paused" }].compactMap { $0 }
            if !left.isEmpty { line += " (not counted: \(left.joined(separator: ", ")))" }
            lines.append(line)
        }
        for (name, mailbox) in shownMailboxes {
            let until = mailbox.lastSend.map { "sending until \(Timestamps.display($0)): \(Self.days(from: now, to: $0)) days of work queued" } ?? "nothing queued"
            lines.append("  mailbox \(name): \(mailbox.emails) email\(mailbox.emails == 1 ? "" : "s") queued, \(until)")
        }
        if only != nil, !shownMailboxes.isEmpty { lines.append("  (A mailbox's queue counts the work of every campaign that sends from it.)") }
        lines.append("  " + Self.assumptions)
        return lines.joined(separator: "\n")
    }

    public var json: String {
        JSONOutput.encode(
            JSONTree.object(
                [
                    "from": .string(Timestamps.iso(now)), "horizon": .string(Timestamps.iso(result.horizon)), "assumptions": .string(Self.assumptions),
                    // The campaign asked about, when it is stopped (nothing more is sent, so it has no forecast).
                    "stopped": .array(only.flatMap { shown.isEmpty ? [JSONTree.string($0)] : nil } ?? []),
                    "campaigns": .array(
                        shown.map { id in
                            let campaign = result.campaigns[id] ?? Forecast.CampaignResult()
                            return .object(
                                [
                                    "id": .string(id), "inProgress": .int(campaign.people), "emails": .int(campaign.emails), "tasks": .int(campaign.tasks),
                                    "lastStep": .optional(campaign.lastStep.map(Timestamps.iso)), "beyondHorizon": .int(campaign.beyondHorizon),
                                    "held": .int(snapshot.held[id] ?? 0), "paused": .int(snapshot.paused[id] ?? 0),
                                ])
                        }),
                    "mailboxes": .array(
                        shownMailboxes.map { name, mailbox in
                            .object(
                                [
                                    "name": .string(name), "emails": .int(mailbox.emails), "lastSend": .optional(mailbox.lastSend.map(Timestamps.iso)),
                                    "daysQueued": .int(mailbox.lastSend.map { Self.days(from: now, to: $0) } ?? 0),
                                ])
                        }),
                ]))
    }
}
