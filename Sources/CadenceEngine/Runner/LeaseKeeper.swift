import CadenceCore
import CadenceStore
import Foundation
import Synchronization

/// This runner's hold on the database, kept for the runner and checked before everything that needs it.
///
/// The lease is renewed only once a third of it has run down (not one extra commit per send), so a check that
/// passes can leave two thirds of it: provider calls get a deadline a margin before the lease ends, and every
/// write a send makes carries the lease's fence, so a runner that overran anyway cannot record anything.
public final class LeaseKeeper: Sendable {
    /// How much of the lease a provider call may not use: time for the outcome to be recorded.
    public static let margin: TimeInterval = 5

    public let owner: String
    public let seconds: TimeInterval
    let store: any CadenceStore
    public let clock: any WallClock
    private let state = Mutex<State>(.none)

    private enum State {
        case none
        case held(RunnerLease, renewedAt: Date)
        case lost
    }

    public init(store: any CadenceStore, owner: String = RunnerIdentity.current().description, seconds: TimeInterval, clock: any WallClock) {
        self.store = store
        self.owner = owner
        self.seconds = seconds
        self.clock = clock
    }

    /// Takes the lease; a runner on this machine whose process is gone (killed, crashed, a zombie, or from before
    /// a reboot) holds nothing. Otherwise says who holds it until when.
    public func acquire() async throws(StoreError) -> LeaseAnswer {
        let now = clock.now
        var answer = try await store.acquireLease(owner: owner, now: now, seconds: seconds)
        if case .busy(let holder, _) = answer, RunnerIdentity.isGone(owner: holder),
            let lease = try await store.takeOverLease(from: holder, owner: owner, now: now, seconds: seconds)
        {
            answer = .held(lease)
        }
        if case .held(let lease) = answer { state.withLock { $0 = .held(lease, renewedAt: now) } }
        return answer
    }

    /// The lease to work under now (taken on first use, renewed once a third of it has run down), or nil once
    /// another runner has it: then nothing more may be sent or recorded.
    public func current() async throws(StoreError) -> RunnerLease? {
        let now = clock.now
        switch state.withLock({ $0 }) {
        case .lost:
            return nil
        case .none:
            guard case .held(let lease) = try await acquire() else { return nil }
            return lease
        case .held(let held, let renewedAt):
            if now.timeIntervalSince(renewedAt) < seconds / 3, now < held.expiresAt { return held }
            if case .held(let lease) = try await store.acquireLease(owner: owner, now: now, seconds: seconds), lease.fence == held.fence {
                state.withLock { $0 = .held(lease, renewedAt: now) }
                return lease
            }
            state.withLock { $0 = .lost }
            return nil
        }
    }

    /// How long a runner's lease lasts: at least three passes, and long enough that one provider attempt (the
    /// connect and request timeouts of the slowest Gmail mailbox) fits in what is left after a renewal (two
    /// thirds of the lease, less the margin).
    public static func lifetime(interval: Int, _ configuration: ProjectConfiguration) -> TimeInterval {
        let longestAttempt = configuration.gmailMailboxes.map { Double($0.1.endpoints.connectTimeoutSeconds + $0.1.endpoints.requestTimeoutSeconds) }.max() ?? 0
        return max(Double(interval) * 3, 90, longestAttempt * 2 + 3 * margin)
    }

    /// The deadline provider calls made under `lease` must be over by, on this keeper's clock.
    public func deadline(_ lease: RunnerLease) -> CallDeadline {
        CallDeadline(at: lease.expiresAt.addingTimeInterval(-Self.margin), clock: clock)
    }

    /// Ends the lease at once (a clean stop), so the next runner need not wait for it to run out. Done in a task
    /// of its own: a runner that was cancelled (stopped at once) still hands the lease back.
    public func release() async {
        state.withLock { $0 = .lost }
        let store = store, owner = owner
        await Task { try? await store.releaseLease(owner: owner) }.value
    }
}
