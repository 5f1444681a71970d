/// A day of the week as campaign files spell it: the lowercase three-letter English abbreviation.
public enum Weekday: String, Sendable, Hashable, CaseIterable, Comparable, Codable {
    case mon, tue, wed, thu, fri, sat, sun

    /// The Gregorian calendar's weekday number (Sunday = 1), as `Calendar` reports it.
    public var gregorianNumber: Int {
        switch self {
        case .sun: 1
        case .mon: 2
        case .tue: 3
        case .wed: 4
        case .thu: 5
        case .fri: 6
        case .sat: 7
        }
    }

    public static func < (lhs: Weekday, rhs: Weekday) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    public static let businessDays: [Weekday] = [.mon, .tue, .wed, .thu, .fri]

    /// "monday", "Mon", "MON" and friends, so the error can name the right spelling.
    static func fromLooseSpelling(_ text: String) -> Weekday? {
        let lowered = text.lowercased()
        return allCases.first { lowered.hasPrefix($0.rawValue) }
    }
}
