import CadenceCore
import Testing

@Suite("Delays, times, dates, addresses and zones")
struct ValueParsingTests {
    @Test(
        "the delay syntax: one whole number and one lowercase unit",
        arguments: [
            ("30m", Delay.minutes(30)), ("4h", .hours(4)), ("3d", .days(3)), ("2bd", .businessDays(2)), ("0m", .minutes(0)),
            ("366d", .days(366)),
        ])
    func delays(text: String, expected: Delay) throws {
        #expect(try Delay.parse(text).get() == expected)
        #expect(expected.description == text)
    }

    @Test(
        "a bad delay says how to write it",
        arguments: [
            ("3 dayz", "\"3 dayz\" is not a delay; write a whole number and a unit: \"30m\", \"4h\", \"3d\" or \"2bd\" (business days)"),
            ("3 days", "\"3 days\" is not a delay; write \"3d\""),
            ("3D", "\"3D\" is not a delay; write the number and a lowercase unit with nothing between them, e.g. \"3d\""),
            ("3 d", "\"3 d\" is not a delay; write the number and a lowercase unit with nothing between them, e.g. \"3d\""),
            ("1.5d", "\"1.5d\" is not a delay; use a whole number of a smaller unit, e.g. \"36h\" rather than \"1.5d\""),
            ("d3", "\"d3\" is not a delay; write a whole number and a unit: \"30m\", \"4h\", \"3d\" or \"2bd\" (business days)"),
            ("", "\"\" is not a delay; write a whole number and a unit: \"30m\", \"4h\", \"3d\" or \"2bd\" (business days)"),
            ("400d", "\"400d\" is too long a delay; the longest is 366d"),
            ("262bd", "\"262bd\" is too long a delay; the longest is 261bd"),
            ("99999999999999999999m", "\"99999999999999999999m\" is too long a delay; the longest is 366d"),
        ])
    func badDelays(text: String, message: String) {
        #expect(throws: DelayError(message: message)) { try Delay.parse(text).get() }
    }

    @Test("times are 24-hour HH:MM; 24:00 closes a window at midnight")
    func times() {
        #expect(LocalTime.parse("09:00") == LocalTime(hour: 9, minute: 0))
        #expect(LocalTime.parse("24:00")?.minutes == 1440)
        for bad in ["9:00", "24:01", "12:60", "1200", "ab:cd", "12:00:00", ""] {
            #expect(LocalTime.parse(bad) == nil, "\(bad)")
        }
    }

    @Test("dates must exist: Feb 29 only in leap years")
    func dates() {
        #expect(CalendarDate.parse("2028-02-29") == CalendarDate(year: 2028, month: 2, day: 29))
        #expect(CalendarDate.parse("2000-02-29") != nil)
        for bad in ["2027-02-29", "1900-02-29", "2026-13-01", "2026-04-31", "2026-1-01", "26-01-01", "2026/01/01"] {
            #expect(CalendarDate.parse(bad) == nil, "\(bad)")
        }
    }

    @Test("addresses: the dot-atom form, with reasons for the rest")
    func addresses() {
        #expect((try? EmailAddress.parse("Ana.Ruiz+jobs@Example.ORG").get())?.description == "Ana.Ruiz+jobs@example.org")
        let reasons: [(String, String)] = [
            ("ana", "has no @"), ("ana@@x.org", "has more than one @"), ("@x.org", "has nothing before the @"),
            ("ana@", "has nothing after the @"), ("ana@localhost", "has no dot in its domain \"localhost\""),
            ("a..b@x.org", "has a misplaced dot before the @"), ("ana@x_y.org", "has an invalid domain \"x_y.org\""),
            (" ana@x.org", "has spaces around it"), ("an a@x.org", "has a character that is not allowed before the @"),
            ("ana@x.1", "has an invalid domain \"x.1\""),
        ]
        for (text, reason) in reasons {
            #expect(throws: EmailAddressError(reason: reason), "\(text)") { try EmailAddress.parse(text).get() }
        }
    }

    @Test("time zones are IANA names; abbreviations and typos are refused with a suggestion")
    func zones() {
        #expect(TimeZoneName.isKnown("Europe/Berlin"))
        #expect(TimeZoneName.isKnown("UTC"))
        #expect(!TimeZoneName.isKnown("EST"))
        #expect(TimeZoneName.unknownMessage("America/NewYork") == "unknown time zone \"America/NewYork\"; did you mean \"America/New_York\"?")
        #expect(TimeZoneName.unknownMessage("Mars/Olympus") == "unknown time zone \"Mars/Olympus\"; use an IANA name such as \"America/New_York\" or \"Europe/London\"")
    }

    @Test("suggestions only when the intended word is clear")
    func suggestions() {
        #expect(Suggestion.closest(to: "delya", among: ["id", "type", "delay", "template"]) == "delay")
        #expect(Suggestion.closest(to: "Template", among: ["template"]) == "template")
        #expect(Suggestion.closest(to: "xyz", among: ["id", "type", "delay"]) == nil)
        #expect(Suggestion.closest(to: "id", among: ["id"]) == nil)
    }
}

extension ValueParsingTests {
    @Test(
        "region names resolve whatever the machine's list of known zones says; abbreviations do not",
        arguments: [
            ("Asia/Kolkata", true), ("Asia/Calcutta", true), ("Etc/UTC", true), ("US/Pacific", true), ("UTC", true),
            ("EST", false), ("CET", false), ("GMT", false), ("Mars/Base", false),
        ])
    func zoneNames(name: String, known: Bool) {
        #expect(TimeZoneName.isKnown(name) == known)
    }
}
