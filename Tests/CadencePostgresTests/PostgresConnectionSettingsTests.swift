import CadenceCore
import CadencePostgres
import Foundation
import NIOSSL
import Testing

/// What needs no server: sslmode turned into postgres-nio's TLS settings, the password file's permissions, and
/// passwords kept out of every message.
@Suite("PostgreSQL connection: TLS from sslmode, the password file, no password in messages")
struct PostgresConnectionSettingsTests {
    func settings(_ url: String, _ environment: [String: String] = [:]) throws -> PostgresSettings {
        try PostgresSettings.parse(url, environment: environment, login: "ana", home: nil)
    }

    @Test("each sslmode: whether TLS is off, tried or required, and what is verified")
    func tls() throws {
        func describe(_ mode: String) throws -> String {
            func verification(_ tls: TLSConfiguration) -> String {
                let checks: String
                switch tls.certificateVerification {
                case .none: checks = "none"
                case .noHostnameVerification: checks = "noHostnameVerification"
                case .fullVerification: checks = "fullVerification"
                default: checks = "other"
                }
                switch tls.trustRoots {
                case .default?, nil: return checks + " system roots"
                case let roots?: return checks + " \(roots)"
                }
            }
            switch PostgresTLSChoice(try settings("postgres://db.example.com/x?sslmode=\(mode)&sslrootcert=/etc/ssl/db.pem")) {
            case .disabled: return "off"
            case .preferred(let tls): return "tried " + verification(tls)
            case .required(let tls): return "required " + verification(tls)
            }
        }
        #expect(try describe("disable") == "off")
        #expect(try describe("allow") == "tried none system roots")
        #expect(try describe("prefer") == "tried none system roots")
        #expect(try describe("require") == "required none system roots")
        #expect(try describe("verify-ca").hasPrefix("required noHostnameVerification file(\"/etc/ssl/db.pem\")"))
        #expect(try describe("verify-full").hasPrefix("required fullVerification file(\"/etc/ssl/db.pem\")"))
        if case .disabled = PostgresTLSChoice(try settings("postgres://%2Ftmp/x?sslmode=verify-full")) {
        } else {
            Issue.record("a Unix socket used TLS")
        }
    }

    @Test("a password file others can read is refused with the fix; mode 0600 is read; PGPASSWORD comes first")
    func passwordFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-pgpass-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        FileManager.default.createFile(atPath: path, contents: Data("db.example.com:*:*:ana:from-the-file\n".utf8), attributes: [.posixPermissions: 0o644])
        #expect(throws: PostgresFailure.passwordFileOpen(path: path, mode: 0o644)) {
            try PostgresConnector(url: "postgres://db.example.com/x", environment: ["PGPASSFILE": path], login: "ana", home: nil)
        }
        #expect(PostgresFailure.passwordFileOpen(path: path, mode: 0o644).description.hasSuffix("chmod 600 \(path)"))
        let fromEnvironment = try PostgresConnector(url: "postgres://db.example.com/x", environment: ["PGPASSFILE": path, "PGPASSWORD": "env"], login: "ana", home: nil)
        #expect(fromEnvironment.settings.password == "env" && fromEnvironment.settings.passwordSource == .environment)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        let fromFile = try PostgresConnector(url: "postgres://db.example.com/x", environment: ["PGPASSFILE": path], login: "ana", home: nil)
        #expect(fromFile.settings.password == "from-the-file" && fromFile.settings.passwordSource == .passwordFile(path))
        let missing = try PostgresConnector(url: "postgres://db.example.com/x", environment: ["PGPASSFILE": path + ".missing"], login: "ana", home: nil)
        #expect(missing.settings.password == nil)
    }

    @Test("a connection that fails names the database without its password")
    func noPasswordInFailures() async throws {
        // Nothing listens on port 1 of the loopback: the connection is refused.
        let database = try PostgresConnector(url: "postgres://ana:hunter2@127.0.0.1:1/x?sslmode=disable", environment: [:], login: "ana", home: nil)
        do throws(PostgresFailure) {
            _ = try await PostgresMigrator.version(database)
            Issue.record("connected to port 1")
        } catch {
            #expect(error.description.hasPrefix("cannot connect to postgres://ana@127.0.0.1:1/x?sslmode=disable: "), "\(error)")
            #expect(!error.description.contains("hunter2"))
            #expect(!"\(error)".contains("hunter2"))
        }
    }
}
