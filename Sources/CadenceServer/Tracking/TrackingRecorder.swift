import CadenceStore
import Logging

/// Writes opens and clicks in batches: a request is answered as soon as its event is queued, and one writer
/// commits everything queued so far in one transaction, then whatever arrived meanwhile (group commit, not an
/// fsync per pixel). `drain()` (on SIGTERM) waits until everything accepted is written; a SIGKILL loses at most
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

    private func writeAll() async {
        while !pending.isEmpty {
            let batch = pending
            pending = []
            do {
                try await store.recordTrackingEvents(batch)
            } catch {
                logger.error("tracking events could not be recorded", metadata: ["count": "\(batch.count)", "error": "\(error)"])
            }
        }
        writing = false
        let resumed = waiting
        waiting = []
        for continuation in resumed { continuation.resume() }
    }
}
