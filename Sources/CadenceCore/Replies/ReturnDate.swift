import Foundation

/// The return date an out-of-office message names ("back on 10 March", "bis zum 15.12.", "jusqu'au 3 janvier"),
/// in several languages and formats. A slashed date that could be read both ways (9/8) is refused, and so is any
/// date not 1 to 60 days after the message arrived: a wrong date is worse than the configured default.
public enum ReturnDate {
    static let keywords = [
        "back in the office on", "back in the office", "back on", "back from", "return on", "returning on", "returning", "return", "until", "till",
        "through", "back", "zurück am", "zurück ab", "bis zum", "bis einschließlich", "bis", "ab dem", "de retour le", "de retour", "jusqu'au",
        "jusqu’au", "hasta el", "hasta", "fino al", "tot en met", "tot",
    ]
    static let months: [String: Int] = {
        var table: [String: Int] = [:]
        let names = [
            ["january", "jan", "januar", "janvier", "enero", "gennaio", "januari"],
            ["february", "feb", "februar", "février", "fevrier", "febrero", "febbraio", "februari"],
            ["march", "mar", "märz", "maerz", "mars", "marzo", "maart"],
            ["april", "apr", "avril", "abril", "aprile"],
            ["may", "mai", "mayo", "maggio", "mei"],
            ["june", "jun", "juni", "juin", "junio", "giugno"],
            ["july", "jul", "juli", "juillet", "julio", "luglio"],
            ["august", "aug", "août", "aout", "agosto", "augustus"],
            ["september", "sep", "sept", "septembre", "septiembre", "settembre"],
            ["october", "oct", "oktober", "octobre", "octubre", "ottobre"],
            ["november", "nov", "novembre", "noviembre"],
            ["december", "dec", "dezember", "décembre", "decembre", "diciembre", "dicembre"],
        ]
        for (index, words) in names.enumerated() { for word in words { table[word] = index + 1 } }
        return table
    }()
    static let weekdays: [String: Int] = {
        var table: [String: Int] = [:]
        let names = [
            ["sunday", "sonntag", "dimanche", "domingo"], ["monday", "montag", "lundi", "lunes"], ["tuesday", "dienstag", "mardi", "martes"],
            ["wednesday", "mittwoch", "mercredi", "miércoles", "miercoles"], ["thursday", "donnerstag", "jeudi", "jueves"],
            ["friday", "freitag", "vendredi", "viernes"], ["saturday", "samstag", "samedi", "sábado", "sabado"],
        ]
        for (index, words) in names.enumerated() { for word in words { table[word] = index + 1 } }
        return table
    }()

    public static func find(in text: String, after received: Date, timeZone: TimeZone) -> CalendarDate? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let today = calendar.dateComponents([.year, .month, .day, .weekday], from: received)
        guard let year = today.year, let month = today.month, let day = today.day, let weekday = today.weekday else { return nil }
        let start = CalendarDate(year: year, month: month, day: day)
        let lower = text.lowercased()
        for keyword in keywords {
            var searchFrom = lower.startIndex
            while let range = lower.range(of: keyword, range: searchFrom..<lower.endIndex) {
                searchFrom = range.upperBound
                // Whole words only ("tot" must not match "total").
                if range.lowerBound > lower.startIndex, lower[lower.index(before: range.lowerBound)].isLetter { continue }
                if range.upperBound < lower.endIndex, lower[range.upperBound].isLetter { continue }
                let following = String(lower[range.upperBound...].prefix(48))
                if let date = parse(following, today: start, weekday: weekday, calendar: calendar),
                    let days = daysBetween(start, date, calendar), (1...60).contains(days)
                {
                    return date
                }
            }
        }
        return nil
    }

    static func daysBetween(_ a: CalendarDate, _ b: CalendarDate, _ calendar: Calendar) -> Int? {
        guard let first = calendar.date(from: DateComponents(year: a.year, month: a.month, day: a.day)),
            let second = calendar.date(from: DateComponents(year: b.year, month: b.month, day: b.day))
        else { return nil }
        return calendar.dateComponents([.day], from: first, to: second).day
    }

    /// A date at the start of `text` (after filler words: "the", "on", "am", "le", a weekday name).
    static func parse(_ text: String, today: CalendarDate, weekday: Int, calendar: Calendar) -> CalendarDate? {
        var tokens = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" || $0 == "\t" }).map { token in
            String(token).trimmingCharacters(in: CharacterSet(charactersIn: "()!?;:\"'"))
        }.filter { !$0.isEmpty }
        let fillers: Set<String> = ["the", "on", "am", "le", "el", "den", "dem", "de", "of", "del", "il", "en", "including", "inclusive"]
        var namedWeekday: Int?
        while let first = tokens.first {
            if fillers.contains(first) { tokens.removeFirst(); continue }
            if let day = weekdays[first.trimmingCharacters(in: CharacterSet(charactersIn: "."))] { namedWeekday = day; tokens.removeFirst(); continue }
            break
        }
        func withYear(_ month: Int, _ day: Int, _ year: Int?) -> CalendarDate? {
            guard (1...12).contains(month), (1...31).contains(day) else { return nil }
            if var year {
                if year < 100 { year += 2000 }
                return valid(CalendarDate(year: year, month: month, day: day), calendar)
            }
            // No year: the next such day from today.
            let thisYear = CalendarDate(year: today.year, month: month, day: day)
            return valid(thisYear < today ? CalendarDate(year: today.year + 1, month: month, day: day) : thisYear, calendar)
        }
        guard let first = tokens.first else { return weekdayDate(namedWeekday, today: today, weekday: weekday, calendar: calendar) }
        let second = tokens.count > 1 ? tokens[1] : nil
        let third = tokens.count > 2 ? tokens[2] : nil
        // 2027-03-10
        let dashed = first.trimmingCharacters(in: CharacterSet(charactersIn: ".")).split(separator: "-").compactMap { Int($0) }
        if dashed.count == 3, first.count >= 8, dashed[0] > 1900 { return withYear(dashed[1], dashed[2], dashed[0]) }
        // 10.03.2027, 10.03.27, 10.03.
        let dotted = first.split(separator: ".", omittingEmptySubsequences: true).map(String.init)
        if dotted.count >= 2, dotted.allSatisfy({ Int($0) != nil }), first.contains(".") {
            let numbers = dotted.compactMap { Int($0) }
            if numbers.count >= 2, numbers[0] <= 31 {
                return withYear(numbers[1], numbers[0], numbers.count > 2 ? numbers[2] : nil)
            }
        }
        // 25/12 is unambiguous; 9/8 is not and is refused.
        let slashed = first.split(separator: "/").compactMap { Int($0) }
        if slashed.count >= 2, first.contains("/") {
            let (a, b) = (slashed[0], slashed[1])
            let year = slashed.count > 2 ? slashed[2] : nil
            if a > 12, b <= 12 { return withYear(b, a, year) }
            if b > 12, a <= 12 { return withYear(a, b, year) }
            return nil
        }
        // 10 March (2027), 10th of March, 10. März, 10 de marzo
        let dayNumber = Int(
            first.trimmingCharacters(in: CharacterSet(charactersIn: ".")).replacingOccurrences(of: "st", with: "").replacingOccurrences(of: "nd", with: "").replacingOccurrences(of: "rd", with: "")
                .replacingOccurrences(of: "th", with: ""))
        if let dayNumber, let name = second, let month = months[name.trimmingCharacters(in: CharacterSet(charactersIn: "."))] {
            return withYear(month, dayNumber, third.flatMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: "."))) }.flatMap { $0 > 1900 ? $0 : nil })
        }
        if let dayNumber, second == "of" || second == "de", let name = third, let month = months[name.trimmingCharacters(in: CharacterSet(charactersIn: "."))] {
            return withYear(month, dayNumber, nil)
        }
        // March 10(th)(, 2027)
        if let month = months[first.trimmingCharacters(in: CharacterSet(charactersIn: "."))], let text = second {
            let digits = text.prefix { $0.isNumber }
            if let day = Int(digits), !digits.isEmpty {
                return withYear(month, day, third.flatMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: "."))) }.flatMap { $0 > 1900 ? $0 : nil })
            }
        }
        return weekdayDate(namedWeekday, today: today, weekday: weekday, calendar: calendar)
    }

    /// "back on Monday": the next such weekday after today.
    static func weekdayDate(_ target: Int?, today: CalendarDate, weekday: Int, calendar: Calendar) -> CalendarDate? {
        guard let target else { return nil }
        var ahead = (target - weekday + 7) % 7
        if ahead == 0 { ahead = 7 }
        guard let base = calendar.date(from: DateComponents(year: today.year, month: today.month, day: today.day)),
            let date = calendar.date(byAdding: .day, value: ahead, to: base)
        else { return nil }
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return CalendarDate(year: parts.year!, month: parts.month!, day: parts.day!)
    }

    static func valid(_ date: CalendarDate, _ calendar: Calendar) -> CalendarDate? {
        guard let made = calendar.date(from: DateComponents(year: date.year, month: date.month, day: date.day)) else { return nil }
        let parts = calendar.dateComponents([.year, .month, .day], from: made)
        return parts.month == date.month && parts.day == date.day ? date : nil  // 31 April is not a day
    }
}
