import CadenceCore
import CadencePostgres
import CadenceStore
import Foundation
import Logging
import PostgresNIO
import Testing

@Suite("A runner hears of pushes through LISTEN/NOTIFY", .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
struct PushListenerTests {
    /// Checks `condition` every 20 ms until it holds or a minute has passed (a deadline against a hang, not a
    /// guess at how fast anything is).
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        let end = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < end {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    static func listeners(_ connector: PostgresConnector) async throws -> [Int32] {
        try await connector.withConnection { connection in
            var pids: [Int32] = []
            for try await pid in try await connection.query(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()",
                logger: Logger(label: "test")
            ).decode(Int32.self) {
                pids.append(pid)
            }
            return pids
        }
    }

    @Test("a push queued through any store wakes the store that listens, and still does after its connection was cut")
    func wakesAndReconnects() async throws {
        try await PostgresTestServer.withScratchDatabase { url in
            let connector = try PostgresTestServer.database(url)
            _ = try await PostgresMigrator.migrate(connector, by: "test")
            let now = Date(timeIntervalSince1970: 1_796_115_600)
            try await PostgresStore.withStore(connector, listen: true) { listening in
                let wakeups = try #require(listening.pushWakeups)
                // Once it listens it says so: pushes may have been queued before.
                #expect(try await Self.eventually { wakeups.take() })
                let first = try await Self.listeners(connector)
                #expect(first.count == 1)
                try await PostgresStore.withStore(connector) { server in
                    #expect(server.pushWakeups == nil, "only a store opened to listen holds a listening connection")
                    #expect(try await server.enqueuePush(messageID: "m1", mailbox: "sam", historyID: "5", now: now) == .queued)
                    #expect(try await Self.eventually { wakeups.take() }, "the push's NOTIFY was not heard")

                    // The listening connection is cut (a restart, a network blip): it listens again, says so, and the
                    // next push is heard as before.
                    _ = try await connector.withConnection { connection in
                        try await connection.query("SELECT pg_terminate_backend(\(try #require(first.first)))", logger: Logger(label: "test")).collect()
                    }
                    #expect(try await Self.eventually { wakeups.take() }, "no word after reconnecting")
                    let again = try await Self.listeners(connector)
                    #expect(again.count == 1 && again != first)
                    #expect(try await server.enqueuePush(messageID: "m2", mailbox: "sam", historyID: "6", now: now) == .queued)
                    #expect(try await Self.eventually { wakeups.take() }, "a push after reconnecting was not heard")
                    // The table stays the truth: both pushes wait in it.
                    #expect(try await listening.queuedPushes().map(\.mailbox) == ["sam"])
                }
            }
            // Closed with its store: nothing listens any more.
            #expect(try await Self.eventually { try await Self.listeners(connector).isEmpty })
        }
    }
}
