import CadenceCore
import CadenceStore
import Foundation

/// Reads a candidates file on a thread of its own, a few batches of rows ahead of the launch that places them.
///
/// Reading and checking rows (bytes to fields to candidates) and encoding their fields as stored is a fifth of a
/// launch's work, and needs nothing the launch decides: on a second core it overlaps with placing and writing the
/// rows before. At most `capacity`
/// batches wait, so memory stays flat however long the file. The thread ends before `finish` returns, whether the
/// file was read to its end, failed, or the launch stopped early.
final class RowPrefetch: @unchecked Sendable {
    /// Why the reading thread stopped when the launch no longer wanted rows.
    private struct Stopped: Error {}

    private let condition = NSCondition()
    /// A batch of rows, its candidates as the store writes them, and what `check` said of each row (nil for a row
    /// with problems, or without `check`), in the rows' order.
    typealias Batch = (rows: [CandidateFile.Row], candidates: LaunchBatch, checked: [LaunchPlacement.Checked?])

    private var ready: [Batch] = []
    /// Batches the launch is done with, freed on the reading thread: freeing a batch's candidates (a dictionary and
    /// a few texts each) on the writing thread, the launch's bottleneck, was a twentieth of its time.
    private var spent: [(rows: [CandidateFile.Row], candidates: LaunchBatch?)] = []
    private var outcome: Result<Void, any Error>?
    private var stopped = false
    private var running = true
    private let capacity: Int

    /// `check` (when given) is worked out for every candidate on the reading thread.
    init(_ file: CandidateFile, batchSize: Int, capacity: Int = 2, check: (@Sendable (Candidate) -> LaunchPlacement.Checked)? = nil) {
        self.capacity = capacity
        let thread = Thread { [self] in
            var batch: Batch = ([], LaunchBatch(), [])
            let result = Result<Void, any Error> {
                try file.forEachRow { row in
                    // A launch that stopped early (it failed) waits for this thread: it stops at the next row.
                    if self.isStopped { throw Stopped() }
                    batch.rows.append(row)
                    if case .candidate(let candidate) = row {
                        batch.candidates.append(candidate)
                        batch.checked.append(check?(candidate))
                    } else {
                        batch.checked.append(nil)
                    }
                    if batch.rows.count == batchSize {
                        try self.hand(batch)
                        batch = ([], LaunchBatch(), [])
                    }
                }
                if !batch.rows.isEmpty { try self.hand(batch) }
            }
            self.condition.lock()
            self.outcome = result
            self.running = false
            self.condition.broadcast()
            self.condition.unlock()
        }
        thread.name = "cadence.launch.rows"
        thread.start()
    }

    private var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }

    /// Waits while `capacity` batches are already waiting; throws once the launch stopped wanting rows.
    private func hand(_ batch: Batch) throws {
        var freed: [(rows: [CandidateFile.Row], candidates: LaunchBatch?)] = []
        defer { freed = [] }  // after the lock is let go, on this thread
        condition.lock()
        defer { condition.unlock() }
        while ready.count >= capacity && !stopped { condition.wait() }
        if stopped { throw Stopped() }
        ready.append(batch)
        swap(&freed, &spent)
        condition.broadcast()
    }

    /// Gives back rows (and a store's batch) the launch is done with, to be freed on the reading thread.
    func recycle(_ rows: [CandidateFile.Row], _ candidates: LaunchBatch?) {
        condition.lock()
        defer { condition.unlock() }
        if running { spent.append((rows, candidates)) }
    }

    /// The next batch in file order; nil after the last. Throws what reading the file threw (an unreadable file,
    /// bytes that are not UTF-8), once the batches before it were taken.
    func next() throws -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty && outcome == nil { condition.wait() }
        if !ready.isEmpty {
            let batch = ready.removeFirst()
            condition.broadcast()
            return batch
        }
        if case .failure(let error)? = outcome, !(error is Stopped) { throw error }
        return nil
    }

    /// Stops the reading (if it is still going) and waits for its thread to end: at the next row, or once a read
    /// already waiting on a pipe returns.
    func finish() {
        condition.lock()
        stopped = true
        ready.removeAll()
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }
}
