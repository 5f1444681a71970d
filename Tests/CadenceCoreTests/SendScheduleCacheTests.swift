import Foundation
import Testing

@testable import CadenceCore

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

    @Test(
        "a day's window by plain offsets from its midnight is the calendar's on every day tried: days around each clock change of 16 zones from 2000 to 2040, and random ones"
    )
    func plainDays() {
        var random = SplitMix64(seed: 0xDA75)
        let zones = [
            "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Pacific/Chatham", "Pacific/Apia", "America/Havana",
            "Asia/Tehran", "Africa/Casablanca", "Antarctica/Troll", "America/St_Johns", "Asia/Kolkata", "Pacific/Kiritimati", "UTC",
            // Zones that moved their standard time rather than for summer: Volgograd (2020-12-27), Caracas (2016-05-01).
            "Europe/Volgograd", "America/Caracas",
        ]
        let windows = [(0, 24 * 60), (9 * 60, 17 * 60), (30, 150), (23 * 60 + 30, 24 * 60)].map {
            SendWindow(days: Weekday.allCases, start: LocalTime(hour: $0.0 / 60, minute: $0.0 % 60), end: LocalTime(hour: $0.1 / 60, minute: $0.1 % 60))
        }
        let first = ReportingDay.serialDay(CalendarDate(year: 2000, month: 1, day: 1))
        let last = ReportingDay.serialDay(CalendarDate(year: 2040, month: 12, day: 31))
        var checked = 0
        for identifier in zones {
            let zone = TimeZone(identifier: identifier)!
            var days = Set((0..<400).map { _ in first + Int(random.next() % UInt64(last - first)) })
            // The standard-time moves, named outright in case the zone database reports them as no transition.
            let moves = ["Europe/Volgograd": CalendarDate(year: 2020, month: 12, day: 27), "America/Caracas": CalendarDate(year: 2016, month: 5, day: 1)]
            if let move = moves[identifier].map(ReportingDay.serialDay) { days.formUnion(move - 2...move + 2) }
            var instant = Date(timeIntervalSince1970: Double(first) * 86_400)
            while let change = zone.nextDaylightSavingTimeTransition(after: instant), change.timeIntervalSince1970 < Double(last) * 86_400 {
                let day = Int((change.timeIntervalSince1970 / 86_400).rounded(.down))
                days.formUnion(day - 2...day + 2)
                instant = change
            }
            for window in windows {
                let schedule = SendSchedule(window: window, zone: zone, campaignZone: zone)
                for day in days.sorted() {
                    #expect(schedule.computeWindow(day) == schedule.computeWindowByCalendar(day), "\(identifier) \(window) on \(ReportingDay.calendarDate(serial: day))")
                    checked += 1
                }
            }
        }
        #expect(checked > 30_000)
    }

    @Test("the first opening after an instant's day is the opening at or after the start of the next day, in every zone")
    func afterDayOf() {
        var random = SplitMix64(seed: 0xAF7E)
        for identifier in ["Europe/Berlin", "America/Santiago", "Australia/Lord_Howe", "Pacific/Apia", "UTC"] {
            let zone = TimeZone(identifier: identifier)!
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = zone
            let schedule = SendSchedule(
                window: SendWindow(days: [.mon, .tue, .wed, .thu, .fri], start: LocalTime(hour: 0, minute: 0), end: LocalTime(hour: 17, minute: 0)), zone: zone, campaignZone: zone)
            for _ in 0..<300 {
                let instant = Date(timeIntervalSince1970: 946_684_800 + Double(random.next() % (40 * 365 * 86_400)))
                // The next day's first instant: a day later than this day's start is 01:00 after a midnight skipped by a
                // clock change.
                let nextDay = calendar.startOfDay(for: calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: instant))!)
                #expect(schedule.nextOpening(afterDayOf: instant) == Self.reference(schedule, atOrAfter: nextDay), "\(identifier) after \(instant)")
            }
        }
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
