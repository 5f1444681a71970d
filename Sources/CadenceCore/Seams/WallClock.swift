import Foundation
import Synchronization

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

/// A clock that tests, the fake Gmail and simulations move by hand: it follows the machine's clock shifted by an
/// offset, or stands at a set time, and is shared by reference so every party reads the same "now".
public final class AdjustableClock: WallClock, Sendable {
    private let state: Mutex<(fixed: Date?, offset: TimeInterval)>

    /// Stands at `date` until moved.
    public init(_ date: Date) { state = Mutex((date, 0)) }

    /// Follows the machine's clock until moved.
    public init() { state = Mutex((nil, 0)) }

    public var now: Date {
        state.withLock { state in state.fixed ?? Date().addingTimeInterval(state.offset) }
    }

    public func set(_ date: Date) {
        state.withLock { $0.fixed = date }
    }

    public func advance(by seconds: TimeInterval) {
        state.withLock { state in
            if let fixed = state.fixed { state.fixed = fixed.addingTimeInterval(seconds) } else { state.offset += seconds }
        }
    }
}
