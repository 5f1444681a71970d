import Foundation

/// One runner's hold on one mailbox: while it lasts, only this runner sends from the mailbox and reads its mail,
/// and every write about the mailbox's sends carries `fence`, so a runner that lost the mailbox records nothing.
public struct MailboxLease: Sendable, Equatable {
    public var mailbox: String
    public var fence: Int64
    /// On the store's clock (`MailboxShare.now`).
    public var expiresAt: Date
    /// Sends of this mailbox left in doubt by an earlier holder are reconciled only from this time on (the store's
    /// clock): its provider calls could still be going on until its lease ended, plus the longest call, plus a
    /// margin for clocks that disagree.
    public var reconcileFrom: Date

    public init(mailbox: String, fence: Int64, expiresAt: Date, reconcileFrom: Date) {
        self.mailbox = mailbox
        self.fence = fence
        self.expiresAt = expiresAt
        self.reconcileFrom = reconcileFrom
    }
}

/// What asking for a share of the mailboxes found.
public struct MailboxShare: Sendable, Equatable {
    public struct Holder: Sendable, Equatable {
        public var owner: String
        public var until: Date

        public init(owner: String, until: Date) {
            self.owner = owner
            self.until = until
        }
    }

    /// The store's clock when it answered. Lease times are on it (PostgreSQL's `now()` when runners share a
    /// database from several hosts), so a runner measures what is left of a lease from here, not by its own clock.
    public var now: Date
    /// The mailboxes this runner holds now.
    public var leases: [MailboxLease]
    /// Set when one runner holds the whole database (a SQLite file): this one lease covers every mailbox, named or
    /// not (its `mailbox` is empty), and losing it means another runner took the database over. Nil where runners
    /// share the mailboxes, and losing one is routine.
    public var whole: MailboxLease?
    /// Who holds the whole database (another runner on a SQLite file, or a copy), so that nothing was shared.
    public var busy: Holder?
    /// Runners share this store (PostgreSQL): a holder that is gone is waited out, never taken over by the next
    /// runner, since the database's one lease would then keep every other runner out.
    public var shared: Bool

    public init(now: Date, leases: [MailboxLease], whole: MailboxLease? = nil, busy: Holder? = nil, shared: Bool = false) {
        self.now = now
        self.leases = leases
        self.whole = whole
        self.busy = busy
        self.shared = shared
    }
}
