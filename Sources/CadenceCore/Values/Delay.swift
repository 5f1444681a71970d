import Foundation

/// How long after the previous step a step is due, as a campaign author writes it: `"30m"`, `"4h"`, `"3d"`, `"2bd"`.
///
/// Business days skip weekends and the campaign's holidays; plain days are calendar days. One unit per delay keeps
/// the syntax small enough to read in a pull request without a manual.
public enum Delay: Sendable, Hashable, CustomStringConvertible {
    case minutes(Int)
    case hours(Int)
    case days(Int)
    case businessDays(Int)

    public static let zero = Delay.minutes(0)
    /// About a year; longer is almost certainly a typo (and would outlive the thread).
    public static let maximumMinutes = 366 * 24 * 60

    public var description: String {
        switch self {
        case .minutes(let n): "\(n)m"
        case .hours(let n): "\(n)h"
        case .days(let n): "\(n)d"
        case .businessDays(let n): "\(n)bd"
        }
    }

    static let syntaxHelp = "write a whole number and a unit: \"30m\", \"4h\", \"3d\" or \"2bd\" (business days)"

    /// Parses the delay syntax, or says precisely what is wrong with `text`.
    public static func parse(_ text: String) -> Result<Delay, DelayError> {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let unit = text.dropFirst(digits.count)
        guard !digits.isEmpty else {
            return .failure(DelayError("\"\(text)\" is not a delay; \(syntaxHelp)"))
        }
        guard let count = Int(digits), digits.count <= 6 else {
            return .failure(DelayError("\"\(text)\" is too long a delay; the longest is 366d"))
        }
        let delay: Delay
        switch unit {
        case "m": delay = .minutes(count)
        case "h": delay = .hours(count)
        case "d": delay = .days(count)
        case "bd": delay = .businessDays(count)
        default:
            let lowered = unit.lowercased().trimmingPrefix(" ")
            let hint: String
            if unit.first == "." || unit.first == "," {
                hint = "use a whole number of a smaller unit, e.g. \"36h\" rather than \"1.5d\""
            } else if ["m", "h", "d", "bd"].contains(String(lowered)) {
                hint = "write the number and a lowercase unit with nothing between them, e.g. \"\(digits)\(lowered)\""
            } else if let unit = Self.spelledUnits[String(lowered)] {
                hint = "write \"\(digits)\(unit)\""
            } else {
                hint = syntaxHelp
            }
            return .failure(DelayError("\"\(text)\" is not a delay; \(hint)"))
        }
        guard delay.approximateMinutes <= maximumMinutes else {
            let longest = if case .businessDays = delay { "261bd" } else { "366d" }
            return .failure(DelayError("\"\(text)\" is too long a delay; the longest is \(longest)"))
        }
        return .success(delay)
    }

    private static let spelledUnits: [String: String] = [
        "min": "m", "mins": "m", "minute": "m", "minutes": "m",
        "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
        "day": "d", "days": "d", "business day": "bd", "business days": "bd", "b": "bd", "bday": "bd",
        "bdays": "bd", "wd": "bd",
    ]

    /// Calendar length ignoring DST and weekends; used only for sanity bounds, never for scheduling.
    public var approximateMinutes: Int {
        switch self {
        case .minutes(let n): n
        case .hours(let n): n * 60
        case .days(let n): n * 24 * 60
        case .businessDays(let n): n * 24 * 60 * 7 / 5
        }
    }
}

public struct DelayError: Error, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public init(message: String) { self.message = message }
}

extension Delay {
    /// The earliest instant `self` after `start`, counting days on the calendar of `timeZone` (so a "3d" delay
    /// across a DST change keeps its wall-clock time) and skipping weekends and `holidays` for business days.
    /// Send windows and mailbox limits are applied later by the scheduler.
    public func earliest(after start: Date, timeZone: TimeZone, holidays: [CalendarDate] = []) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        switch self {
        case .minutes(let n): return start.addingTimeInterval(Double(n) * 60)
        case .hours(let n): return start.addingTimeInterval(Double(n) * 3600)
        case .days(let n): return calendar.date(byAdding: .day, value: n, to: start) ?? start
        case .businessDays(let n):
            var date = start
            var remaining = n
            while remaining > 0 {
                date = calendar.date(byAdding: .day, value: 1, to: date) ?? date
                let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: date)
                let weekend = parts.weekday == 1 || parts.weekday == 7
                let holiday = holidays.contains(CalendarDate(year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0))
                if !weekend && !holiday { remaining -= 1 }
            }
            return date
        }
    }
}
