import CadenceCore
import Testing

/// postgres-nio reads neither URLs nor libpq's variables, so Cadence does, the way libpq does.
@Suite("PostgreSQL connection settings: URL, libpq's variables, the password file, sslmode")
struct PostgresSettingsTests {
    func parse(_ url: String, _ environment: [String: String] = [:]) throws(PostgresSettings.Problem) -> PostgresSettings {
        try PostgresSettings.parse(url, environment: environment, login: "ana", home: "/home/ana")
    }

    func problem(_ url: String, _ environment: [String: String] = [:]) -> String? {
        do {
            _ = try parse(url, environment)
            return nil
        } catch {
            return error.description
        }
    }

    @Test("a full URL: user, password, host, port, database, sslmode, percent-encoding")
    func full() throws {
        let settings = try parse("postgres://cadence:p%40ss:w0rd@db.example.com:6432/out%20reach?sslmode=verify-full&sslrootcert=/etc/ssl/db.pem")
        #expect(settings.endpoint == .tcp(host: "db.example.com", port: 6432))
        #expect(settings.user == "cadence")
        #expect(settings.password == "p@ss:w0rd")
        #expect(settings.passwordSource == .url)
        #expect(settings.database == "out reach")
        #expect(settings.sslMode == .verifyFull)
        #expect(settings.rootCertificatePath == "/etc/ssl/db.pem")
        #expect(settings.description == "postgres://cadence@db.example.com:6432/out%20reach?sslmode=verify-full")
        #expect(!settings.description.contains("w0rd"))
    }

    @Test("libpq's defaults: Debian's socket folder, 5432, the login as user and database, sslmode=prefer, ~/.pgpass")
    func defaults() throws {
        let settings = try parse("postgres://")
        #expect(settings.endpoint == .socket(folder: "/var/run/postgresql", port: 5432))
        #expect(settings.user == "ana")
        #expect(settings.database == "ana")
        #expect(settings.sslMode == .prefer)
        #expect(settings.password == nil)
        #expect(settings.passwordFile == "/home/ana/.pgpass")
        #expect(try parse("postgresql://bo@/").database == "bo")
    }

    @Test("PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSSLMODE and PGPASSFILE fill what the URL leaves out")
    func environment() throws {
        let environment = [
            "PGHOST": "10.0.0.5", "PGPORT": "5433", "PGUSER": "runner", "PGDATABASE": "agency", "PGPASSWORD": "secret", "PGSSLMODE": "require",
            "PGPASSFILE": "/etc/cadence/pgpass",
        ]
        let fromEnvironment = try parse("postgres://", environment)
        #expect(fromEnvironment.endpoint == .tcp(host: "10.0.0.5", port: 5433))
        #expect(fromEnvironment.user == "runner" && fromEnvironment.database == "agency")
        #expect(fromEnvironment.password == "secret" && fromEnvironment.passwordSource == .environment)
        #expect(fromEnvironment.sslMode == .require)
        #expect(fromEnvironment.passwordFile == "/etc/cadence/pgpass")
        // The URL wins over the environment.
        let both = try parse("postgres://ana:own@db/x?sslmode=disable", environment)
        #expect(both.endpoint == .tcp(host: "db", port: 5433))
        #expect(both.user == "ana" && both.database == "x" && both.password == "own" && both.sslMode == .disable)
    }

    @Test("a socket folder as the host, percent-encoded or as a parameter; an IPv6 address in brackets")
    func hosts() throws {
        #expect(try parse("postgres://%2Ftmp%2Fpg:5544/db").endpoint == .socket(folder: "/tmp/pg", port: 5544))
        #expect(try parse("postgres:///db?host=/tmp/pg&port=5544").endpoint == .socket(folder: "/tmp/pg", port: 5544))
        #expect(try parse("postgres://[::1]:5433/db").endpoint == .tcp(host: "::1", port: 5433))
        #expect(try parse("postgres://[::1]/db").description == "postgres://ana@[::1]:5432/db?sslmode=prefer")
    }

    @Test("bad URLs and variables are refused with what to write instead, and never echo a password")
    func problems() {
        #expect(problem("mysql://db/x")?.contains("starts with postgres://") == true)
        #expect(problem("postgres://db:port/x") == "the URL's port is not a number; PostgreSQL listens on 5432 unless told otherwise")
        #expect(problem("postgres://db/x", ["PGPORT": "70000"])?.hasPrefix("PGPORT is \"70000\"") == true)
        #expect(problem("postgres://db/x?sslmode=strict") == "the URL's sslmode is not one Cadence knows; use one of disable, allow, prefer, require, verify-ca, verify-full")
        #expect(problem("postgres://db/x", ["PGSSLMODE": "strict"]) == "PGSSLMODE is \"strict\"; use one of disable, allow, prefer, require, verify-ca, verify-full")
        #expect(problem("postgres://db/x?connect_timeout=5")?.hasPrefix("the database URL has a parameter Cadence does not read") == true)
        #expect(problem("postgres://a,b/x") == "the database URL names several hosts; Cadence connects to one: give the primary's address")
        #expect(problem("postgres://[::1/x") == "the database URL's IPv6 address has no closing ]")
        let badEscape = problem("postgres://ana:hunter%2@db/x")
        #expect(badEscape == "the password in the database URL has a % not followed by two hex digits; write %25 for a % sign")
        #expect(badEscape?.contains("hunter") == false)
    }

    @Test("a password in the URL is seen, so cadence.json can refuse it")
    func holdsPassword() {
        #expect(PostgresSettings.urlHoldsPassword("postgres://ana:x@db/q"))
        #expect(PostgresSettings.urlHoldsPassword("postgres://ana@db/q?sslmode=require&password=x"))
        #expect(!PostgresSettings.urlHoldsPassword("postgres://ana@db/q"))
        #expect(!PostgresSettings.urlHoldsPassword("postgres://db:5432/q"))
    }

    @Test("the password file: first matching line, * wildcards, escaped colons, comments; a socket matches localhost")
    func passwordFile() throws {
        let file = """
            # host:port:database:user:password
            db.example.com:5432:other:cadence:wrong
            db.example.com:*:agency:cadence:pa\\:ss\\\\word
            *:*:*:cadence:fallback
            localhost:5432:ana:ana:socket-secret

            """
        #expect(PostgresPasswordFile.password(in: file, for: try parse("postgres://cadence@db.example.com:6432/agency")) == "pa:ss\\word")
        #expect(PostgresPasswordFile.password(in: file, for: try parse("postgres://cadence@elsewhere/x")) == "fallback")
        #expect(PostgresPasswordFile.password(in: file, for: try parse("postgres://")) == "socket-secret")
        #expect(PostgresPasswordFile.password(in: file, for: try parse("postgres://bo@db.example.com/agency")) == nil)
        // A socket in another folder matches that folder, not localhost; an escaped star is a star.
        let other = "localhost:5432:*:ana:for-localhost\n/tmp/pg:5432:*:ana:for-tmp\ndb:5432:\\*:ana:star-database\n"
        #expect(PostgresPasswordFile.password(in: other, for: try parse("postgres://ana@%2Ftmp%2Fpg/x")) == "for-tmp")
        #expect(PostgresPasswordFile.password(in: other, for: try parse("postgres://ana@db/x")) == nil)
        #expect(PostgresPasswordFile.password(in: other, for: try parse("postgres://ana@db/*")) == "star-database")
    }

    @Test("sslmode as postgres-nio will apply it: only verify-full checks the host; a socket never uses TLS")
    func sslModes() {
        #expect(PostgresSSLMode.allCases.map(\.use) == [.never, .preferred, .preferred, .required, .required, .required])
        #expect(PostgresSSLMode.allCases.filter(\.verifiesCertificate) == [.verifyCA, .verifyFull])
        #expect(PostgresSSLMode.allCases.filter(\.verifiesHostName) == [.verifyFull])
    }

    @Test("a password with an unencoded /, ? or @ is refused without echoing any of it, and is seen as a password")
    func unencodedPassword() {
        for url in ["postgres://ana:hun/ter2@db/agency", "postgres://ana:hun?ter2@db/agency", "postgres://ana:2024/x@db/agency", "postgres://ana:p@ss@db/agency"] {
            let refusal = problem(url)
            #expect(refusal?.contains("percent-encode") == true, "\(url): \(refusal ?? "accepted")")
            #expect(refusal.map { !$0.contains("ter2") && !$0.contains("2024") && !$0.contains("ss@") } == true, "\(url): \(refusal ?? "")")
            #expect(PostgresSettings.urlHoldsPassword(url), "\(url)")
        }
        #expect(problem("postgres://db:notaport/x") == "the URL's port is not a number; PostgreSQL listens on 5432 unless told otherwise")
    }

    @Test("an @ in a parameter's value is not taken for user information; no piece of a password split at & is echoed")
    func atInValuesAndAmpersands() throws {
        let cloud = try parse("postgres://db.example.com/cadence?user=alice@example.com")
        #expect(cloud.user == "alice@example.com" && cloud.endpoint == .tcp(host: "db.example.com", port: 5432))
        for url in ["postgres://db/x?password=se&cret", "postgres://db/x?password=se&sslmode=cret"] {
            let refusal = problem(url)
            #expect(refusal != nil && refusal?.contains("cret") == false, "\(url): \(refusal ?? "accepted")")
        }
    }
}
