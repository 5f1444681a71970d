import Synchronization

/// What the tracking routes have looked up already (sends for pixels, targets for clicks), so a busy route does
/// not read the database for every request. Kept until full, then started again empty rather than tracking ages
/// per entry; emptied when `forget` erases someone (`ErasureWatch`).
final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    static var limit: Int { 100_000 }

    private let entries = Mutex<[Key: Value]>([:])

    func lookup(_ key: Key) -> Value? {
        entries.withLock { $0[key] }
    }

    func remember(_ value: Value, as key: Key) {
        entries.withLock { entries in
            if entries.count >= Self.limit { entries.removeAll(keepingCapacity: true) }
            entries[key] = value
        }
    }

    func removeAll() {
        entries.withLock { $0.removeAll() }
    }
}
