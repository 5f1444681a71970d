import CadenceCore
import NIOSSL
import PostgresNIO

/// `sslmode` turned into postgres-nio's TLS settings, as the table on `PostgresSSLMode` says. Kept as a value of its
/// own because postgres-nio's `TLS` does not show what it holds, and this is what the tests check.
public enum PostgresTLSChoice: Sendable {
    case disabled
    case preferred(TLSConfiguration)
    case required(TLSConfiguration)

    public init(_ settings: PostgresSettings) {
        if case .socket = settings.endpoint {
            self = .disabled  // as in libpq: a Unix socket never uses TLS
            return
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification =
            settings.sslMode.verifiesHostName ? .fullVerification : settings.sslMode.verifiesCertificate ? .noHostnameVerification : .none
        if let root = settings.rootCertificatePath, settings.sslMode.verifiesCertificate {
            tls.trustRoots = .file(root)
        }
        switch settings.sslMode.use {
        case .never: self = .disabled
        case .preferred: self = .preferred(tls)
        case .required: self = .required(tls)
        }
    }

    public var configuration: TLSConfiguration? {
        switch self {
        case .disabled: nil
        case .preferred(let tls), .required(let tls): tls
        }
    }

    var client: PostgresClient.Configuration.TLS {
        switch self {
        case .disabled: .disable
        case .preferred(let tls): .prefer(tls)
        case .required(let tls): .require(tls)
        }
    }
}
