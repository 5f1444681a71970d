import CadenceCore
import Foundation
import Testing

/// `SendSchedule.nextOpening` keeps each local day's window once worked out. It must answer exactly what working
/// each day out afresh answers (the way it did before the cache, kept here as the reference), across zones with
/// daylight-saving changes, holidays, blackouts and windows ending at midnight.
@Suite("Send schedule: the day cache changes no answer")
struct SendScheduleCacheTests {
    /// The walk the schedule did before it kept days: a calendar day at a time, everything worked out again.
    static func reference(_ schedule: SendSchedule, atOrAfter instant: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = schedule.zone
        var campaignCalendar = Calendar(identifier: .gregorian)
        campaignCalendar.timeZone = schedule.campaignZone
        func wallTime(_ time: LocalTime, on day: Date) -> Date? {
            if time.minutes >= 24 * 60 { return calendar.date(byAdding: .day, value: 1, to: day).map { calendar.startOfDay(for: $0) } }
            return calendar.date(bySettingHour: time.hour, minute: time.minute, second: 0, of: day, matchingPolicy: .nextTime, repeatedTimePolicy: .first, direction: .forward)
        }
        var day = calendar.startOfDay(for: instant)
        for _ in 0..<SendSchedule.horizonDays {
            defer { day = calendar.date(byAdding: .day, value: 1, to: day).map { calendar.startOfDay(for: $0) } ?? day.addingTimeInterval(86_400) }
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
            guard let weekday = parts.weekday, schedule.window.days.contains(where: { $0.gregorianNumber == weekday }) else { continue }
            guard !schedule.holidays.contains(CalendarDate(year: parts.year!, month: parts.month!, day: parts.day!)) else { continue }
            guard let opens = wallTime(schedule.window.start, on: day), let closes = wallTime(schedule.window.end, on: day), instant < closes else { continue }
            let candidate = max(instant, opens)
            let campaignDay = campaignCalendar.dateComponents([.year, .month, .day], from: candidate)
            let date = CalendarDate(year: campaignDay.year!, month: campaignDay.month!, day: campaignDay.day!)
            guard !schedule.blackouts.contains(where: { $0.contains(date) }) else { continue }
            return candidate
        }
        return nil
    }

    @Test("3,000 random instants over eight zones, holidays, blackouts and windows: the same opening")
    func sameAnswers() {
        var random = SplitMix64(seed: 0x5C4E_D0)
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        let zones = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Santiago", "Pacific/Chatham", "UTC", "Europe/London"]
        let weekdays = Weekday.allCases
        for _ in 0..<30 {
            let days = weekdays.filter { _ in pick(3) > 0 }
            let start = pick(20) * 60 + [0, 30][pick(2)]
            let end = pick(4) == 0 ? 24 * 60 : min(24 * 60, start + 60 + pick(8) * 60)
            let window = SendWindow(
                days: days.isEmpty ? [.wed] : days, start: LocalTime(hour: start / 60, minute: start % 60), end: LocalTime(hour: end / 60, minute: end % 60))
            let base = ReportingDay.serialDay(CalendarDate(year: 2026, month: 3, day: 1))
            let holidays = (0..<pick(6)).map { _ in ReportingDay.calendarDate(serial: base + pick(300)) }
            let blackouts = (0..<pick(3)).map { _ -> DateRange in
                let first = base + pick(300)
                return DateRange(first: ReportingDay.calendarDate(serial: first), last: ReportingDay.calendarDate(serial: first + pick(10)))
            }
            let schedule = SendSchedule(
                window: window, zone: TimeZone(identifier: zones[pick(zones.count)])!, holidays: holidays, blackouts: blackouts,
                campaignZone: TimeZone(identifier: zones[pick(zones.count)])!)
            for _ in 0..<100 {
                let instant = Date(timeIntervalSince1970: 1_772_323_200 + Double(pick(320 * 86_400)))
                #expect(schedule.nextOpening(atOrAfter: instant) == Self.reference(schedule, atOrAfter: instant), "\(window) \(schedule.zone.identifier) at \(instant)")
            }
        }
    }
}
