import Foundation

/// When a step may go out: pure functions of the campaign's rules, the candidate's zone and an instant.
///
/// Applied in the candidate's own zone (else the campaign's), so "09:00–17:00 on weekdays" means their working
/// day. Across daylight-saving changes a window edge that does not exist that day (02:30 on a spring-forward
/// night) moves to the next wall time that does, and one that happens twice (01:30 on a fall-back night) is taken
/// the first time, so no send is placed at a time that never happens or counted in twice.
public struct SendSchedule: Sendable {
    public var window: SendWindow
    /// The candidate's zone (or the campaign's when they have none).
    public var zone: TimeZone
    /// Candidate-local dates with no sends.
    public var holidays: Set<CalendarDate>
    /// Dates in the campaign's zone when the sender is away.
    public var blackouts: [DateRange]
    public var campaignZone: TimeZone

    public init(window: SendWindow, zone: TimeZone, holidays: [CalendarDate] = [], blackouts: [DateRange] = [], campaignZone: TimeZone) {
        self.window = window
        self.zone = zone
        self.holidays = Set(holidays)
        self.blackouts = blackouts
        self.campaignZone = campaignZone
    }

    /// The rules of `campaign` for a candidate in `candidateZone` (nil: the campaign's zone).
    public init(campaign: SequenceDefinition, candidateZone: String?) {
        let campaignZone = TimeZone(identifier: campaign.timeZone) ?? TimeZone(identifier: "UTC")!
        self.init(
            window: campaign.sendWindow, zone: candidateZone.flatMap(TimeZone.init(identifier:)) ?? campaignZone,
            holidays: campaign.holidays, blackouts: campaign.blackoutDates, campaignZone: campaignZone)
    }

    /// How far ahead to look before concluding the window never opens (every day a holiday or blacked out).
    public static let horizonDays = 400

    /// The earliest instant at or after `instant` inside the window, on an allowed day; nil if none within
    /// `horizonDays`.
    public func nextOpening(atOrAfter instant: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var campaignCalendar = Calendar(identifier: .gregorian)
        campaignCalendar.timeZone = campaignZone
        var day = calendar.startOfDay(for: instant)
        for _ in 0..<Self.horizonDays {
            defer { day = calendar.date(byAdding: .day, value: 1, to: day).map { calendar.startOfDay(for: $0) } ?? day.addingTimeInterval(86_400) }
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
            guard let weekday = parts.weekday, window.days.contains(where: { $0.gregorianNumber == weekday }) else { continue }
            guard !holidays.contains(CalendarDate(year: parts.year!, month: parts.month!, day: parts.day!)) else { continue }
            guard let opens = wallTime(window.start, on: day, calendar), let closes = wallTime(window.end, on: day, calendar),
                instant < closes
            else { continue }
            let candidate = max(instant, opens)
            let campaignDay = campaignCalendar.dateComponents([.year, .month, .day], from: candidate)
            let date = CalendarDate(year: campaignDay.year!, month: campaignDay.month!, day: campaignDay.day!)
            guard !blackouts.contains(where: { $0.contains(date) }) else { continue }
            return candidate
        }
        return nil
    }

    /// When a step with `delay` may go, counted from when the previous step actually happened: the delay, then
    /// the window. A late previous step shifts this one; it never makes a burst.
    public func earliestEligible(after previous: Date, delay: Delay) -> Date? {
        nextOpening(atOrAfter: delay.earliest(after: previous, timeZone: zone, holidays: Array(holidays)))
    }

    /// `time` on the local `day`: a time skipped by DST moves forward; a repeated one is taken the first time.
    private func wallTime(_ time: LocalTime, on day: Date, _ calendar: Calendar) -> Date? {
        if time.minutes >= 24 * 60 {
            return calendar.date(byAdding: .day, value: 1, to: day).map { calendar.startOfDay(for: $0) }
        }
        return calendar.date(bySettingHour: time.hour, minute: time.minute, second: 0, of: day, matchingPolicy: .nextTime, repeatedTimePolicy: .first, direction: .forward)
    }
}
