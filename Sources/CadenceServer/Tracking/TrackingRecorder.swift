import CadenceStore
import Logging

/// Writes opens and clicks in batches: a request is answered as soon as its event is queued, and one writer
/// commits what is queued, up to `batchLimit` events a transaction, then the rest and whatever arrived meanwhile
/// (group commit, not an fsync per pixel). `drain()` (on SIGTERM) waits until everything accepted is written; a SIGKILL loses at most
/// the batch being written and what queued behind it.
public actor TrackingRecorder {
    let store: any CadenceStore
    let logger: Logger
    private var pending: [TrackingEventRecord] = []
    private var writing = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(store: any CadenceStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func record(_ event: TrackingEventRecord) {
        pending.append(event)
        guard !writing else { return }
        writing = true
        Task { await writeAll() }
    }

    /// Returns once every event recorded before the call is in the database (or could not be written).
    public func drain() async {
        guard writing || !pending.isEmpty else { return }
        if !writing {
            writing = true
            Task { await writeAll() }
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// A batch that cannot be written (the database busy longer than its timeout, say, with a big import) is
    /// put back at the head of the queue and tried again, a few times, before it is given up and logged.
    static let attempts = 3
    /// At most this many events per transaction: after a backlog, the runner and unsubscribes (which share the one
    /// writer) wait for one batch, not for all of it.
    static let batchLimit = 2_000

    private func writeAll() async {
        var failures = 0
        while !pending.isEmpty {
            let batch = Array(pending.prefix(Self.batchLimit))
            pending.removeFirst(batch.count)
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
                pending = batch + pending
            }
        }
        writing = false
        let resumed = waiting
        waiting = []
        for continuation in resumed { continuation.resume() }
    }
}
