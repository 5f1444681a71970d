import CadenceCore
import CadenceStore
import Foundation

/// `cadence run --simulate`: the real runner on a virtual clock, against a scratch copy of the database and a
/// scratch outbox, so a person sees the coming weeks of a campaign before anything is sent.
///
/// The clock jumps from one due time to the next. Manual tasks are taken as done the moment they open (a
/// simulation cannot know when a person will do them); held candidates stay held.
public enum Simulation {
    public struct Result: Sendable {
        public var timeline: [TimelineEntry]
        /// When each campaign's last enrolment stopped being in progress, if within the simulated time.
        public var finished: [String: Date]
        public var until: Date
        public var passes: Int
        /// Each campaign's zone, for candidates without one of their own.
        public var zones: [String: String] = [:]
    }

    public static func run(
        database: CadenceDatabase, configuration: ProjectConfiguration, scratchFolder: String, from start: Date, until: Date, seed: UInt64
    ) async throws(StoreError) -> Result {
        // Every mailbox writes to the scratch outbox, whatever its provider: a simulation never sends.
        var simulated = configuration
        simulated.mailboxes = configuration.mailboxes.map { mailbox in
            var copy = mailbox
            copy.provider = .outbox(folder: "outbox/\(mailbox.name)")
            return copy
        }
        return try await run(
            database: database, configuration: simulated, sender: OutboxFolderSender(root: scratchFolder), from: start, until: until, seed: seed)
    }

    /// The same, through `sender` as configured (the demo's sandbox Gmail); `moved` learns each new instant, so a
    /// sandbox on the same virtual clock keeps up.
    public static func run(
        database: CadenceDatabase, configuration: ProjectConfiguration, sender: any MailSender, from start: Date, until: Date, seed: UInt64,
        watch: MailboxWatch? = nil, tracking: TrackingKeys? = nil, moved: @Sendable (Date) -> Void = { _ in }
    ) async throws(StoreError) -> Result {
        // The simulation's copy is its own: it holds that copy's lease for as long as any simulation could run.
        let lease = LeaseKeeper(store: database, owner: "simulation", seconds: 100 * 365 * 86_400, clock: FixedClock(start))
        var runner = Runner(store: database, configuration: configuration, sender: sender, seed: seed, lease: lease)
        runner.watch = watch
        runner.tracking = tracking
        let campaigns = try await database.status(campaign: nil, now: start).map(\.id)
        var finished: [String: Date] = [:]
        var now = start
        var passes = 0
        while now <= until, passes < 100_000 {
            passes += 1
            moved(now)
            _ = try await runner.runOnce(now: now)
            for task in try await database.openTasks(campaign: nil, actor: "simulation", now: now) {
                _ = try await database.completeTask(task.id, note: "done in the simulation", actor: "simulation", now: now)
            }
            for campaign in campaigns where finished[campaign] == nil {
                if try database.inProgressCount(campaign: campaign) == 0 { finished[campaign] = now }
            }
            guard let next = try database.nextDueTime() else { break }
            now = max(next, now.addingTimeInterval(1))
        }
        var zones: [String: String] = [:]
        for campaign in campaigns {
            if let stored = try await database.storedCampaign(campaign), let snapshot = SnapshotCampaign(stored) { zones[campaign] = snapshot.definition.timeZone }
        }
        return Result(timeline: try database.timeline(), finished: finished, until: until, passes: passes, zones: zones)
    }

    /// The timeline in each candidate's local time.
    public static func text(_ result: Result) -> String {
        var lines: [String] = []
        for entry in result.timeline {
            let zone = (entry.timeZone ?? result.zones[entry.campaignID]).flatMap(TimeZone.init(identifier:))
            lines.append("\(localTime(entry.at, zone))  \(entry.campaignID) · \(entry.stepID) → \(entry.address)")
        }
        lines.append("\(result.timeline.count) email\(result.timeline.count == 1 ? "" : "s") by \(Timestamps.display(result.until)).")
        for (campaign, date) in result.finished.sorted(by: { $0.key < $1.key }) {
            lines.append("\(campaign) finishes on \(Timestamps.display(date)): no candidate is left in progress.")
        }
        return lines.joined(separator: "\n")
    }

    /// `Tue 2026-12-01 09:00 Europe/Madrid` (UTC when the candidate has no zone).
    static func localTime(_ date: Date, _ zone: TimeZone?) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone ?? TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        func two(_ n: Int?) -> String { String(n ?? 0).leftPadded(to: 2) }
        return "\(days[(parts.weekday ?? 1) - 1]) \(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute)) \(zone?.identifier ?? "UTC")"
    }
}
