import Synchronization

/// Whether `forget` has erased someone since the last look. It runs in another process, so `cadence serve`
/// polls the store's erasure count (every second) and empties what it keeps in memory when the count moves.
final class ErasureWatch: Sendable {
    /// The count last seen; nil before the first look, which counts as a change.
    private let seen = Mutex<Int?>(nil)

    /// Records `count`; true when it differs from the last look.
    func changed(to count: Int) -> Bool {
        seen.withLock { seen in
            defer { seen = count }
            return seen != count
        }
    }
}
