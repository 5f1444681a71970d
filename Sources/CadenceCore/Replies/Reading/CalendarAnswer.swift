import Foundation

/// A calendar's answer to an invitation (RFC 5546 iTIP `METHOD:REPLY`), read from its `text/calendar` part: the
/// person's `PARTSTAT`. Google Calendar and Outlook send one whenever the candidate answers the invite Cadence's
/// recruiter sent.
enum CalendarAnswer {
    static func read(_ message: MailMessage) -> IncomingClass.MeetingAnswer? {
        for part in message.allParts where part.mimeType == "text/calendar" || part.mimeType == "application/ics" {
            let text = part.text.replacingOccurrences(of: "\r\n ", with: "").replacingOccurrences(of: "\n ", with: "").uppercased()
            let method = part.parameter("method")?.uppercased()
            guard method == "REPLY" || text.contains("METHOD:REPLY") else { continue }
            for line in text.split(separator: "\n") where line.hasPrefix("ATTENDEE") {
                if line.contains("PARTSTAT=ACCEPTED") { return .accepted }
                if line.contains("PARTSTAT=DECLINED") { return .declined }
                if line.contains("PARTSTAT=TENTATIVE") { return .tentative }
            }
        }
        return nil
    }
}
