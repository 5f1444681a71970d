import Foundation

/// The rule that catches the link scanners no user agent gives away: they follow every link of a message within
/// a second or two, while a person who clicks one link is reading the page it opened, not clicking the next.
/// Clicks on two different links of one send this close together are a scanner's, the earlier ones included.
public enum ClickBurst {
    public static let window: TimeInterval = 5

    /// Whether a click on `link` at `at` makes a burst with the send's `earlier` clicks.
    public static func isBurst(link: Int, at: Date, earlier: [(link: Int, at: Date)]) -> Bool {
        earlier.contains { $0.link != link && abs(at.timeIntervalSince($0.at)) <= window }
    }

    /// Clicks before this time can no longer become part of a burst by `now` (as far as requests go: one written
    /// late can still reveal a burst, which then withdraws the hot-lead task it opened). A likely-human click
    /// opens a hot-lead task only once settled, so a scanner's first click does not.
    public static func settled(now: Date) -> Date {
        now.addingTimeInterval(-window)
    }
}
