import CadenceStore
import Synchronization

/// Click targets already looked up, by tracking id and link, so a busy click route does not read the database for
/// every click. `forget` runs in another process, so the server notices an erasure by polling
/// (`TrackingEndpoint.refreshErasures`, every second) and then drops everything: an erased person's link goes
/// nowhere within a second of `forget`.
final class ClickCache: Sendable {
    static let limit = 100_000

    struct Key: Hashable {
        var trackingID: String
        var link: Int
    }

    private let entries = Mutex<[Key: (send: TrackedSend, url: String)]>([:])
    /// The erasure count last seen; nil before the first look.
    private let erasures = Mutex<Int?>(nil)

    /// Records the erasure count; true when it changed since the last look (someone was erased meanwhile).
    func noteErasures(_ count: Int) -> Bool {
        erasures.withLock { seen in
            defer { seen = count }
            return seen != count
        }
    }

    func lookup(_ trackingID: String, link: Int) -> (send: TrackedSend, url: String)? {
        entries.withLock { $0[Key(trackingID: trackingID, link: link)] }
    }

    /// Kept until the cache is full; then it starts again empty rather than tracking ages per entry.
    func remember(_ send: TrackedSend, url: String, trackingID: String, link: Int) {
        entries.withLock { entries in
            if entries.count >= Self.limit { entries.removeAll(keepingCapacity: true) }
            entries[Key(trackingID: trackingID, link: link)] = (send, url)
        }
    }

    func removeAll() {
        entries.withLock { $0.removeAll() }
    }
}
