import Foundation

/// The time by which a provider call must be over: the runner sets it from its lease, so that no attempt (and no
/// wait before one) can still be going on when another runner may have taken the database over.
///
/// A task-local value because it has to reach every wait on the way (the quota budget, the backoff, a token
/// refresh and its `Retry-After`) without every signature in between carrying it. Nil: no limit.
public struct CallDeadline: Sendable {
    /// When everything must be over.
    public var at: Date
    /// The clock `at` is on (the runner's: injected, so simulations and tests keep it).
    public var clock: any WallClock

    public init(at: Date, clock: any WallClock) {
        self.at = at
        self.clock = clock
    }

    @TaskLocal public static var current: CallDeadline?

    /// Whether something that can take up to `seconds` may start now and still be over in time.
    public static func allows(_ seconds: TimeInterval) -> Bool {
        guard let current else { return true }
        return allows(seconds, at: current.clock.now)
    }

    /// The same, from `now` (a caller that keeps its own, later, notion of now: a quota budget that already waited).
    public static func allows(_ seconds: TimeInterval, at now: Date) -> Bool {
        guard let current else { return true }
        return now.addingTimeInterval(seconds) <= current.at
    }
}
