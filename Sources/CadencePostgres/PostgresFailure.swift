import CadenceCore

/// What went wrong with a PostgreSQL database, said so that the operator knows what to do next. The password is
/// never part of it: connections are named by `PostgresSettings.description`.
public enum PostgresFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL or a libpq variable cannot be read.
    case settings(String)
    /// The password file is readable by others; libpq ignores such a file and Cadence refuses it.
    case passwordFileOpen(path: String, mode: Int)
    /// The server could not be reached or refused the connection.
    case connection(String, PostgresSettings)
    /// The server answered a statement with an error.
    case server(String, PostgresSettings)
    /// The database's schema is newer than this binary knows.
    case newerSchema(database: Int, known: Int, PostgresSettings)
    /// Not migrated, or migrated by an older binary: runners never migrate by themselves.
    case needsMigration(database: Int, known: Int, PostgresSettings)
    /// An error of the work done on the connection, not of PostgreSQL (a refusal, the other database's failure):
    /// passed on as it is, so it is not blamed on the server.
    case other(any Error)

    public static func == (a: PostgresFailure, b: PostgresFailure) -> Bool { a.description == b.description }

    public var description: String {
        switch self {
        case .settings(let message):
            "the database setting cannot be used: \(message)"
        case .passwordFileOpen(let path, let mode):
            "the password file \(path) can be read by others (mode \(String(mode, radix: 8))); libpq ignores such a file and so does Cadence: chmod 600 \(path)"
        case .connection(let message, let settings):
            "cannot connect to \(settings): \(message)"
        case .server(let message, let settings):
            "\(settings) answered: \(message)"
        case .newerSchema(let database, let known, let settings):
            "\(settings) has Cadence's schema version \(database), newer than this cadence knows (version \(known)); upgrade cadence on this host before using it there"
        case .needsMigration(let database, let known, let settings):
            database == 0
                ? "\(settings) has no Cadence schema yet; run `cadence db migrate --db <url>` once, then start runners"
                : "\(settings) has Cadence's schema version \(database), this cadence needs version \(known); run `cadence db migrate --db <url>` (runners never migrate by themselves)"
        case .other(let error):
            (error as? any CustomStringConvertible)?.description ?? "\(error)"
        }
    }
}
