/// How to reach a PostgreSQL server, read the way libpq reads it, since postgres-nio reads neither URLs nor libpq's
/// environment: a `postgres://` (or `postgresql://`) URL first, then `PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`,
/// `PGPASSWORD`, `PGSSLMODE`, `PGSSLROOTCERT`, `PGAPPNAME` and `PGPASSFILE`, then libpq's defaults (Debian's
/// socket folder, port 5432, the login name as user and as database, `sslmode=prefer`).
///
/// The password never appears in `description`, nor in any error: an error names the part of the URL that is wrong
/// without echoing it.
public struct PostgresSettings: Sendable, Hashable, CustomStringConvertible {
    public enum Endpoint: Sendable, Hashable {
        case tcp(host: String, port: Int)
        /// libpq's host is then a folder, and the socket is `.s.PGSQL.<port>` inside it.
        case socket(folder: String, port: Int)

        public var port: Int {
            switch self {
            case .tcp(_, let port), .socket(_, let port): port
            }
        }
    }

    /// Where the password came from, for messages: never the password itself.
    public enum PasswordSource: Sendable, Hashable, CustomStringConvertible {
        case url
        case environment
        /// Given by the caller (cadence.json's `"password"` reference, resolved).
        case configuration(String)
        case passwordFile(String)

        public var description: String {
            switch self {
            case .url: "the URL"
            case .environment: "PGPASSWORD"
            case .configuration(let reference): reference
            case .passwordFile(let path): "the password file \(path)"
            }
        }
    }

    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    public var endpoint: Endpoint
    public var user: String
    public var database: String
    public var sslMode: PostgresSSLMode
    /// `sslrootcert`: the certificates a `verify-ca` or `verify-full` connection trusts (else the system's).
    public var rootCertificatePath: String?
    public var applicationName: String
    public var password: String?
    public var passwordSource: PasswordSource?
    /// The password file to read when no password was given: `PGPASSFILE`, else `~/.pgpass`.
    public var passwordFile: String?

    public static let defaultSocketFolder = "/var/run/postgresql"
    public static let defaultPort = 5432
    static let parameters = ["host", "port", "user", "password", "dbname", "sslmode", "sslrootcert", "application_name"]

    public static func isURL(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://")
    }

    /// `postgres://[user[:password]@][host][:port][/database][?parameter=value&…]`, completed from `environment`
    /// and libpq's defaults. `login` is the operating system's user name; `home` finds `~/.pgpass`.
    public static func parse(_ url: String, environment: [String: String], login: String, home: String?) throws(Problem) -> PostgresSettings {
        guard isURL(url) else {
            throw Problem("a PostgreSQL database is given as a URL that starts with postgres://, such as postgres://cadence@db.example.com/cadence")
        }
        var rest = Substring(url)
        rest = rest[rest.index(after: rest.firstIndex(of: ":")!)...].dropFirst(2)
        // An @ past the host (in the path or the parameters) means a user name or password holds an unencoded /, ?
        // or @, and reading on would show pieces of the password as a port or a parameter: refuse, echoing nothing.
        // (An @ in a parameter's value, after its =, is fine: `?user=alice@example.com`.)
        let beforeValues = rest.prefix { $0 != "=" }
        if let at = beforeValues.lastIndex(of: "@"),
            beforeValues[..<at].contains(where: { $0 == "/" || $0 == "?" || $0 == "#" || $0 == "@" })
        {
            throw Problem(
                "the database URL's user name or password holds a / ? # or @ that is not percent-encoded; percent-encode it (%2F %3F %23 %40), or give the password through PGPASSWORD or the password file instead"
            )
        }
        var given: [String: String] = [:]
        var passwordInURL = false
        if let question = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: question)...].split(separator: "&", omittingEmptySubsequences: true) {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = try decode(parts[0], "a parameter name")
                guard parameters.contains(key) else {
                    throw Problem(
                        "the database URL has a parameter Cadence does not read (not named here: with an unencoded & in a password it could be part of it); Cadence reads \(parameters.joined(separator: ", "))"
                    )
                }
                guard parts.count == 2 else { throw Problem("the database URL's parameter \(key) has no value; write \(key)=…") }
                if key == "password" { passwordInURL = true }
                given[key] = try decode(parts[1], "the parameter \(key)")
            }
            rest = rest[..<question]
        }
        var authority = rest
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            let name = rest[rest.index(after: slash)...]
            if !name.isEmpty, given["dbname"] == nil { given["dbname"] = try decode(name, "the database name") }
        }
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            let user = userInfo.prefix { $0 != ":" }
            if !user.isEmpty, given["user"] == nil { given["user"] = try decode(user, "the user name") }
            if user.endIndex < userInfo.endIndex {
                passwordInURL = true
                if given["password"] == nil { given["password"] = try decode(userInfo[userInfo.index(after: user.endIndex)...], "the password") }
            }
        }
        if authority.contains(",") {
            throw Problem("the database URL names several hosts; Cadence connects to one: give the primary's address")
        }
        var hostPart = authority
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw Problem("the database URL's IPv6 address has no closing ]") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portPart = after.dropFirst() } else if !after.isEmpty { throw Problem("the database URL has text after its IPv6 address; write [address]:port") }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        if !hostPart.isEmpty, given["host"] == nil { given["host"] = try decode(hostPart, "the host") }
        if let portPart, !portPart.isEmpty, given["port"] == nil { given["port"] = String(portPart) }

        func value(_ key: String, _ variable: String) -> (String, String)? {
            if let value = given[key], !value.isEmpty { return (value, "the URL's \(key)") }
            if let value = environment[variable], !value.isEmpty { return (value, variable) }
            return nil
        }
        var port = defaultPort
        if let (text, origin) = value("port", "PGPORT") {
            guard let number = Int(text), (1...65_535).contains(number) else {
                // The URL's text is not echoed: a misplaced password would show here.
                throw Problem(
                    origin == "PGPORT"
                        ? "PGPORT is \"\(text)\", not a port number; PostgreSQL listens on 5432 unless told otherwise"
                        : "\(origin) is not a number; PostgreSQL listens on 5432 unless told otherwise")
            }
            port = number
        }
        let host = value("host", "PGHOST")?.0 ?? defaultSocketFolder
        let endpoint: Endpoint = host.hasPrefix("/") ? .socket(folder: host, port: port) : .tcp(host: host, port: port)
        var sslMode = PostgresSSLMode.prefer
        if let (text, origin) = value("sslmode", "PGSSLMODE") {
            guard let mode = PostgresSSLMode(rawValue: text) else {
                let shown = origin == "PGSSLMODE" ? "PGSSLMODE is \"\(text)\"" : "\(origin) is not one Cadence knows"
                throw Problem("\(shown); use one of \(PostgresSSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            sslMode = mode
        }
        let user = value("user", "PGUSER")?.0 ?? login
        var settings = PostgresSettings(
            endpoint: endpoint, user: user, database: value("dbname", "PGDATABASE")?.0 ?? user, sslMode: sslMode,
            rootCertificatePath: value("sslrootcert", "PGSSLROOTCERT")?.0, applicationName: value("application_name", "PGAPPNAME")?.0 ?? "cadence")
        if let password = given["password"], passwordInURL {
            settings.password = password
            settings.passwordSource = .url
        } else if let password = environment["PGPASSWORD"], !password.isEmpty {
            settings.password = password
            settings.passwordSource = .environment
        }
        if let file = environment["PGPASSFILE"], !file.isEmpty {
            settings.passwordFile = file
        } else if let home, !home.isEmpty {
            settings.passwordFile = (home.hasSuffix("/") ? home : home + "/") + ".pgpass"
        }
        return settings
    }

    init(endpoint: Endpoint, user: String, database: String, sslMode: PostgresSSLMode, rootCertificatePath: String?, applicationName: String) {
        self.endpoint = endpoint
        self.user = user
        self.database = database
        self.sslMode = sslMode
        self.rootCertificatePath = rootCertificatePath
        self.applicationName = applicationName
    }

    /// Whether the URL itself holds a password: refused in cadence.json, which is meant to be shared.
    public static func urlHoldsPassword(_ url: String) -> Bool {
        guard isURL(url) else { return false }
        let rest = url[url.index(after: url.firstIndex(of: ":")!)...].dropFirst(2)
        // The user information ends at the last @ (a password with an unencoded / or ? still counts).
        if let at = rest.lastIndex(of: "@"), rest[..<at].contains(":") { return true }
        guard let question = rest.firstIndex(of: "?") else { return false }
        return rest[rest.index(after: question)...].split(separator: "&").contains { $0.hasPrefix("password=") }
    }

    /// The connection as a URL without its password, for messages and `cadence db` output.
    public var description: String {
        var text = "postgres://" + Self.encode(user) + "@"
        switch endpoint {
        case .tcp(let host, let port): text += (host.contains(":") ? "[\(host)]" : Self.encode(host)) + ":\(port)"
        case .socket(let folder, let port): text += Self.encode(folder) + ":\(port)"
        }
        text += "/" + Self.encode(database) + "?sslmode=" + sslMode.rawValue
        return text
    }

    private static func decode(_ text: Substring, _ what: String) throws(Problem) -> String {
        guard let decoded = PercentEncoding.decode(text, strict: true).flatMap({ String(validating: $0, as: UTF8.self) }) else {
            throw Problem("\(what) in the database URL has a % not followed by two hex digits; write %25 for a % sign")
        }
        return decoded
    }

    private static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let character = Character(Unicode.Scalar(byte))
            if byte < 0x80, character.isLetter || character.isNumber || "-._~".contains(character) {
                out.append(character)
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
