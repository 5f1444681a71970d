/// What a message that came back to a sending mailbox is, which decides what happens to the candidate.
public enum IncomingClass: Sendable, Equatable {
    /// A delivery status notification. Permanent (5.x.x) stops the candidate and suppresses the address;
    /// transient (4.x.x) is only recorded, since the mail system retries by itself.
    case bounce(permanent: Bool, recipient: String?, status: String?)
    /// An out-of-office auto-reply, with the return date it names when there is one.
    case outOfOffice(returns: CalendarDate?)
    /// Other automated mail, recorded with its kind.
    case automated(AutomatedKind)
    /// A request to be left alone: stop and suppress.
    case unsubscribe
    /// A person answered (also anything unclassifiable: when unsure, stop sending).
    case reply
    /// The person's calendar answered an invitation: engagement, so it stops the sequence like a reply, and is
    /// recorded as the meeting answer it is.
    case meeting(MeetingAnswer)
    /// Bytes that are not a readable message. Matched to a person (by thread, a Message-ID it answers or its
    /// sender), it counts as their reply: whatever its body looks like, they wrote back.
    case unparsed(reason: String)

    public enum AutomatedKind: String, Sendable, Equatable {
        /// "No longer with the company": stops the candidate.
        case noLongerHere
        case notMonitored
        case ticket
        case readReceipt
        case other
    }

    public enum MeetingAnswer: String, Sendable, Equatable {
        case accepted, declined, tentative
    }

    /// A short name for events and reports.
    public var name: String {
        switch self {
        case .bounce(let permanent, _, _): permanent ? "bounce" : "delay"
        case .outOfOffice: "out-of-office"
        case .automated(let kind): "automated (\(kind.rawValue))"
        case .unsubscribe: "unsubscribe"
        case .reply: "reply"
        case .meeting(let answer): "meeting \(answer.rawValue)"
        case .unparsed: "unparsed"
        }
    }
}
