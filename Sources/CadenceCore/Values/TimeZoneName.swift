import Foundation

/// IANA time zone names, checked against the zone database Foundation ships.
///
/// Abbreviations such as "EST" are refused even where Foundation accepts them: they do not follow daylight saving
/// and would move a campaign's send window by an hour for half the year.
public enum TimeZoneName {
    private static let known: Set<String> = Set(TimeZone.knownTimeZoneIdentifiers).union(["UTC"])

    /// A region name (`Asia/Kolkata`, `Etc/UTC`, `US/Pacific`) or `UTC` that the zone database resolves.
    /// Bare abbreviations (`EST`, `CET`) are refused: they are not what a person in that place observes.
    public static func isKnown(_ name: String) -> Bool {
        (name == "UTC" || name.contains("/") || known.contains(name) && name.count > 4) && TimeZone(identifier: name) != nil
    }

    /// The message for an unknown name, with the closest known one when there is a clear match.
    public static func unknownMessage(_ name: String) -> String {
        let suggestion =
            Suggestion.closest(to: name, among: known)
            ?? Suggestion.closest(to: name.replacingOccurrences(of: " ", with: "_"), among: known)
        if let suggestion {
            return "unknown time zone \"\(name)\"; did you mean \"\(suggestion)\"?"
        }
        return "unknown time zone \"\(name)\"; use an IANA name such as \"America/New_York\" or \"Europe/London\""
    }
}
