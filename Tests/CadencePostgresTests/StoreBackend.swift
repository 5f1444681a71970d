import CadenceCore
import CadencePostgres
import CadenceStore
import Foundation
import Logging
import PostgresNIO
import Testing

/// A store the contract suite runs on. Each test gets a fresh one holding the same people, so one suite holds
/// both implementations to the same promises (not two copies of the tests).
enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { self == .sqlite ? "SQLite" : "PostgreSQL" }

    /// The backends this run can test. Without a server only SQLite runs, and the PostgreSQL suites print why
    /// they skip (under `.ci/run` a missing server fails the run instead).
    static let available: [StoreBackend] = PostgresTestServer.enabled ? [.sqlite, .postgres] : [.sqlite]

    static let now = Date(timeIntervalSince1970: 1_796_115_600)
    static let campaignJSON = """
        { "id": "q1", "name": "Q1", "mailboxes": ["sam"], "timeZone": "UTC",
          "steps": [
            { "id": "intro", "type": "email", "template": "intro.md" },
            { "id": "call", "type": "task", "delay": "1d", "title": "Call", "instructions": "Ring them." },
            { "id": "bump", "type": "reply", "delay": "2d", "inThreadOf": "intro", "template": "bump.md" } ] }
        """

    /// Ana and Bo active at `intro` (due now) in campaign q1, from mailbox sam, in a new SQLite database.
    static func seed() throws -> CadenceDatabase {
        try seed(["ana@example.org": "sam", "bo@example.org": "sam"])
    }

    /// The people `mailboxes` names (address: mailbox), active at `intro` (due now) in campaign q1.
    static func seed(_ mailboxes: [String: String]) throws -> CadenceDatabase {
        let database = try CadenceDatabase.inMemory()
        let campaign = CadenceDatabase.LaunchCampaign(
            id: "q1", name: "q1", sourcePath: "sequences/q1.json", digest: "d-q1",
            files: [SnapshotFile(kind: .campaign, path: "sequences/q1.json", content: Array(campaignJSON.utf8), digest: "x")])
        _ = try database.launch(campaign, actor: "test", now: now, allowConcurrent: false) { session in
            for (index, address) in mailboxes.keys.sorted().enumerated() {
                let email = try EmailAddress.parse(address).get()
                _ = try session.enroll(
                    Candidate(line: index + 2, email: email, fields: ["email": address]), mailbox: mailboxes[address] ?? "sam", variants: [:],
                    initial: .active(nextStep: "intro", dueAt: now))
            }
            return ((), true)
        }
        return database
    }

    /// Every table's rows in `seed()`, taken once so that two backends can start from exactly the same rows (the
    /// launch's id is new each time).
    static func seedRows() throws -> [Rows] {
        try rows(of: seed())
    }

    /// Every table's rows in `database`.
    static func rows(of database: CadenceDatabase) throws -> [Rows] {
        try TableLayout.all.map { Rows(table: $0, rows: $0.page(try database.rows(of: $0, after: nil, limit: 1_000_000)).rows) }
    }

    struct Rows: Sendable {
        var table: TableLayout
        var rows: [[CellValue]]
    }

    /// Runs `body` on a store of this kind holding `seed` (a new one when nil): a new SQLite database, or a new
    /// PostgreSQL database (migrated, its sequences moved past the rows), given the rows table by table as
    /// `cadence db copy` gives them, and dropped afterwards. `Seeded.rows` reads back every table, for comparing
    /// what the two stores wrote.
    func withSeededStore<T: Sendable>(_ seed: [Rows]? = nil, _ body: @Sendable (Seeded) async throws -> T) async throws -> T {
        let seed = try seed ?? Self.seedRows()
        switch self {
        case .sqlite:
            let database = try CadenceDatabase.inMemory()
            for given in seed { try database.insert(given.rows, into: given.table) }
            return try await body(Seeded(store: database) { table in table.page(try database.rows(of: table, after: nil, limit: 1_000_000)).rows })
        case .postgres:
            return try await PostgresTestServer.withScratchDatabase { url in
                let connector = try PostgresTestServer.database(url)
                _ = try await PostgresMigrator.migrate(connector, by: "test")
                try await connector.withConnection { connection in
                    let io = PostgresTableIO(connection: connection)
                    for given in seed {
                        try await io.insert(given.rows, into: given.table)
                        try await io.resetSequence(of: given.table)
                    }
                }
                return try await PostgresStore.withStore(connector) { store in
                    try await body(
                        Seeded(store: store) { table in
                            try await connector.withConnection { connection in
                                table.page(try await PostgresTableIO(connection: connection).rows(of: table, after: nil, limit: 1_000_000)).rows
                            }
                        })
                }
            }
        }
    }

    struct Seeded: Sendable {
        let store: any CadenceStore
        let rows: @Sendable (TableLayout) async throws -> [[CellValue]]
    }
}
