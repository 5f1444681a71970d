import Foundation

/// The return date an out-of-office message names ("back on 10 March", "bis zum 15.12.", "jusqu'au 3 janvier",
/// "12月9日まで", "9 Aralık'a kadar"), read with the conventions of the languages the message is written in:
/// numeric dates are day first in most of Europe and Latin America, month first in Japanese, Chinese and Korean,
/// and either in English, where a date like 9/8 is refused. Weekday names count from the message's own date. A date
/// not 1 to 60 days after the message is refused too: a wrong date is worse than the configured default.
public enum ReturnDate {
    /// A date or weekday written in the text, at a byte range of the normalised text.
    struct Mention {
        enum Value {
            case date(month: Int, day: Int, year: Int?)
            /// A slashed or dotted pair that could be day/month or month/day.
            case pair(first: Int, second: Int, year: Int?)
            case weekday(Int)
        }
        var value: Value
        var start: Int
        var end: Int
    }

    public static func find(in text: String, after received: Date, timeZone: TimeZone) -> CalendarDate? {
        find(in: text, languages: [], after: received, timeZone: timeZone)
    }

    /// `languages`: the languages the message's phrases were found in, most telling first; they decide numeric
    /// date order and which month names are tried first. Empty means "unknown": only unambiguous dates count.
    public static func find(
        in text: String, languages: [String], book: PhraseBook = .standard, after received: Date, timeZone: TimeZone
    ) -> CalendarDate? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: received)
        guard let year = parts.year, let month = parts.month, let day = parts.day, let weekday = parts.weekday else { return nil }
        let today = CalendarDate(year: year, month: month, day: day)
        let orders = Set(languages.compactMap { book.table($0)?.dateOrder })
        let order: PhraseTable.DateOrder? = orders.contains(.dmy) ? .dmy : orders.contains(.ymd) ? .ymd : nil
        let bytes = PhraseText.normalized(text)
        var mentions = scan(bytes, months: book.months, weekdays: book.weekdays)
        // Weekdays inside CJK text, the longest where names overlap (月曜日 over 月曜).
        var unspaced = book.unspacedWeekdays.hits(in: bytes).sorted { ($0.start, -$0.end) < ($1.start, -$1.end) }
        unspaced = unspaced.enumerated().filter { index, hit in !unspaced[..<index].contains { $0.start <= hit.start && $0.end >= hit.end } }.map(\.element)
        for hit in unspaced where !mentions.contains(where: { $0.start < hit.end && hit.start < $0.end && !isWeekday($0) }) {
            mentions.append(Mention(value: .weekday(book.unspacedWeekdayNumbers[hit.pattern]), start: hit.start, end: hit.end))
        }
        mentions.sort { $0.start < $1.start }
        guard !mentions.isEmpty else { return nil }

        func resolve(_ mention: Mention) -> CalendarDate? {
            let date: CalendarDate?
            switch mention.value {
            case .date(let month, let day, let year): date = dated(month, day, year, today: today, calendar: calendar)
            case .pair(let first, let second, let year):
                switch order {
                case .dmy: date = dated(second, first, year, today: today, calendar: calendar)
                case .ymd: date = dated(first, second, year, today: today, calendar: calendar)
                case .mdyOrDmy, nil:
                    // Only a day above 12 tells the order.
                    if first > 12, second <= 12 {
                        date = dated(second, first, year, today: today, calendar: calendar)
                    } else if second > 12, first <= 12 {
                        date = dated(first, second, year, today: today, calendar: calendar)
                    } else {
                        date = nil
                    }
                }
            case .weekday(let target): date = weekdayDate(target, today: today, weekday: weekday, calendar: calendar)
            }
            guard let date, let days = daysBetween(today, date, calendar), (1...60).contains(days) else { return nil }
            return date
        }

        // A weekday directly followed by a date ("Monday, 14 December") is that date.
        var merged: [Mention] = []
        for mention in mentions {
            // "Monday, 14 December", "mandag den 14. december", "lundi le 14 décembre"
            if let last = merged.last, case .weekday = last.value, mention.start - last.end <= 6 {
                merged[merged.count - 1] = Mention(value: mention.value, start: last.start, end: mention.end)
            } else {
                merged.append(mention)
            }
        }
        // The dates a return word stands next to; the latest of them (until the 9th, back on the 10th: the 10th).
        var marked: [CalendarDate] = []
        for hit in book.returnBefore.hits(in: bytes) {
            if let mention = merged.first(where: { $0.start >= hit.end && $0.start - hit.end <= 24 }), let date = resolve(mention) {
                marked.append(date)
            }
        }
        for hit in book.returnAfter.hits(in: bytes) {
            if let mention = merged.last(where: { $0.end <= hit.start && hit.start - $0.end <= 4 }), let date = resolve(mention) {
                marked.append(date)
            }
        }
        if let latest = marked.max() { return latest }
        // No return word next to a date: the latest full date ahead that the message names (weekdays alone are too
        // loose without a word saying they are the return).
        return merged.filter { if case .weekday = $0.value { false } else { true } }.compactMap(resolve).max()
    }

    static func isWeekday(_ mention: Mention) -> Bool {
        if case .weekday = mention.value { true } else { false }
    }

    // MARK: Scanning

    struct Token {
        enum Kind { case number, word, mark }
        var kind: Kind
        var text: Substring
        var start: Int
        var end: Int
        var value: Int? { kind == .number ? Int(text) : nil }
    }

    /// Scalar by scalar over normalised (so composed) text: ASCII needs no Unicode tables, and a combining mark
    /// stays with the letter before it, as it would in a `Character`.
    static func tokens(_ bytes: [UInt8]) -> [Token] {
        let text = String(decoding: bytes, as: UTF8.self)
        let scalars = text.unicodeScalars
        var tokens: [Token] = []
        var index = scalars.startIndex
        var offset = 0
        while index < scalars.endIndex {
            let scalar = scalars[index]
            if scalar == " " {
                index = scalars.index(after: index)
                offset += 1
                continue
            }
            let kind = tokenKind(scalar)
            var end = scalars.index(after: index)
            var endOffset = offset + UTF8.width(scalar)
            if kind != .mark, !isDateIdeograph(scalar) {
                while end < scalars.endIndex {
                    let next = scalars[end]
                    guard tokenKind(next) == kind || kind == .word && next.value >= 0x300 && isCombiningMark(next), !isDateIdeograph(next) else { break }
                    endOffset += UTF8.width(next)
                    end = scalars.index(after: end)
                }
            }
            tokens.append(Token(kind: kind, text: Substring(scalars[index..<end]), start: offset, end: endOffset))
            index = end
            offset = endOffset
        }
        return tokens
    }

    private static func tokenKind(_ scalar: Unicode.Scalar) -> Token.Kind {
        switch scalar.value {
        case 0x30...0x39: .number
        case 0x41...0x5A, 0x61...0x7A: .word
        case 0...0x7F: .mark
        default: scalar.properties.isAlphabetic ? .word : .mark
        }
    }

    private static func isCombiningMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: true
        default: false
        }
    }

    /// 年 月 日 and 년 월 일 end a number in CJK dates; they are tokens of their own.
    static func isDateIdeograph(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x5E74, 0x6708, 0x65E5, 0xB144, 0xC6D4, 0xC77C: true
        default: false
        }
    }

    static func scan(_ bytes: [UInt8], months: [String: Int], weekdays: [String: Int]) -> [Mention] {
        let tokens = tokens(bytes)
        var mentions: [Mention] = []
        var index = 0
        func token(_ offset: Int) -> Token? { index + offset < tokens.count ? tokens[index + offset] : nil }
        func isMark(_ offset: Int, _ marks: String) -> Bool {
            guard let token = token(offset), token.kind == .mark, let first = token.text.first else { return false }
            return marks.contains(first)
        }
        func year(_ value: Int?) -> Int? {
            guard let value else { return nil }
            if value >= 2000, value < 2100 { return value }
            if value >= 0, value < 100 { return 2000 + value }
            return nil
        }
        while index < tokens.count {
            let current = tokens[index]
            var found: (Mention.Value, Int)?  // value and the number of tokens it spans
            if current.kind == .number, let number = current.value {
                // 2026-12-09, 2026/12/09, 2026.12.09, 2026年12月9日
                if current.text.count == 4, isMark(1, "-/."), let month = token(2)?.value, isMark(3, "-/."), let day = token(4)?.value {
                    found = (.date(month: month, day: day, year: year(number)), 5)
                } else if current.text.count == 4, token(1)?.text == "年" || token(1)?.text == "년", let month = token(2)?.value,
                    token(3)?.text == "月" || token(3)?.text == "월", let day = token(4)?.value, token(5)?.text == "日" || token(5)?.text == "일"
                {
                    found = (.date(month: month, day: day, year: year(number)), 6)
                } else if token(1)?.text == "月" || token(1)?.text == "월", let day = token(2)?.value, token(3)?.text == "日" || token(3)?.text == "일" {
                    found = (.date(month: number, day: day, year: nil), 4)
                } else if current.text.count <= 2, isMark(1, "./-"), let second = token(2)?.value, token(2)!.text.count <= 2 {
                    // 9.12. 09/12/2026 9-12-26 12/9
                    if isMark(3, "./-"), let third = token(4), third.kind == .number, third.text.count == 4 || third.text.count == 2,
                        let value = third.value
                    {
                        found = (.pair(first: number, second: second, year: year(value)), 5)
                    } else {
                        found = (.pair(first: number, second: second, year: nil), 3)
                    }
                } else if current.text.count <= 2 {
                    // 9 December, 9. Dezember, 9 de diciembre, 9th of December, 9 декабря, 9 Aralık
                    var next = 1
                    if isMark(next, ".") { next += 1 }
                    if let suffix = token(next), suffix.kind == .word, ["st", "nd", "rd", "th", "er", "e", "re", "º", "o"].contains(String(suffix.text)) {
                        next += 1
                    }
                    if let word = token(next), word.kind == .word, ["of", "de", "del", "di", "d"].contains(String(word.text)) { next += 1 }
                    if isMark(next, "'") { next += 1 }
                    if let word = token(next), word.kind == .word, let month = months[String(word.text)] {
                        var span = next + 1
                        var yearValue: Int?
                        if isMark(span, ",") { span += 1 }
                        if let word = token(span), word.kind == .word, ["de", "del"].contains(String(word.text)) { span += 1 }
                        if let following = token(span), following.kind == .number, following.text.count == 4 {
                            yearValue = year(following.value)
                            span += 1
                        } else if isMark(next + 1, ",") || token(next + 1)?.kind == .word {
                            span = next + 1
                        } else {
                            span = next + 1
                        }
                        found = (.date(month: month, day: number, year: yearValue), span)
                    }
                }
            } else if current.kind == .word, let month = months[String(current.text)] {
                // December 9th, 2026 / Dec 9
                var next = 1
                if isMark(next, ".") { next += 1 }
                if let dayToken = token(next), dayToken.kind == .number, dayToken.text.count <= 2, let day = dayToken.value {
                    var span = next + 1
                    if let suffix = token(span), suffix.kind == .word, ["st", "nd", "rd", "th"].contains(String(suffix.text)) { span += 1 }
                    var yearValue: Int?
                    var look = span
                    if isMark(look, ",") { look += 1 }
                    if let following = token(look), following.kind == .number, following.text.count == 4 {
                        yearValue = year(following.value)
                        span = look + 1
                    }
                    found = (.date(month: month, day: day, year: yearValue), span)
                }
            } else if current.kind == .word, let target = weekdays[String(current.text)] {
                found = (.weekday(target), 1)
            }
            if let (value, span) = found {
                let last = tokens[min(tokens.count - 1, index + span - 1)]
                mentions.append(Mention(value: value, start: current.start, end: last.end))
                index += span
            } else {
                index += 1
            }
        }
        return mentions
    }

    // MARK: Calendar arithmetic

    /// The date, in the year given or else the first year in which it is not before today.
    static func dated(_ month: Int, _ day: Int, _ year: Int?, today: CalendarDate, calendar: Calendar) -> CalendarDate? {
        guard (1...12).contains(month), (1...31).contains(day) else { return nil }
        if let year { return valid(CalendarDate(year: year, month: month, day: day), calendar) }
        let thisYear = CalendarDate(year: today.year, month: month, day: day)
        return valid(thisYear < today ? CalendarDate(year: today.year + 1, month: month, day: day) : thisYear, calendar)
    }

    /// "back on Monday": the next such weekday after today.
    static func weekdayDate(_ target: Int, today: CalendarDate, weekday: Int, calendar: Calendar) -> CalendarDate? {
        var ahead = (target - weekday + 7) % 7
        if ahead == 0 { ahead = 7 }
        guard let base = calendar.date(from: DateComponents(year: today.year, month: today.month, day: today.day)),
            let date = calendar.date(byAdding: .day, value: ahead, to: base)
        else { return nil }
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return CalendarDate(year: parts.year!, month: parts.month!, day: parts.day!)
    }

    static func daysBetween(_ from: CalendarDate, _ to: CalendarDate, _ calendar: Calendar) -> Int? {
        guard let start = calendar.date(from: DateComponents(year: from.year, month: from.month, day: from.day)),
            let end = calendar.date(from: DateComponents(year: to.year, month: to.month, day: to.day))
        else { return nil }
        return calendar.dateComponents([.day], from: start, to: end).day
    }

    static func valid(_ date: CalendarDate, _ calendar: Calendar) -> CalendarDate? {
        guard let made = calendar.date(from: DateComponents(year: date.year, month: date.month, day: date.day)) else { return nil }
        let parts = calendar.dateComponents([.year, .month, .day], from: made)
        return parts.month == date.month && parts.day == date.day ? date : nil  // 31 April is not a day
    }
}
