import Foundation

/// What asking for the lease found.
public enum LeaseAnswer: Sendable, Equatable {
    /// Taken or renewed: the caller holds it until `expiresAt`.
    case held(RunnerLease)
    /// Another runner holds it until `until`.
    case busy(owner: String, until: Date)
}
