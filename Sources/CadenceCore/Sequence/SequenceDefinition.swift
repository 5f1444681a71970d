/// A campaign as its file defines it: who sends, when, and the ordered steps.
///
/// Named `SequenceDefinition` so as not to shadow `Swift.Sequence`; people call it a campaign.
public struct SequenceDefinition: Sendable, Hashable {
    /// A slug, unique across campaigns: how every command names the campaign.
    public var id: String
    public var name: String
    public var description: String
    /// Names of mailboxes from `cadence.json`.
    public var mailboxes: [String]
    /// Used for candidates without a time zone of their own.
    public var timeZone: String
    public var sendWindow: SendWindow
    /// Candidate-local dates on which nothing is sent and which business days skip.
    public var holidays: [CalendarDate]
    /// Days, in the campaign's zone, on which the sender is away and nothing is sent.
    public var blackoutDates: [DateRange]
    public var replySubject: ReplySubjectStyle
    public var limits: CampaignLimits
    public var colleagueReply: ColleagueReplyPolicy
    /// What this campaign's mail tracks, over the project's `tracking` defaults.
    public var tracking: CampaignTracking
    public var steps: [Step]

    public init(
        id: String, name: String, description: String = "", mailboxes: [String], timeZone: String,
        sendWindow: SendWindow = .officeHours, holidays: [CalendarDate] = [], blackoutDates: [DateRange] = [],
        replySubject: ReplySubjectStyle = .re, limits: CampaignLimits = CampaignLimits(),
        colleagueReply: ColleagueReplyPolicy = .stop, tracking: CampaignTracking = CampaignTracking(), steps: [Step]
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.mailboxes = mailboxes
        self.timeZone = timeZone
        self.sendWindow = sendWindow
        self.holidays = holidays
        self.blackoutDates = blackoutDates
        self.replySubject = replySubject
        self.limits = limits
        self.colleagueReply = colleagueReply
        self.tracking = tracking
        self.steps = steps
    }

    public func step(withID id: String) -> Step? {
        steps.first { $0.id == id }
    }
}
