/// The part of a message its sender wrote now, without what it quotes: lines starting with `>`, and everything
/// from the first quote header on, in any language a table knows: an attribution line ("On … wrote:", "Am …
/// schrieb …:", "… 写道："), Outlook's "-----Original Message-----" line or its "From: / Sent:" block, or a line
/// ending in a colon that names an address in angle brackets and a date (Gmail in Japanese writes no verb at all).
/// The campaign's own lines (`ownLines`, normalised) are left out too, so a footer a reply carries along unquoted
/// never counts as the sender's words.
public enum FreshText {
    public static func of(_ body: String, book: PhraseBook = .standard, ownLines: Set<String> = []) -> String {
        let lines = body.utf8.split(separator: 10, omittingEmptySubsequences: false).map { Substring($0) }
        let normalized = lines.map(PhraseText.normalized)
        var kept: [Substring] = []
        var index = 0
        while index < lines.count {
            let bytes = normalized[index]
            if bytes.first == UInt8(ascii: ">") || bytes.starts(with: Array("&gt;".utf8)) {
                index += 1
                continue
            }
            if startsQuote(at: index, normalized, book: book) { break }
            if !ownLines.isEmpty, ownLines.contains(String(decoding: bytes, as: UTF8.self)) {
                index += 1
                continue
            }
            kept.append(lines[index])
            index += 1
        }
        return kept.joined(separator: "\n")
    }

    /// The lines of the messages Cadence sent a person, normalised, for `of(_:book:ownLines:)`: a reply that carries
    /// the campaign's text along unquoted (a footer, "reply STOP to opt out", a whole forwarded email) is not read as
    /// the person's words. Lines shorter than 16 bytes ("Thanks," "Best, Sam") are left out: a person writes those
    /// too, and they decide nothing.
    public static func ownLines(ofSent messages: [[UInt8]]) -> Set<String> {
        var lines: Set<String> = []
        for raw in messages {
            guard let text = (try? MailMessage.parse(raw))?.plainText else { continue }
            for line in text.utf8.split(separator: 10) {
                let normalized = PhraseText.normalized(Substring(line))
                if normalized.count >= 16 { lines.insert(String(decoding: normalized, as: UTF8.self)) }
            }
        }
        return lines
    }

    static func startsQuote(at index: Int, _ lines: [[UInt8]], book: PhraseBook) -> Bool {
        let line = lines[index]
        guard !line.isEmpty else { return false }
        // ________________________________ (Outlook's separator) and -----Original Message----- in any language.
        if line.count >= 10, line.allSatisfy({ $0 == UInt8(ascii: "_") }) { return true }
        if line.starts(with: Array("-----".utf8)) || line.starts(with: Array("----- ".utf8)) {
            if book.quoteWords(in: line).contains(where: { $0.word == .originalMessage }) { return true }
        }
        // Outlook's header block: a "From:" label line with a "Sent:"/"Date:" label within the next four lines.
        if let label = leadingLabel(line, book: book), label == "from" {
            for next in lines[(index + 1)..<min(lines.count, index + 5)] where leadingLabel(next, book: book) == "sent" { return true }
        }
        // An attribution, possibly wrapped over up to three lines, ending in a colon. A wrapped one starts with a
        // line that holds a date or an address and does not end a sentence.
        if line.last != UInt8(ascii: ":") {
            let endsSentence = [UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "?")].contains(line.last!)
            if endsSentence || !line.contains(where: { ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: "@") }) { return false }
        }
        var window: [UInt8] = []
        for offset in 0..<3 where index + offset < lines.count {
            let part = lines[index + offset]
            if offset > 0 { window.append(32) }
            window += part
            guard part.last == UInt8(ascii: ":") else { continue }
            if book.quoteWords(in: window).contains(where: { $0.word == .wrote }) { return true }
            if window.contains(UInt8(ascii: "@")), window.contains(UInt8(ascii: "<")), window.contains(where: { $0 >= 48 && $0 <= 57 }) {
                return true
            }
            return false
        }
        return false
    }

    /// The field a line starts with when it is a quoted header label ("Von:", "De :", "差出人:"), if it is one.
    static func leadingLabel(_ line: [UInt8], book: PhraseBook) -> String? {
        // Every label is followed by a colon soon after the start of the line; most lines have none there.
        guard line.prefix(book.longestQuoteWord + 8).contains(UInt8(ascii: ":")) else { return nil }
        var bytes = line
        if bytes.first == UInt8(ascii: "*") { bytes.removeFirst() }  // *From:* in Outlook's plain text of bold labels
        for (word, _, end) in book.leadingQuoteWords(in: bytes) {
            guard case .field(let field) = word else { continue }
            var rest = bytes[end...]
            if rest.first == UInt8(ascii: "*") { rest = rest.dropFirst() }
            if rest.first == 32 { rest = rest.dropFirst() }
            if rest.first == UInt8(ascii: ":") { return field }
        }
        return nil
    }
}
