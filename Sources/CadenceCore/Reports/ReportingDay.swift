import Foundation

/// The day and week an event counts under in `stats --by day|week` and the report's series: the campaign's, in
/// its time zone, so a reply at 23:30 in New York is on the recruiter's Tuesday, not UTC's Wednesday.
///
/// Weeks start on Monday (ISO 8601) and are named by that Monday's date, which sorts and reads without a calendar.
public enum ReportingDay {
    public static func day(of instant: Date, in zone: TimeZone) -> CalendarDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day], from: instant)
        return CalendarDate(year: parts.year!, month: parts.month!, day: parts.day!)
    }

    /// The Monday on or before `day`.
    public static func weekStart(of day: CalendarDate) -> CalendarDate {
        let serial = serialDay(day)
        // 1970-01-01 (serial 0) was a Thursday: Monday is three days before.
        let sinceMonday = ((serial + 3) % 7 + 7) % 7
        return calendarDate(serial: serial - sinceMonday)
    }

    /// Days since 1970-01-01 (proleptic Gregorian), for stepping through days without a time zone.
    public static func serialDay(_ date: CalendarDate) -> Int {
        // Howard Hinnant's days_from_civil.
        let y = date.month <= 2 ? date.year - 1 : date.year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = date.month
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + date.day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func calendarDate(serial: Int) -> CalendarDate {
        // Howard Hinnant's civil_from_days.
        let z = serial + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return CalendarDate(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)
    }
}
