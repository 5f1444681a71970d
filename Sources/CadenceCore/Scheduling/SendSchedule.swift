import Foundation
import Synchronization

/// When a step may go out: pure functions of the campaign's rules, the candidate's zone and an instant.
///
/// Applied in the candidate's own zone (else the campaign's), so "09:00–17:00 on weekdays" means their working
/// day. Across daylight-saving changes a window edge that does not exist that day (02:30 on a spring-forward
/// night) moves to the next wall time that does, and one that happens twice (01:30 on a fall-back night) is taken
/// the first time, so no send is placed at a time that never happens or counted in twice.
public struct SendSchedule: Sendable {
    public let window: SendWindow
    /// The candidate's zone (or the campaign's when they have none).
    public let zone: TimeZone
    /// Candidate-local dates with no sends.
    public let holidays: Set<CalendarDate>
    /// Dates in the campaign's zone when the sender is away.
    public let blackouts: [DateRange]
    public let campaignZone: TimeZone
    private let days = DayWindows()

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
    ///
    /// Each local day's window (its opening and closing instants, or none on a day without sending) is worked out
    /// once per schedule and kept: the runner asks once per step, but the forecast asks the same schedule hundreds
    /// of thousands of times.
    public func nextOpening(atOrAfter instant: Date) -> Date? {
        opening(fromDay: localDay(instant), atOrAfter: instant)
    }

    /// The first opening on a local day after `instant`'s: where a launch's spread of starts goes when a day is
    /// full. The same as `nextOpening` from the start of the next local day, without working that start out.
    public func nextOpening(afterDayOf instant: Date) -> Date? {
        opening(fromDay: localDay(instant) + 1, atOrAfter: .distantPast)
    }

    private func opening(fromDay first: Int, atOrAfter instant: Date) -> Date? {
        var day = first
        for _ in 0..<Self.horizonDays {
            defer { day += 1 }
            guard let window = days.window(day, self), instant < window.closes else { continue }
            let candidate = max(instant, window.opens)
            let offset = campaignZone.secondsFromGMT(for: candidate)
            let date = ReportingDay.calendarDate(serial: Int(((candidate.timeIntervalSince1970 + Double(offset)) / 86_400).rounded(.down)))
            guard !blackouts.contains(where: { $0.contains(date) }) else { continue }
            return candidate
        }
        return nil
    }

    /// The serial number of the local day (in the schedule's zone) that `instant` falls on.
    func localDay(_ instant: Date) -> Int {
        Int(((instant.timeIntervalSince1970 + Double(zone.secondsFromGMT(for: instant))) / 86_400).rounded(.down))
    }

    /// The window on local day `serial`: nil when the window's weekdays leave it out or it is a holiday.
    func computeWindow(_ serial: Int) -> DayWindow? {
        // 1970-01-01, day 0, was a Thursday: Gregorian weekday 5, counting from Sunday as 1.
        let weekday = ((serial % 7) + 7 + 4) % 7 + 1
        guard window.days.contains(where: { $0.gregorianNumber == weekday }), !holidays.contains(ReportingDay.calendarDate(serial: serial)) else {
            return nil
        }
        // Nearly every day has no clock change: its wall times are plain offsets from its midnight. Calendar
        // arithmetic (tens of microseconds a call) is kept for the days that have one, where it moves a skipped
        // time forward and takes a repeated one the first time.
        guard let midnight = plainMidnight(serial) else { return computeWindowByCalendar(serial) }
        return DayWindow(opens: midnight.addingTimeInterval(Double(window.start.minutes) * 60), closes: midnight.addingTimeInterval(Double(window.end.minutes) * 60))
    }

    /// Local midnight of day `serial` when the zone's offset does not change from just before it to the next
    /// midnight, else nil.
    private func plainMidnight(_ serial: Int) -> Date? {
        let utcMidnight = Double(serial) * 86_400
        let offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: utcMidnight))
        let midnight = Date(timeIntervalSince1970: utcMidnight - Double(offset))
        // The offset the same at both midnights, and no change between them: either check alone would trust one
        // answer of the zone database for every kind of change (summer time, and a zone moving its standard time).
        guard zone.secondsFromGMT(for: midnight) == offset, zone.secondsFromGMT(for: midnight.addingTimeInterval(86_400)) == offset else { return nil }
        if let change = zone.nextDaylightSavingTimeTransition(after: midnight.addingTimeInterval(-1)), change <= midnight.addingTimeInterval(86_400) {
            return nil
        }
        return midnight
    }

    /// The window on local day `serial` by the calendar's rules: right on every day, slow.
    func computeWindowByCalendar(_ serial: Int) -> DayWindow? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let date = ReportingDay.calendarDate(serial: serial)
        guard let start = calendar.date(from: DateComponents(year: date.year, month: date.month, day: date.day)).map({ calendar.startOfDay(for: $0) }) else { return nil }
        guard let weekday = calendar.dateComponents([.weekday], from: start).weekday, window.days.contains(where: { $0.gregorianNumber == weekday }) else {
            return nil
        }
        guard !holidays.contains(date) else { return nil }
        guard let opens = wallTime(window.start, on: start, calendar), let closes = wallTime(window.end, on: start, calendar) else { return nil }
        return DayWindow(opens: opens, closes: closes)
    }

    struct DayWindow: Sendable, Equatable {
        var opens: Date
        var closes: Date
    }

    /// Each local day's window, worked out on first use.
    final class DayWindows: Sendable {
        private let known = Mutex<[Int: DayWindow?]>([:])

        func window(_ serial: Int, _ schedule: SendSchedule) -> DayWindow? {
            if let found = known.withLock({ $0[serial] }) { return found }
            let computed = schedule.computeWindow(serial)
            known.withLock { $0[serial] = .some(computed) }
            return computed
        }
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
