import CadenceStore
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// `LISTEN` for queued pushes on a connection of its own (a pooled connection goes back to the pool between
/// transactions, and a notification needs one that stays). Reconnects with growing pauses when the connection drops,
/// listens again, and signals after every (re)connection: pushes queued while it was away are in the table.
///
/// PgBouncer in transaction mode cannot carry `LISTEN`; point runners at PostgreSQL or a session-mode pool.
final class PushListener: Sendable {
    let connector: PostgresConnector
    let wakeups = PushWakeups()
    private let state = Mutex<State>(State())

    private struct State {
        var connection: PostgresConnection?
        var stopped = false
    }

    init(connector: PostgresConnector) {
        self.connector = connector
    }

    /// Listens until `stop()`.
    func run() async {
        var pause: Duration = .milliseconds(250)
        while !state.withLock({ $0.stopped }) {
            do {
                try await connector.withConnection { connection in
                    let keep = state.withLock { state -> Bool in
                        if !state.stopped { state.connection = connection }
                        return !state.stopped
                    }
                    guard keep else { return }
                    try await connection.listen(on: PostgresStore.pushChannel) { notifications in
                        pause = .milliseconds(250)
                        wakeups.signal()
                        for try await _ in notifications { wakeups.signal() }
                    }
                }
            } catch {
                // Dropped or refused: try again shortly, ever less often while the server stays away.
            }
            state.withLock { $0.connection = nil }
            if state.withLock({ $0.stopped }) { return }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(30))
        }
    }

    /// Ends the listening: closes its connection, which ends the wait for notifications.
    func stop() {
        let connection = state.withLock { state -> PostgresConnection? in
            state.stopped = true
            return state.connection
        }
        if let connection { Task { try? await connection.close() } }
    }
}
