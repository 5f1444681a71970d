/// Waiting, as a seam: backoff and pacing wait through it, so tests and simulations do not sleep for real and can
/// see every wait that was asked for.
public protocol Sleeper: Sendable {
    func sleep(seconds: Double) async throws
}

/// Real waiting, for real runs.
public struct TaskSleeper: Sleeper {
    public init() {}
    public func sleep(seconds: Double) async throws {
        // No wait is worth more than a day; and inf, NaN or a huge number must not reach the integer conversion.
        guard seconds > 0, !seconds.isNaN else { return }
        try await Task.sleep(nanoseconds: UInt64(min(seconds, 86_400) * 1_000_000_000))
    }
}

/// Waiting that moves an adjustable clock instead of the wall: a simulation's pacing and backoff take no real
/// time, and everyone reading that clock (a sandbox Gmail too) sees the time pass.
public struct ClockAdvancingSleeper: Sleeper {
    public let clock: AdjustableClock
    public init(_ clock: AdjustableClock) { self.clock = clock }
    public func sleep(seconds: Double) async throws {
        guard seconds > 0 else { return }
        clock.advance(by: seconds)
    }
}
