/// What `forget` did.
public struct Erasure: Sendable, Equatable {
    /// What the storage may still hold of the erased rows once the rows are gone.
    public enum Storage: Sendable, Equatable {
        /// A SQLite file with `secure_delete` on, its write-ahead log checkpointed and truncated: nothing.
        case cleared
        /// A SQLite file whose log another process was reading: the erased rows stay in the log until its next
        /// checkpoint (running `forget` again once that process is stopped clears it).
        case logInUse
        /// PostgreSQL: the deleted rows stay as dead tuples until VACUUM reuses their space, and in the WAL and
        /// backups until those are rotated out.
        case untilVacuumAndBackups
    }

    /// Whether anything was stored about the person.
    public var found: Bool
    public var enrollments: Int
    public var storage: Storage

    public init(found: Bool, enrollments: Int, storage: Storage) {
        self.found = found
        self.enrollments = enrollments
        self.storage = storage
    }
}
