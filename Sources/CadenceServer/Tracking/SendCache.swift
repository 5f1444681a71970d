import CadenceStore
import Synchronization

/// The sends a pixel route has looked up, by tracking id (see `TrackingEndpoint.sends`).
final class SendCache: Sendable {
    static let limit = 100_000
    private let entries = Mutex<[String: TrackedSend]>([:])

    func lookup(_ trackingID: String) -> TrackedSend? {
        entries.withLock { $0[trackingID] }
    }

    /// Kept until the cache is full; then it starts again empty rather than tracking ages per entry.
    func remember(_ send: TrackedSend, as trackingID: String) {
        entries.withLock { entries in
            if entries.count >= Self.limit { entries.removeAll(keepingCapacity: true) }
            entries[trackingID] = send
        }
    }

    func removeAll() {
        entries.withLock { $0.removeAll() }
    }
}
