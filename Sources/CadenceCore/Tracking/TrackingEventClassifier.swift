import Foundation

/// The rules that class a pixel fetch or a click, in order (docs/tracking.md lists them with their sources).
public enum TrackingEventClassifier {
    /// A fetch or click this soon after the provider accepted the message is a scanner's, not a reader's: people
    /// do not open mail within seconds of it being sent, and security gateways do.
    public static let scannerWindow: TimeInterval = 10

    /// User agents of mail-security gateways and link checkers that fetch every link of a message.
    static let scannerAgents = [
        "barracuda", "mimecast", "proofpoint", "ironport", "symantec", "messagelabs", "fireeye", "trendmicro", "forcepoint", "sophos",
        "safelinks", "linkscanner", "urlscan", "python-requests", "go-http-client", "curl/", "wget/", "libwww-perl", "java/", "okhttp",
        "headlesschrome", "bingpreview", "slackbot", "facebookexternalhit", "twitterbot", "linkedinbot",
    ]

    /// Every agent name in one pass over the user agent (this runs for every pixel).
    static let agents = PhraseMatcher(["googleimageproxy"] + scannerAgents)

    /// Apple's relay ranges as of `appleRangesDate` (`AppleRelayRanges`, shipped in the repo, never fetched).
    public static let appleRanges = AppleRelayRanges.set
    public static let appleRangesDate = AppleRelayRanges.snapshotDate

    public static func classify(_ request: TrackingRequest, appleRanges: IPRangeSet = appleRanges) -> TrackingEventClass {
        if request.method.uppercased() == "HEAD" { return .scanner }
        let agent = request.userAgent.utf8.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
        let hits = agents.hits(in: agent)
        if hits.contains(where: { $0.pattern == 0 }) { return .gmailProxy }
        // Mail Privacy Protection fetches every image through Apple's relay when the message arrives, read or
        // not. A click through the relay is a person using Private Relay in Safari, and stays theirs.
        if request.target == .pixel, let address = request.clientAddress, appleRanges.contains(address) { return .machine }
        if !hits.isEmpty { return .scanner }
        if let sentAt = request.sentAt, request.at.timeIntervalSince(sentAt) < scannerWindow { return .scanner }
        if agent.isEmpty { return .scanner }
        return .likelyHuman
    }
}
