import CadenceStore
import Logging
import Synchronization

/// Writes opens and clicks in batches: a request is answered as soon as its event is queued, and one writer
/// commits what is queued, up to `batchLimit` events a transaction, then the rest and whatever arrived meanwhile
/// (group commit, not an fsync per pixel). `drain()` (on SIGTERM) waits until everything accepted is written; a
/// SIGKILL loses at most the batch being written and what queued behind it.
///
/// A lock rather than an actor: queuing is on every pixel and click, and an actor call there suspends the request
/// whenever the writer holds the actor, which cost the pixel route a good share of its throughput.
public final class TrackingRecorder: Sendable {
    let store: any CadenceStore
    let logger: Logger

    struct State {
        var pending: [TrackingEventRecord] = []
        var writing = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    public init(store: any CadenceStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func record(_ event: TrackingEventRecord) {
        let start = state.withLock { state in
            state.pending.append(event)
            guard !state.writing else { return false }
            state.writing = true
            return true
        }
        if start { Task { await self.writeAll() } }
    }

    /// Returns once every event recorded before the call is in the database (or could not be written).
    public func drain() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let start: Bool? = state.withLock { state in
                guard state.writing || !state.pending.isEmpty else { return nil }
                state.waiting.append(continuation)
                guard !state.writing else { return false }
                state.writing = true
                return true
            }
            switch start {
            case nil: continuation.resume()
            case true?: Task { await self.writeAll() }
            case false?: break
            }
        }
    }

    /// A batch that cannot be written (the database busy longer than its timeout, say, with a big import) is
    /// put back at the head of the queue and tried again, a few times, before it is given up and logged.
    static let attempts = 3
    /// At most this many events per transaction: after a backlog, the runner and unsubscribes (which share the one
    /// writer) wait for one batch, not for all of it.
    static let batchLimit = 2_000

    private func writeAll() async {
        var failures = 0
        while true {
            let batch: [TrackingEventRecord] = state.withLock { state in
                let batch = Array(state.pending.prefix(Self.batchLimit))
                state.pending.removeFirst(batch.count)
                return batch
            }
            if batch.isEmpty {
                // Nothing left: stop writing, unless something arrived between the take and this lock.
                let resumed: [CheckedContinuation<Void, Never>]? = state.withLock { state in
                    guard state.pending.isEmpty else { return nil }
                    state.writing = false
                    defer { state.waiting = [] }
                    return state.waiting
                }
                guard let resumed else { continue }
                for continuation in resumed { continuation.resume() }
                return
            }
            do {
                try await store.recordTrackingEvents(batch)
                failures = 0
            } catch {
                failures += 1
                guard failures < Self.attempts else {
                    logger.error("tracking events could not be recorded", metadata: ["count": "\(batch.count)", "error": "\(error)"])
                    failures = 0
                    continue
                }
                logger.warning("tracking events not recorded yet; trying again", metadata: ["count": "\(batch.count)", "error": "\(error)"])
                state.withLock { $0.pending.insert(contentsOf: batch, at: 0) }
            }
        }
    }
}
