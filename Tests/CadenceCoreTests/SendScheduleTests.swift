import CadenceCore
import Foundation
import PropertyBased
import Testing

@Suite("The send schedule: windows, weekends, holidays, blackouts, DST")
struct SendScheduleTests {
    static func iso(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text)!
    }

    static let london = TimeZone(identifier: "Europe/London")!
    static let officeHours = SendWindow.officeHours

    func schedule(_ zone: TimeZone = london, window: SendWindow = officeHours, holidays: [CalendarDate] = [], blackouts: [DateRange] = [], campaignZone: TimeZone? = nil) -> SendSchedule {
        SendSchedule(window: window, zone: zone, holidays: holidays, blackouts: blackouts, campaignZone: campaignZone ?? zone)
    }

    @Test("inside the window it is now; before it, the opening; after it, the next working day's opening")
    func basics() {
        let s = schedule()
        #expect(s.nextOpening(atOrAfter: Self.iso("2026-12-01T10:15:00Z")) == Self.iso("2026-12-01T10:15:00Z"))  // Tue
        #expect(s.nextOpening(atOrAfter: Self.iso("2026-12-01T06:00:00Z")) == Self.iso("2026-12-01T09:00:00Z"))
        #expect(s.nextOpening(atOrAfter: Self.iso("2026-12-01T17:00:00Z")) == Self.iso("2026-12-02T09:00:00Z"))  // end is exclusive
        #expect(s.nextOpening(atOrAfter: Self.iso("2026-12-04T18:00:00Z")) == Self.iso("2026-12-07T09:00:00Z"))  // Fri night → Mon
    }

    @Test("Saturday night in March, 9-to-5: Monday 09:00, now British Summer Time")
    func acrossSpringForward() {
        #expect(schedule().nextOpening(atOrAfter: Self.iso("2025-03-29T22:00:00Z")) == Self.iso("2025-03-31T08:00:00Z"))
    }

    @Test("a window edge that does not exist on the spring-forward night moves to the next real time")
    func nonexistentStart() {
        let night = SendWindow(days: Weekday.allCases, start: LocalTime(hour: 1, minute: 30), end: LocalTime(hour: 3, minute: 0))
        // 2027-03-28: London clocks go from 01:00 GMT to 02:00 BST; 01:30 never happens.
        #expect(schedule(window: night).nextOpening(atOrAfter: Self.iso("2027-03-28T00:00:00Z")) == Self.iso("2027-03-28T01:00:00Z"))  // 02:00 BST
    }

    @Test("a window edge that happens twice on the fall-back night is taken the first time")
    func repeatedStart() {
        let night = SendWindow(days: Weekday.allCases, start: LocalTime(hour: 1, minute: 30), end: LocalTime(hour: 4, minute: 0))
        // 2026-10-25: London clocks go from 02:00 BST back to 01:00 GMT; 01:30 happens at 00:30Z and 01:30Z.
        #expect(schedule(window: night).nextOpening(atOrAfter: Self.iso("2026-10-24T23:00:00Z")) == Self.iso("2026-10-25T00:30:00Z"))
    }

    @Test("holidays are the candidate's dates; blackouts are the sender's, in the campaign's zone")
    func holidaysAndBlackouts() {
        let christmas = schedule(holidays: [CalendarDate(year: 2026, month: 12, day: 25)])
        #expect(christmas.nextOpening(atOrAfter: Self.iso("2026-12-24T18:00:00Z")) == Self.iso("2026-12-28T09:00:00Z"))
        let tokyo = TimeZone(identifier: "Asia/Tokyo")!
        // The candidate is in Tokyo; the sender (campaign zone London) is away on 2026-12-01 London time.
        let away = schedule(tokyo, blackouts: [DateRange(first: CalendarDate(year: 2026, month: 12, day: 1), last: CalendarDate(year: 2026, month: 12, day: 1))], campaignZone: Self.london)
        // Tue 09:00 Tokyo = Tue 00:00 London (blacked out); Wed 09:00 Tokyo = Wed 00:00 London (free).
        #expect(away.nextOpening(atOrAfter: Self.iso("2026-11-30T23:00:00Z")) == Self.iso("2026-12-02T00:00:00Z"))
    }

    @Test("a window that never opens gives nil instead of looping")
    func never() {
        let always = DateRange(first: CalendarDate(year: 2026, month: 1, day: 1), last: CalendarDate(year: 2030, month: 1, day: 1))
        #expect(schedule(blackouts: [always]).nextOpening(atOrAfter: Self.iso("2026-12-01T10:00:00Z")) == nil)
    }

    @Test("delays count from when the previous step happened, then the window applies; business days skip weekends")
    func earliestEligible() {
        let s = schedule()
        // Intro sent late on Thursday; "2bd" lands on Monday, at the window's opening.
        #expect(s.earliestEligible(after: Self.iso("2026-12-03T16:50:00Z"), delay: .businessDays(2)) == Self.iso("2026-12-07T16:50:00Z"))
        #expect(s.earliestEligible(after: Self.iso("2026-12-03T16:50:00Z"), delay: .days(2)) == Self.iso("2026-12-07T09:00:00Z"))
        #expect(s.earliestEligible(after: Self.iso("2026-12-01T10:00:00Z"), delay: .hours(3)) == Self.iso("2026-12-01T13:00:00Z"))
    }

    @Test("properties: in the window, on an allowed day, never before the instant, and monotonic (fixed seed)")
    func properties() {
        let zones = ["Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham", "America/Sao_Paulo", "UTC"]
        let inputs = zip(
            Gen.int(in: 1_780_000_000...1_830_000_000), Gen.int(in: 0...86_400 * 3),
            Gen.element(of: zones).map { $0! }, Gen.int(in: 0...22), Gen.int(in: 1...6), Gen.int(in: 1...127))
        seededCheck(count: 400, inputs) { index, input in
            let (start, gap, zoneName, startHour, length, dayMask) = input
            let days = Weekday.allCases.enumerated().filter { dayMask & (1 << $0.offset) != 0 }.map(\.element)
            let window = SendWindow(days: days, start: LocalTime(hour: startHour, minute: 30), end: LocalTime(hour: min(24, startHour + length), minute: 0))
            let zone = TimeZone(identifier: zoneName)!
            let s = schedule(zone, window: window, holidays: [CalendarDate(year: 2027, month: 1, day: 1)])
            let first = Date(timeIntervalSince1970: Double(start))
            guard let opening = s.nextOpening(atOrAfter: first) else { Issue.record("case \(index): no opening"); return }
            #expect(opening >= first, "case \(index)")
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = zone
            let parts = calendar.dateComponents([.year, .month, .day, .weekday, .hour, .minute], from: opening)
            let minutes = parts.hour! * 60 + parts.minute!
            #expect(days.contains { $0.gregorianNumber == parts.weekday }, "case \(index): \(opening) is not an allowed day")
            #expect(CalendarDate(year: parts.year!, month: parts.month!, day: parts.day!) != CalendarDate(year: 2027, month: 1, day: 1), "case \(index)")
            // Inside the window, allowing for a start moved forward by a DST gap (never more than an hour).
            #expect(minutes >= window.start.minutes || opening == first, "case \(index): \(opening) before the window in \(zoneName)")
            #expect(minutes < window.end.minutes + 60, "case \(index): \(opening) after the window in \(zoneName)")
            let later = first.addingTimeInterval(Double(gap))
            if let next = s.nextOpening(atOrAfter: later) { #expect(next >= opening, "case \(index): not monotonic") }
        }
    }
}
