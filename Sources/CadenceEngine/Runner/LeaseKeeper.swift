import CadenceCore
import CadenceStore
import Foundation
import Synchronization

/// This runner's hold on its mailboxes, kept for the runner and checked before everything that needs it.
///
/// On a SQLite file one runner holds every mailbox under the database's one lease; on a database runners share
/// (PostgreSQL), each holds leases on its fair share of the mailboxes (`CadenceStore.shareMailboxes`). Either way a
/// mailbox's lease has a fence that goes with every write about its sends, and an end that bounds every provider
/// call made from it.
///
/// The leases are renewed only once a third of them has run down (not one extra commit per send), so a check that
/// passes can leave two thirds: provider calls get a deadline a margin before the lease ends, and a runner that
/// overran anyway cannot record anything. Lease times are the store's (PostgreSQL's `now()`), turned into this
/// machine's clock when they are granted, so hosts whose clocks disagree still stop in time.
public final class LeaseKeeper: Sendable {
    /// How much of the lease a provider call may not use: time for the outcome to be recorded.
    public static let margin: TimeInterval = 5

    public let owner: String
    public let seconds: TimeInterval
    /// The mailboxes to hold (cadence.json's); empty for a runner that only confirms or simulates.
    public let mailboxes: [String]
    /// The longest a provider call may last, with a margin: a new holder of a mailbox waits that long after the
    /// old lease ended before it confirms the old holder's sends in doubt.
    public let callBound: TimeInterval
    let store: any CadenceStore
    public let clock: any WallClock
    private let state = Mutex<State>(.none)

    /// The mailboxes held now, each lease's end on this machine's clock.
    public struct Share: Sendable, Equatable {
        /// The whole database's one lease, when this runner holds it whole (SQLite): it covers every mailbox, and
        /// losing it means this runner must stop.
        public var whole: RunnerLease?
        /// The mailboxes held, where runners share them.
        public var leases: [String: RunnerLease]
        /// When each shared mailbox's sends in doubt from an earlier holder may be confirmed, on this clock.
        public var reconcileFrom: [String: Date]

        public var exclusive: Bool { whole != nil }

        /// The lease to work under for `mailbox`, or nil when this runner does not hold it.
        public func lease(for mailbox: String) -> RunnerLease? { whole ?? leases[mailbox] }

        /// Whether `mailbox`'s sends in doubt may be confirmed at `now`.
        public func mayReconcile(_ mailbox: String, at now: Date) -> Bool {
            whole != nil || (leases[mailbox] != nil && (reconcileFrom[mailbox] ?? now) <= now)
        }

        /// The mailboxes this runner sends from: nil when it holds them all.
        public var only: [String]? { whole == nil ? leases.keys.sorted() : nil }

        /// The soonest end of a lease held.
        var soonest: Date? { ([whole].compactMap { $0 } + leases.values).map(\.expiresAt).min() }
    }

    private enum State {
        case none
        case held(Share, renewedAt: Date)
        /// Another runner took the whole database over.
        case lost
    }

    public init(
        store: any CadenceStore, owner: String = RunnerIdentity.current().description, seconds: TimeInterval, clock: any WallClock, mailboxes: [String] = [],
        callBound: TimeInterval = 0
    ) {
        self.store = store
        self.owner = owner
        self.seconds = seconds
        self.clock = clock
        self.mailboxes = mailboxes
        self.callBound = callBound
    }

    /// Takes this runner's share; a runner on this machine whose process is gone (killed, crashed, a zombie, or from
    /// before a reboot) holds nothing. When another holds the whole database, says who until when.
    public func acquire() async throws(StoreError) -> LeaseAnswer {
        let now = clock.now
        var answer = try await store.shareMailboxes(owner: owner, mailboxes: mailboxes, now: now, seconds: seconds, callBound: callBound)
        if let busy = answer.busy, !answer.shared, RunnerIdentity.isGone(owner: busy.owner),
            try await store.takeOverLease(from: busy.owner, owner: owner, now: now, seconds: seconds) != nil
        {
            answer = try await store.shareMailboxes(owner: owner, mailboxes: mailboxes, now: now, seconds: seconds, callBound: callBound)
        }
        if let busy = answer.busy { return .busy(owner: busy.owner, until: busy.until) }
        let share = local(answer, now: now)
        state.withLock { $0 = .held(share, renewedAt: now) }
        let fences = ([share.whole].compactMap { $0 } + share.leases.values).map(\.fence)
        return .held(RunnerLease(owner: owner, fence: fences.max() ?? 0, expiresAt: share.soonest ?? now.addingTimeInterval(seconds)))
    }

    /// The store's answer on this machine's clock: what is left of each lease, counted from now.
    private func local(_ answer: MailboxShare, now: Date) -> Share {
        func here(_ time: Date) -> Date { now.addingTimeInterval(time.timeIntervalSince(answer.now)) }
        var leases: [String: RunnerLease] = [:]
        var reconcileFrom: [String: Date] = [:]
        if answer.whole == nil {
            for lease in answer.leases {
                leases[lease.mailbox] = RunnerLease(owner: owner, fence: lease.fence, expiresAt: here(lease.expiresAt))
                reconcileFrom[lease.mailbox] = max(now, here(lease.reconcileFrom))
            }
        }
        let whole = answer.whole.map { RunnerLease(owner: owner, fence: $0.fence, expiresAt: here($0.expiresAt)) }
        return Share(whole: whole, leases: leases, reconcileFrom: reconcileFrom)
    }

    /// The share to work under now (taken on first use, renewed once a third of it has run down), or nil once
    /// another runner has taken the whole database over: then nothing more may be sent or recorded.
    public func share() async throws(StoreError) -> Share? {
        let now = clock.now
        switch state.withLock({ $0 }) {
        case .lost:
            return nil
        case .none:
            guard case .held = try await acquire() else { return nil }
            return state.withLock { if case .held(let share, _) = $0 { share } else { nil } }
        case .held(let held, let renewedAt):
            if now.timeIntervalSince(renewedAt) < seconds / 3, held.soonest.map({ now < $0 }) ?? true { return held }
            let answer = try await store.shareMailboxes(owner: owner, mailboxes: mailboxes, now: now, seconds: seconds, callBound: callBound)
            var renewed = local(answer, now: now)
            if let whole = held.whole {
                // The whole database changed hands if its fence moved on: stop, whatever the new answer holds.
                guard renewed.whole?.fence == whole.fence else {
                    state.withLock { $0 = .lost }
                    return nil
                }
            } else {
                // A mailbox whose fence moved on was another runner's meanwhile, whatever this one thought: it is
                // held again only from the next renewal, so nothing is written under a fence nobody checked.
                for (mailbox, lease) in held.leases where renewed.leases[mailbox].map({ $0.fence != lease.fence }) == true {
                    renewed.leases[mailbox] = nil
                }
            }
            state.withLock { $0 = .held(renewed, renewedAt: now) }
            return renewed
        }
    }

    /// The lease to send from `mailbox` under now, or nil when this runner does not hold it (any more).
    public func current(for mailbox: String) async throws(StoreError) -> RunnerLease? {
        try await share()?.lease(for: mailbox)
    }

    /// The whole database's lease (SQLite), or nil once another runner took it over; for runners that hold the
    /// whole database, and tests.
    public func current() async throws(StoreError) -> RunnerLease? {
        try await share()?.whole
    }

    /// A write about `mailbox` was refused: another runner holds it now. Returns whether this runner must stop
    /// (it held the whole database); otherwise it goes on with its other mailboxes.
    public func lost(_ mailbox: String) -> Bool {
        state.withLock { state in
            guard case .held(var share, let renewedAt) = state, share.whole == nil else {
                state = .lost
                return true
            }
            share.leases[mailbox] = nil
            state = .held(share, renewedAt: renewedAt)
            return false
        }
    }

    /// How long a runner's lease lasts: at least three passes, and long enough that one provider attempt (the
    /// connect and request timeouts of the slowest Gmail mailbox) fits in what is left after a renewal (two
    /// thirds of the lease, less the margin).
    public static func lifetime(interval: Int, _ configuration: ProjectConfiguration) -> TimeInterval {
        max(Double(interval) * 3, 90, longestAttempt(configuration) * 2 + 3 * margin)
    }

    /// The longest one provider attempt may last: the connect and request timeouts of the slowest Gmail mailbox.
    public static func longestAttempt(_ configuration: ProjectConfiguration) -> TimeInterval {
        configuration.gmailMailboxes.map { Double($0.1.endpoints.connectTimeoutSeconds + $0.1.endpoints.requestTimeoutSeconds) }.max() ?? 0
    }

    /// The shortest lease a runner may take: one provider attempt and the margin fit in the two thirds of it left
    /// after a renewal.
    public static func minimumLifetime(_ configuration: ProjectConfiguration) -> TimeInterval {
        (longestAttempt(configuration) + margin) * 3 / 2
    }

    /// How long after a mailbox's lease ended its old holder's calls may still be going on: the longest attempt,
    /// plus the margin, plus `handoverMargin`. A runner counts its lease from when the database granted it, so the
    /// time the answer took to arrive, or a host that stalled, can make it believe its lease lasts a little longer
    /// than it does; the handover margin covers that.
    public static func callBound(_ configuration: ProjectConfiguration, handoverMargin: TimeInterval = 30) -> TimeInterval {
        longestAttempt(configuration) + margin + handoverMargin
    }

    /// The deadline provider calls made under `lease` must be over by, on this keeper's clock.
    public func deadline(_ lease: RunnerLease) -> CallDeadline {
        CallDeadline(at: lease.expiresAt.addingTimeInterval(-Self.margin), clock: clock)
    }

    /// Ends the leases at once (a clean stop), so other runners need not wait for them to run out. Done in a task
    /// of its own: a runner that was cancelled (stopped at once) still hands its mailboxes back.
    public func release() async {
        state.withLock { $0 = .lost }
        let store = store, owner = owner
        await Task { try? await store.releaseMailboxes(owner: owner) }.value
    }
}
