import Foundation

/// An RFC 5322 `Date:` header ("Tue, 1 Dec 2026 10:00:00 +0100 (CET)"), with the sender's own offset: "back on
/// Monday" counts from the sender's day, not from UTC's. Lenient about what real clients write (no weekday, no
/// seconds, two-digit years, obsolete zone names); nil when it is not a date at all.
public struct MailDate: Sendable, Equatable {
    public var date: Date
    public var timeZone: TimeZone

    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let zoneNames: [String: Int] = [
        "ut": 0, "gmt": 0, "z": 0, "utc": 0, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
    ]

    public static func parse(_ value: String) -> MailDate? {
        var text = value
        if let comment = text.firstIndex(of: "(") { text = String(text[..<comment]) }
        var tokens = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }).map { $0.lowercased() }
        if tokens.first?.first?.isLetter == true { tokens.removeFirst() }  // the weekday
        guard tokens.count >= 4, let day = Int(tokens[0]), let month = monthNames.firstIndex(of: String(tokens[1].prefix(3))),
            var year = Int(tokens[2])
        else { return nil }
        if year < 50 { year += 2000 } else if year < 1000 { year += 1900 }
        let clock = tokens[3].split(separator: ":").map { Int($0) }
        guard clock.count >= 2, let hour = clock[0], let minute = clock[1] else { return nil }
        let second = clock.count > 2 ? (clock[2] ?? 0) : 0
        var offsetSeconds = 0
        if tokens.count > 4 {
            let zone = tokens[4]
            if let sign = zone.first, sign == "+" || sign == "-", zone.count == 5, let digits = Int(zone.dropFirst()) {
                offsetSeconds = (digits / 100 * 3600 + digits % 100 * 60) * (sign == "-" ? -1 : 1)
            } else if let hours = zoneNames[zone] {
                offsetSeconds = hours * 3600
            }
        }
        guard let timeZone = TimeZone(secondsFromGMT: offsetSeconds) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        guard let date = calendar.date(from: DateComponents(year: year, month: month + 1, day: day, hour: hour, minute: minute, second: second))
        else { return nil }
        return MailDate(date: date, timeZone: timeZone)
    }
}
