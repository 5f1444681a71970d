import Foundation

/// What the database says of the fleet at one instant, for a metrics endpoint: the part no single runner can
/// count (who holds what, what waits) and what each runner reported of itself.
public struct FleetSnapshot: Sendable, Equatable {
    public struct Lease: Sendable, Equatable {
        /// The mailbox held, or nil for the whole database (a SQLite file's one runner).
        public var mailbox: String?
        public var owner: String
        public var expiresAt: Date

        public init(mailbox: String?, owner: String, expiresAt: Date) {
            self.mailbox = mailbox
            self.owner = owner
            self.expiresAt = expiresAt
        }
    }

    public struct RunnerReport: Sendable, Equatable {
        public var owner: String
        public var exposition: String
        public var updatedAt: Date

        public init(owner: String, exposition: String, updatedAt: Date) {
            self.owner = owner
            self.exposition = exposition
            self.updatedAt = updatedAt
        }
    }

    /// Leases not yet expired.
    public var leases: [Lease] = []
    /// Sends begun whose outcome is not yet known (intents, and outcomes in doubt).
    public var sendsInDoubt = 0
    /// Steps due now or earlier (a step being sent stays due until its send is confirmed).
    public var stepsDue = 0
    /// Mailboxes resting until a time still ahead (Gmail asked them to).
    public var pausedMailboxes: [String: Date] = [:]
    /// Every runner's last report from the last `reportsFor` seconds, newest first.
    public var runners: [RunnerReport] = []

    /// A runner that has not reported for this long is left out: it stopped, or cannot reach the database (and then
    /// its leases run out, which the lease gauges show). Runners report after each pass and every minute between.
    public static let reportsFor: TimeInterval = 600
    /// How long a stopped runner's last report is kept in the database.
    public static let kept: TimeInterval = 86_400

    public init() {}
}
