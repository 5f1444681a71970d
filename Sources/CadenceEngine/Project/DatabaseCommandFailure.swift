import CadenceGmail
import CadencePostgres
import CadenceStore

/// Why `cadence db migrate` or `cadence db copy` did nothing, in words that say what to do next.
public enum DatabaseCommandFailure: Error, CustomStringConvertible {
    case postgres(PostgresFailure)
    case store(StoreError)
    case secret(SecretError)
    /// The copy would lose or double something: a runner is running, sends are in doubt, the destination is not empty.
    case refused([String])
    /// The copy's check failed; the destination was left as it was.
    case mismatch(String)
    /// Something else went wrong while copying; the destination was left as it was.
    case copy(String)

    public var description: String {
        switch self {
        case .postgres(let failure): failure.description
        case .store(let error): error.description
        case .secret(let error): error.description
        case .refused(let reasons):
            "nothing was copied: " + reasons.joined(separator: "; ")
        case .mismatch(let message): message
        case .copy(let message): message
        }
    }
}
