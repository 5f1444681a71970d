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

    /// Whether a click at `at` can no longer become part of a burst by `now`: the moment a likely-human click may
    /// open a hot-lead task, so a scanner's first click never does.
    public static func isSettled(_ at: Date, now: Date) -> Bool {
        now.timeIntervalSince(at) > window
    }
}
