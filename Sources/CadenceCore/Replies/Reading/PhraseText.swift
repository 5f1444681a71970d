import Foundation

/// The one normal form both phrases and message text are matched in: lowercase, typographic apostrophes and
/// full-width colons made plain, every run of white space (line breaks included, since mail wraps lines anywhere)
/// one space, and composed characters (a Mac client's decomposed "é" is the table's "é").
enum PhraseText {
    /// One pass over the UTF-8 bytes: ASCII (most of any mail, whatever its language) is lowercased and
    /// classified byte by byte; only other scalars pay for Unicode's case and white-space tables.
    static func normalized(_ text: some StringProtocol) -> [UInt8] {
        // U+0300…U+036F, the combining marks a decomposed "é" carries, start with 0xCC or 0xCD in UTF-8.
        if text.utf8.contains(where: { $0 == 0xCC || $0 == 0xCD }), text.unicodeScalars.contains(where: { (0x300...0x36F).contains($0.value) }) {
            return normalizedComposed(String(text).precomposedStringWithCanonicalMapping)
        }
        return normalizedComposed(text)
    }

    private static func normalizedComposed(_ source: some StringProtocol) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(source.utf8.count)
        var pendingSpace = false
        func append(_ scalar: Unicode.Scalar) {
            var value = scalar
            switch scalar.value {
            case 0x2019, 0x2018, 0x02BC, 0x00B4, 0x0060: value = "'"
            case 0xFF1A: value = ":"
            case 0x0307: return  // Turkish İ lowercases to i + combining dot: match it as i
            default: break
            }
            if value.properties.isWhitespace || value.value == 0xA0 || value.value == 0x200B || value.value == 0xFEFF {
                pendingSpace = !out.isEmpty
                return
            }
            if pendingSpace {
                out.append(32)
                pendingSpace = false
            }
            out.append(contentsOf: UTF8.encode(value)!)
        }
        var scalars = source.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            let value = scalar.value
            guard value < 0x80 else {
                if scalar.properties.changesWhenLowercased {
                    for lower in scalar.properties.lowercaseMapping.unicodeScalars { append(lower) }
                } else {
                    append(scalar)
                }
                continue
            }
            var byte = UInt8(value)
            switch byte {
            case 0x09...0x0D, 0x20:
                pendingSpace = !out.isEmpty
                continue
            case 0x41...0x5A: byte += 32
            case 0x60: byte = 0x27
            default: break
            }
            if pendingSpace {
                out.append(32)
                pendingSpace = false
            }
            out.append(byte)
        }
        return out
    }

    static func normalizedString(_ text: String) -> String { String(decoding: normalized(text), as: UTF8.self) }

    /// A letter or digit of a script written with spaces between words (Latin, Cyrillic, Greek …), where a phrase
    /// must be a whole word; CJK and Hangul are written without such boundaries.
    static func isSpacedWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.properties.isAlphabetic || scalar.properties.numericType != nil else { return false }
        switch scalar.value {
        case 0x1100...0x11FF, 0x3040...0x30FF, 0x3130...0x318F, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xAC00...0xD7AF,
            0xF900...0xFAFF, 0xFF00...0xFFEF, 0x20000...0x2FFFF:
            return false
        default:
            return true
        }
    }

    /// Whether the character that ends just before byte `index` is a spaced-script word character.
    static func wordCharacter(endingAt index: Int, in text: [UInt8]) -> Bool {
        guard index > 0 else { return false }
        var start = index - 1
        while start > 0, text[start] & 0xC0 == 0x80 { start -= 1 }
        return scalar(at: start, in: text).map(isSpacedWordCharacter) ?? false
    }

    /// Whether the character that starts at byte `index` is a spaced-script word character.
    static func wordCharacter(startingAt index: Int, in text: [UInt8]) -> Bool {
        guard index < text.count else { return false }
        return scalar(at: index, in: text).map(isSpacedWordCharacter) ?? false
    }

    private static func scalar(at index: Int, in text: [UInt8]) -> Unicode.Scalar? {
        let lead = text[index]
        if lead < 0x80 { return Unicode.Scalar(lead) }
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
        guard index + length <= text.count else { return nil }
        var decoder = UTF8()
        var iterator = text[index..<(index + length)].makeIterator()
        if case .scalarValue(let scalar) = decoder.decode(&iterator) { return scalar }
        return nil
    }
}
