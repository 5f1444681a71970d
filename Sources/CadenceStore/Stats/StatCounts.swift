/// The numbers of one row of `stats`: a step, a variant, a mailbox's or launch's share, or a day.
public struct StatCounts: Sendable, Equatable {
    public var enrolled = 0
    public var sent = 0
    public var bounced = 0
    /// People whose reply came after this step was the last one sent to them ("replied after this step").
    public var replied = 0
    /// People sent this step who replied at any point after it ("replied eventually").
    public var repliedEventually = 0
    /// Replies labelled `interested` with `cadence label`.
    public var positiveReplies = 0
    public var unsubscribed = 0
    public var outOfOffice = 0
    /// Sends opened (pixel fetched at least once), and opened by someone likely human (docs/tracking.md); the
    /// same for clicks. Distinct sends, not events.
    public var opened = 0
    public var openedHuman = 0
    public var clicked = 0
    public var clickedHuman = 0
    /// Sends whose unsubscribe link was used (one click or the page), apart from people who asked by mail.
    public var unsubscribedByLink = 0
    public var tasksDone = 0

    public init() {}

    /// Sent less bounced: what rates of people's responses are out of.
    public var delivered: Int { max(0, sent - bounced) }

    package static func + (lhs: StatCounts, rhs: StatCounts) -> StatCounts {
        var sum = lhs
        sum.enrolled += rhs.enrolled
        sum.sent += rhs.sent
        sum.bounced += rhs.bounced
        sum.replied += rhs.replied
        sum.repliedEventually += rhs.repliedEventually
        sum.positiveReplies += rhs.positiveReplies
        sum.unsubscribed += rhs.unsubscribed
        sum.outOfOffice += rhs.outOfOffice
        sum.opened += rhs.opened
        sum.openedHuman += rhs.openedHuman
        sum.clicked += rhs.clicked
        sum.clickedHuman += rhs.clickedHuman
        sum.unsubscribedByLink += rhs.unsubscribedByLink
        sum.tasksDone += rhs.tasksDone
        return sum
    }

    package static func += (lhs: inout StatCounts, rhs: StatCounts) { lhs = lhs + rhs }
}
