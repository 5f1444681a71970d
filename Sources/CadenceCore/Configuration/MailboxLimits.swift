/// Sending limits that belong to a mailbox, shared by every campaign that sends from it.
///
/// Gmail counts every message a mailbox sends against one rolling 24-hour limit (2,000 for Workspace, about 500
/// for gmail.com; `shared/docs/gmail-api.md` §5) and locks the mailbox for up to a day when it is crossed, so the
/// defaults sit far below that: a new mailbox that suddenly sends hundreds of cold emails hurts its reputation.
public struct MailboxLimits: Sendable, Hashable {
    /// At most this many sends in any rolling 24 hours.
    public var dailyCap: Int
    /// At most this many sends in any rolling hour.
    public var hourlyCap: Int
    /// At least this long between two sends.
    public var minimumGapSeconds: Int

    public init(dailyCap: Int, hourlyCap: Int, minimumGapSeconds: Int) {
        self.dailyCap = dailyCap
        self.hourlyCap = hourlyCap
        self.minimumGapSeconds = minimumGapSeconds
    }

    /// Conservative defaults for a mailbox that is new to cold outreach.
    public static let `default` = MailboxLimits(dailyCap: 200, hourlyCap: 30, minimumGapSeconds: 90)

    /// Gmail's per-mailbox ceiling for Google Workspace accounts (messages per rolling 24 hours).
    public static let workspaceDailyCeiling = 2_000
    /// Gmail's per-mailbox ceiling for consumer gmail.com accounts.
    public static let consumerDailyCeiling = 500
}
