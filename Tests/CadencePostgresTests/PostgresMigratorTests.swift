import CadenceCore
import Foundation
import Logging
import PostgresNIO
import Testing

@testable import CadencePostgres

@Suite("cadence db migrate on PostgreSQL: the schema under an advisory lock, and versions checked", .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
struct PostgresMigratorTests {
    func tables(_ database: PostgresConnector) async throws -> [String] {
        try await database.withConnection { connection in
            var names: [String] = []
            for try await name in try await connection.query(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1", logger: Logger(label: "test")
            ).decode(String.self) {
                names.append(name)
            }
            return names
        }
    }

    @Test("a new database gets every table at the latest version; migrating again changes nothing")
    func migrate() async throws {
        try await PostgresTestServer.withScratchDatabase { url in
            let database = try PostgresTestServer.database(url)
            #expect(try await PostgresMigrator.version(database) == 0)
            let first = try await PostgresMigrator.migrate(database, by: "test")
            #expect(first == .init(from: 0, to: PostgresSchema.latest))
            #expect(try await tables(database) == (PostgresSchema.tables + ["cadence_schema"]).sorted())
            let again = try await PostgresMigrator.migrate(database, by: "test")
            #expect(again == .init(from: PostgresSchema.latest, to: PostgresSchema.latest))
            try await PostgresMigrator.requireLatest(database)
        }
    }

    @Test("three hosts migrating at once: one applies the schema, the others wait on the lock and find nothing to do")
    func concurrent() async throws {
        try await PostgresTestServer.withScratchDatabase { url in
            let database = try PostgresTestServer.database(url)
            async let a = PostgresMigrator.migrate(database, by: "a")
            async let b = PostgresMigrator.migrate(database, by: "b")
            async let c = PostgresMigrator.migrate(database, by: "c")
            let outcomes = try await [a, b, c]
            #expect(outcomes.filter { $0.from == 0 }.count == 1)
            #expect(outcomes.allSatisfy { $0.to == PostgresSchema.latest })
            let versions = try await database.withConnection { connection in
                try await connection.query("SELECT count(*) FROM cadence_schema", logger: Logger(label: "test")).collect().first?.decode(Int.self)
            }
            #expect(versions == PostgresSchema.latest)
        }
    }

    @Test("a schema newer than this binary is refused, and one never migrated sends runners to `cadence db migrate`")
    func versions() async throws {
        try await PostgresTestServer.withScratchDatabase { url in
            let database = try PostgresTestServer.database(url)
            await #expect(throws: PostgresFailure.needsMigration(database: 0, known: PostgresSchema.latest, database.settings)) {
                try await PostgresMigrator.requireLatest(database)
            }
            _ = try await PostgresMigrator.migrate(database, by: "test")
            let newer = PostgresSchema.latest + 1
            _ = try await database.withConnection { connection in
                try await connection.query("INSERT INTO cadence_schema (version, migratedBy) VALUES (\(newer), 'a newer cadence')", logger: Logger(label: "test"))
            }
            let refusal = PostgresFailure.newerSchema(database: newer, known: PostgresSchema.latest, database.settings)
            await #expect(throws: refusal) { try await PostgresMigrator.migrate(database, by: "test") }
            await #expect(throws: refusal) { try await PostgresMigrator.requireLatest(database) }
            #expect(refusal.description.contains("upgrade cadence on this host"))
        }
    }

    @Test("the server's own words come back: an unknown database, and sslmode=require against a server without TLS")
    func connectionErrors() async throws {
        guard let url = PostgresTestServer.url else {
            Issue.record("CADENCE_REQUIRE_POSTGRES=1 but CADENCE_TEST_POSTGRES is not set")
            return
        }
        var settings = try PostgresTestServer.database(url).settings
        settings.database = "no_such_database"
        do throws(PostgresFailure) {
            _ = try await PostgresMigrator.version(PostgresConnector(settings: settings))
            Issue.record("connected to a database that does not exist")
        } catch {
            #expect(error.description.contains("database \"no_such_database\" does not exist"), "\(error)")
        }
        guard case .tcp = settings.endpoint else { return }  // a socket never uses TLS
        settings.database = "postgres"
        settings.sslMode = PostgresSSLMode.require
        do throws(PostgresFailure) {
            _ = try await PostgresMigrator.version(PostgresConnector(settings: settings))
            Issue.record("sslmode=require connected to a server without TLS")
        } catch {
            #expect(error.description.contains("does not offer TLS"), "\(error)")
        }
    }
}

extension PostgresMigratorTests {
    @Test("a version-1 database is upgraded in place: queued pushes and incoming mail keep their rows and are numbered in the order they were written")
    func upgradeFromVersionOne() async throws {
        try await PostgresTestServer.withScratchDatabase { url in
            let database = try PostgresTestServer.database(url)
            let logger = Logger(label: "test")
            try await database.withConnection { connection in
                try await connection.query("CREATE TABLE cadence_schema (version INTEGER PRIMARY KEY, migratedAt TIMESTAMPTZ NOT NULL DEFAULT now(), migratedBy TEXT NOT NULL)", logger: logger)
                for statement in PostgresSchema.versions[0] { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await connection.query("INSERT INTO cadence_schema (version, migratedBy) VALUES (1, 'test')", logger: logger)
                for id in ["b", "a"] {
                    try await connection.query(
                        "INSERT INTO pushNotification (messageId, mailbox, historyId, receivedAt) VALUES (\(id), 'sam', '5', now())", logger: logger)
                }
            }
            #expect(try await PostgresMigrator.migrate(database, by: "test") == .init(from: 1, to: PostgresSchema.latest))
            let numbered = try await database.withConnection { connection in
                var found: [String] = []
                for try await (id, seq) in try await connection.query("SELECT messageId, seq FROM pushNotification ORDER BY seq", logger: logger).decode(
                    (String, Int64).self)
                {
                    found.append("\(id) \(seq)")
                }
                return found
            }
            #expect(numbered == ["b 1", "a 2"])
        }
    }
}

extension PostgresMigratorTests {
    @Test("the PostgreSQL schema has TableLayout's tables and columns, in order, with matching types")
    func matchesLayout() async throws {
        try await PostgresTestServer.withScratchDatabase { url in
            let database = try PostgresTestServer.database(url)
            _ = try await PostgresMigrator.migrate(database, by: "test")
            let types: [String: TableLayout.Kind] = [
                "integer": .integer, "bigint": .integer, "text": .text, "timestamp with time zone": .date, "bytea": .blob, "double precision": .real,
                "boolean": .boolean,
            ]
            for table in TableLayout.all {
                let columns = try await database.withConnection { connection in
                    var found: [(String, String)] = []
                    for try await (name, type) in try await connection.query(
                        "SELECT column_name::text, data_type::text FROM information_schema.columns WHERE table_schema = 'public' AND table_name = \(table.name.lowercased()) ORDER BY ordinal_position",
                        logger: Logger(label: "test")
                    ).decode((String, String).self) {
                        found.append((name, type))
                    }
                    return found
                }
                // The arrival number PostgreSQL adds comes last, after the columns both stores share.
                let arrival = PostgresSchema.arrivalColumns[table.name].map { [($0.lowercased(), "bigint")] } ?? []
                #expect(columns.map(\.0) == table.columns.map { $0.name.lowercased() } + arrival.map(\.0), "\(table.name)")
                #expect(columns.map { types[$0.1] } == table.columns.map(\.kind) + arrival.map { _ in TableLayout.Kind.integer }, "\(table.name)")
            }
        }
    }
}
