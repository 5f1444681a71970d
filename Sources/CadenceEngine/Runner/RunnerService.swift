import CadenceCore
import CadenceStore
import Foundation
import ServiceLifecycle

/// `cadence run` as a long-running service: a pass every `interval` seconds, the pushes `cadence serve` queued
/// picked up between passes, and the lease released at the end.
///
/// Graceful shutdown (SIGTERM, SIGINT) lets the send in flight finish and be recorded, then ends the pass and the
/// service; nothing waits for the rest of a pass of up to a hundred steps. Cancellation stops at once: whatever
/// was in flight stays recorded as an intent for the next runner to confirm.
public struct RunnerService: Service {
    /// Why the service stopped working before it was asked to.
    public enum Stop: Error, Equatable, CustomStringConvertible {
        case leaseLost
        public var description: String {
            "another runner took over this database (this one's lease ran out during a long wait); this runner stopped, and the other one carries on"
        }
    }

    let runner: Runner
    let clock: any WallClock
    let interval: Int
    let once: Bool
    /// Each pass's report line (and the pushes handled between passes), for the CLI to print.
    let report: @Sendable (String) -> Void

    public init(runner: Runner, clock: any WallClock, interval: Int, once: Bool, report: @escaping @Sendable (String) -> Void) {
        self.runner = runner
        self.clock = clock
        self.interval = interval
        self.once = once
        self.report = report
    }

    public func run() async throws {
        var runner = self.runner
        runner.shouldStop = { Task.isShuttingDownGracefully }
        do {
            try await passes(&runner)
        } catch {
            await runner.lease.release()
            throw error
        }
        await runner.lease.release()
        // Stopped cleanly: it holds nothing now, and the page says so until the report goes stale.
        runner.metrics?.holding(0)
        await publishMetrics(runner)
    }

    private func passes(_ runner: inout Runner) async throws {
        while true {
            let now = clock.now
            let pass = try await runner.runOnce(now: now)
            report("\(Timestamps.display(now))  \(pass.text)")
            await publishMetrics(runner)
            if pass.leaseLost { throw Stop.leaseLost }
            if once || Task.isShuttingDownGracefully { return }
            try await waitForNextPass(runner)
            if Task.isShuttingDownGracefully { return }
        }
    }

    /// Writes the runner's metrics where any `cadence serve --metrics-port` reads them: after each pass, and every
    /// minute between passes (so a runner with a long interval stays on the page). Best effort: a database
    /// that cannot take them now shows in the next pass, and the counts go on accumulating meanwhile.
    private func publishMetrics(_ runner: Runner) async {
        guard let metrics = runner.metrics else { return }
        if let quotaUse = runner.quotaUse {
            for mailbox in runner.configuration.gmailMailboxes.map(\.0.name) {
                if let use = await quotaUse(mailbox) { metrics.gmailBudget(mailbox: mailbox, spent: use.spent, waited: use.waited) }
            }
        }
        try? await runner.store.publishMetrics(owner: runner.lease.owner, exposition: metrics.exposition, now: clock.now)
    }

    /// Between passes, pushes queued by `cadence serve` are picked up within a quarter second. A mailbox that
    /// cannot be read is left for the next pass, not retried four times a second. A store that says when pushes
    /// arrive (PostgreSQL) is read when it does, and every five seconds besides; a SQLite file is read each time.
    private func waitForNextPass(_ runner: Runner) async throws {
        var pushesBlocked = false
        let wakeups = runner.store.pushWakeups
        for tick in 0..<(interval * 4) {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(250)) }
            } catch is CancellationError {
                if Task.isShuttingDownGracefully { return }
                throw CancellationError()
            }
            if tick % 240 == 239 { await publishMetrics(runner) }
            guard !pushesBlocked else { continue }
            if let wakeups, !wakeups.take(), tick % 20 != 19 { continue }
            let pushed = try await runner.handlePushes(now: clock.now)
            if pushed.incoming > 0 {
                report("\(Timestamps.display(clock.now))  pushed: incoming \(pushed.incoming), stopping \(pushed.stoppedByIncoming).")
            }
            if !pushed.watchProblems.isEmpty {
                report("\(Timestamps.display(clock.now))  pushed: \(pushed.watchProblems.joined(separator: "; ")); trying again at the next pass.")
                pushesBlocked = true
            }
        }
    }
}
