import CadenceCore
import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// A PostgreSQL database reached with libpq's settings: one connection opened and closed around a piece of work
/// (a migration, a check). The password is looked up once, here, and never printed.
public struct PostgresConnector: Sendable {
    public let settings: PostgresSettings
    public let logger: Logger

    public init(settings: PostgresSettings, logger: Logger = Logger(label: "cadence.postgres")) throws(PostgresFailure) {
        self.settings = try PostgresPasswordLookup.complete(settings)
        self.logger = logger
    }

    /// Parses `url` and the libpq variables in `environment`, and finds the password.
    public init(url: String, environment: [String: String], login: String, home: String?) throws(PostgresFailure) {
        do {
            try self.init(settings: PostgresSettings.parse(url, environment: environment, login: login, home: home))
        } catch let problem as PostgresSettings.Problem {
            throw .settings(problem.description)
        } catch let failure as PostgresFailure {
            throw failure
        } catch {
            throw .settings("\(error)")
        }
    }

    func connectionConfiguration() throws(PostgresFailure) -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        switch settings.endpoint {
        case .socket(let folder, let port):
            configuration = .init(
                unixSocketPath: folder + "/.s.PGSQL.\(port)", username: settings.user, password: settings.password, database: settings.database)
        case .tcp(let host, let port):
            let tls: PostgresConnection.Configuration.TLS
            do {
                switch PostgresTLSChoice(settings) {
                case .disabled: tls = .disable
                case .preferred(let configuration): tls = .prefer(try NIOSSLContext(configuration: configuration))
                case .required(let configuration): tls = .require(try NIOSSLContext(configuration: configuration))
                }
            } catch {
                throw .connection(
                    "the TLS settings cannot be used (\(error)); check sslrootcert (\(settings.rootCertificatePath ?? "not set")) and sslmode", settings)
            }
            configuration = .init(host: host, port: port, username: settings.user, password: settings.password, database: settings.database, tls: tls)
        }
        configuration.options.additionalStartupParameters = [("application_name", settings.applicationName)]
        return configuration
    }

    /// The same settings for a pool of connections (`PostgresClient`), which a long-running store shares.
    func clientConfiguration() -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch settings.endpoint {
        case .socket(let folder, let port):
            configuration = .init(
                unixSocketPath: folder + "/.s.PGSQL.\(port)", username: settings.user, password: settings.password, database: settings.database)
        case .tcp(let host, let port):
            let tls: PostgresClient.Configuration.TLS
            switch PostgresTLSChoice(settings) {
            case .disabled: tls = .disable
            case .preferred(let configuration): tls = .prefer(configuration)
            case .required(let configuration): tls = .require(configuration)
            }
            configuration = .init(host: host, port: port, username: settings.user, password: settings.password, database: settings.database, tls: tls)
        }
        configuration.options.additionalStartupParameters = [("application_name", settings.applicationName)]
        return configuration
    }

    /// Runs `body` on a new connection, closed afterwards whatever happens.
    public func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws(PostgresFailure) -> T {
        let configuration = try connectionConfiguration()
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch {
            throw failure(error, connecting: true)
        }
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw failure(error, connecting: false)
        }
    }

    /// An error from postgres-nio in words: the server's own message when it sent one (never containing the
    /// password), else what failed on the way.
    func failure(_ error: any Error, connecting: Bool) -> PostgresFailure {
        if let failure = error as? PostgresFailure { return failure }
        if let transaction = error as? PostgresTransactionError {
            // What went wrong inside the transaction matters; a failed rollback after it does not change the answer.
            if let cause = transaction.closureError ?? transaction.beginError ?? transaction.commitError { return failure(cause, connecting: connecting) }
        }
        guard let error = error as? PSQLError else {
            return connecting ? .connection("\(error)", settings) : .other(error)
        }
        if let message = error.serverInfo?[.message] {
            var text = message
            if let detail = error.serverInfo?[.detail] { text += " (\(detail))" }
            if let hint = error.serverInfo?[.hint] { text += "; \(hint)" }
            if let state = error.serverInfo?[.sqlState] { text += " [SQLSTATE \(state)]" }
            return connecting ? .connection(text, settings) : .server(text, settings)
        }
        let text: String
        switch error.code {
        case .sslUnsupported:
            text = "the server does not offer TLS, and sslmode=\(settings.sslMode.rawValue) requires it; enable ssl on the server, or use sslmode=prefer"
        case .authMechanismRequiresPassword:
            text = "the server asks for a password and none was given; set PGPASSWORD, a password file (PGPASSFILE, mode 0600), or \"password\" in cadence.json"
        case .unsupportedAuthMechanism:
            text = "the server asks for an authentication method postgres-nio does not support; use scram-sha-256 or md5 in pg_hba.conf"
        case .connectionError, .serverClosedConnection, .uncleanShutdown:
            text =
                (error.underlying.map { "\($0); " } ?? "the connection closed; ")
                + "check that PostgreSQL runs at that address and port and accepts connections from this host (listen_addresses, pg_hba.conf)"
        default:
            text = "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
        }
        return connecting ? .connection(text, settings) : .server(text, settings)
    }
}
