import CadenceCore
import CadencePostgres
import Foundation
import Logging
import PostgresNIO
import Testing

/// The PostgreSQL server the tests use: CADENCE_TEST_POSTGRES names it (`.ci/run` starts a throwaway cluster and
/// sets it, with CADENCE_REQUIRE_POSTGRES=1, so that under CI a missing server fails instead of skipping).
enum PostgresTestServer {
    static let url = ProcessInfo.processInfo.environment["CADENCE_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    static let required = ProcessInfo.processInfo.environment["CADENCE_REQUIRE_POSTGRES"] == "1"
    static let enabled = url != nil || required
    static let skipReason: Testing.Comment =
        "CADENCE_TEST_POSTGRES is not set, so the tests that need a PostgreSQL server are skipped (.ci/run starts one; or set it to a URL such as postgres://postgres@127.0.0.1:5432/postgres)"

    static func database(_ url: String) throws -> PostgresConnector {
        try PostgresConnector(url: url, environment: [:], login: "postgres", home: nil)
    }

    /// Runs `body` with the URL of a new, empty database of its own, dropped afterwards, so tests run side by side.
    static func withScratchDatabase<T: Sendable>(_ body: (String) async throws -> T) async throws -> T {
        guard let url else {
            throw PostgresFailure.settings("CADENCE_REQUIRE_POSTGRES=1 but CADENCE_TEST_POSTGRES is not set: .ci/run should have started a server")
        }
        let admin = try database(url)
        let name = "cadence_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        _ = try await admin.withConnection { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Logger(label: "test"))
        }
        var settings = admin.settings
        settings.database = name
        do {
            let result = try await body(settings.description)
            try await drop(name, admin)
            return result
        } catch {
            try? await drop(name, admin)
            throw error
        }
    }

    private static func drop(_ name: String, _ admin: PostgresConnector) async throws {
        _ = try await admin.withConnection { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: Logger(label: "test"))
        }
    }
}
