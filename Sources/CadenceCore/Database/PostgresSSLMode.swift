/// libpq's `sslmode`, and what each means for a connection made through postgres-nio, which has its own TLS
/// settings. The table, also in docs/scaling.md:
///
/// | sslmode | TLS | certificate checked | host name checked |
/// | --- | --- | --- | --- |
/// | `disable` | never | – | – |
/// | `allow` | tried first, plain if the server has none (libpq tries plain first; postgres-nio cannot) | no | no |
/// | `prefer` (the default) | tried first, plain if the server has none | no | no |
/// | `require` | required | no | no |
/// | `verify-ca` | required | yes, against `sslrootcert` or the system's roots | no |
/// | `verify-full` | required | yes | yes |
///
/// As in libpq, only `verify-full` protects against a server impersonated on the network; `require` only encrypts.
/// Unlike libpq, `require` does not turn into `verify-ca` when a root certificate file happens to exist: to verify,
/// say so. A Unix socket never uses TLS, whatever the mode (as in libpq).
public enum PostgresSSLMode: String, Sendable, Hashable, CaseIterable {
    case disable
    case allow
    case prefer
    case require
    case verifyCA = "verify-ca"
    case verifyFull = "verify-full"

    public enum Use: Sendable, Hashable {
        case never, preferred, required
    }

    public var use: Use {
        switch self {
        case .disable: .never
        case .allow, .prefer: .preferred
        case .require, .verifyCA, .verifyFull: .required
        }
    }

    public var verifiesCertificate: Bool { self == .verifyCA || self == .verifyFull }
    public var verifiesHostName: Bool { self == .verifyFull }
}
