import Synchronization

/// Word that pushes were queued, from a store that can say so as it happens (PostgreSQL's `NOTIFY`, heard on a
/// connection of its own). Only a hint: the queue in the database stays the truth, so a runner reads it when woken
/// and also, less often, without being woken (a notification lost while reconnecting costs a few seconds, not a
/// reply).
public final class PushWakeups: Sendable {
    private let pending = Mutex(false)

    public init() {}

    /// Pushes were queued (or the listener reconnected, and some may have been queued meanwhile).
    public func signal() {
        pending.withLock { $0 = true }
    }

    /// Whether word came since the last call.
    public func take() -> Bool {
        pending.withLock { pending in
            defer { pending = false }
            return pending
        }
    }
}
