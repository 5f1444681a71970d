import Foundation

/// One runner's hold on a database: who holds it, until when, and its fence.
///
/// The fence grows by one every time the lease changes hands and never goes back (releasing keeps the row). Every
/// write that depends on holding the lease (an intent, its outcome, a resend, a lookup miss) carries the fence it
/// was started under and is refused when the lease has moved on since, so a runner that was paused past its lease
/// (a long wait on Gmail, a suspended machine) can no longer touch what its successor now owns.
public struct RunnerLease: Sendable, Equatable {
    public var owner: String
    public var fence: Int64
    public var expiresAt: Date

    public init(owner: String, fence: Int64, expiresAt: Date) {
        self.owner = owner
        self.fence = fence
        self.expiresAt = expiresAt
    }
}
