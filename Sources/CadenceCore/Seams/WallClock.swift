import Foundation

/// The one source of "now". Passed in, never read ad hoc, so schedules are testable and a campaign can be
/// simulated by moving a clock instead of waiting.
public protocol WallClock: Sendable {
    var now: Date { get }
}

/// The machine's clock, for real runs.
public struct SystemClock: WallClock {
    public init() {}
    public var now: Date { Date() }
}

/// A clock that stands still until told otherwise, for tests and reproducible output.
public struct FixedClock: WallClock {
    public let now: Date
    public init(_ now: Date) { self.now = now }
}
