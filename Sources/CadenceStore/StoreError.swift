import GRDB

/// What can go wrong with the database file, each with what to do about it.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case missing(String)
    case newerVersion(String)
    case locked(String)
    case corrupt(String)
    case full(String)
    case readOnly(String)
    /// A rule of Cadence's was broken by the request (unknown campaign, …); the message says which.
    case refused(String)
    /// Another runner holds the lease now (this one overran it): nothing more may be sent or recorded here.
    case leaseLost
    /// The task was cancelled (a runner told to stop at once) before its transaction committed: nothing of it
    /// was written.
    case cancelled
    case other(String)

    init(_ error: any Error, path: String) {
        if error is CancellationError {
            self = .cancelled
            return
        }
        guard let error = error as? DatabaseError else {
            self = .other("\(path): \(error)")
            return
        }
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: self = .locked(path)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: self = .corrupt(path)
        case .SQLITE_FULL: self = .full(path)
        case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM: self = .readOnly(path)
        default: self = .other("\(path): \(error.message ?? "SQLite error \(error.resultCode.rawValue)")")
        }
    }

    public var description: String {
        switch self {
        case .missing(let path):
            "no database at \(path); launch a campaign first (cadence launch), or point --db or CADENCE_DB at yours"
        case .newerVersion(let path):
            "\(path) was written by a newer version of Cadence; upgrade Cadence to use it (nothing was changed)"
        case .locked(let path):
            "\(path) is locked by another process (is a cadence run going?); try again when it finishes"
        case .corrupt(let path):
            "\(path) is not a Cadence database or is damaged; restore it from a backup, or point --db elsewhere"
        case .full(let path):
            "the disk holding \(path) is full; free some space and run the command again (nothing was changed)"
        case .readOnly(let path):
            "cannot write \(path); check the file's and its folder's permissions"
        case .refused(let message): message
        case .leaseLost:
            "another runner took over this database (this one's lease ran out); nothing more was recorded here, and the new runner confirms what was in flight"
        case .cancelled:
            "stopped before the database was written; nothing of that step was recorded, and the next runner picks it up"
        case .other(let message): message
        }
    }
}
