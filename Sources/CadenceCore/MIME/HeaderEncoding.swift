import Foundation

/// Header values as RFC 5322 and RFC 2047 require: ASCII only, folded lines, encoded words for anything else.
public enum HeaderEncoding {
    /// An unstructured value (Subject): as is when printable ASCII, else UTF-8 "B" encoded words of at most
    /// 75 characters, never splitting a character; folded with CRLF + space.
    public static func unstructured(_ value: String, headerName: String) -> String {
        if isPlain(value) {
            return fold(value, firstLineUsed: headerName.count + 2)
        }
        return encodedWords(value).joined(separator: "\r\n ")
    }

    /// Printable ASCII that no client would decode as an encoded word and that folds into short lines.
    /// Anything else (non-ASCII, text that looks like `=?…?=`, a word too long to fold) goes as encoded words.
    static func isPlain(_ value: String) -> Bool {
        value.unicodeScalars.allSatisfy({ $0.value >= 32 && $0.value < 127 }) && !value.contains("=?")
            && !value.split(separator: " ").contains { $0.count > 60 }
    }

    /// `Display Name <address>`: the name quoted when it holds specials, encoded when it is not ASCII.
    public static func mailbox(name: String?, address: String) -> String {
        guard let name, !name.allSatisfy(\.isWhitespace) else { return address }
        if isPlain(name) {
            let atext = name.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || " !#$%&'*+-/=?^_`{|}~".unicodeScalars.contains($0) }
            if atext { return "\(name) <\(address)>" }
            let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\" <\(address)>"
        }
        return encodedWords(name).joined(separator: "\r\n ") + " <\(address)>"
    }

    /// RFC 2047 words of at most 39 bytes of UTF-8 (64 characters), so even the first, after `Subject: `, keeps
    /// its line under 76 characters.
    static func encodedWords(_ value: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in value {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 39, !chunk.isEmpty {
                words.append("=?UTF-8?B?" + Base64.encodedString(chunk) + "?=")
                chunk.removeAll()
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + Base64.encodedString(chunk) + "?=") }
        return words
    }

    /// Folds at spaces so lines stay near 78 characters; a word longer than that stays whole (the limit is 998).
    static func fold(_ value: String, firstLineUsed: Int) -> String {
        guard firstLineUsed + value.count > 78 else { return value }
        var result = ""
        var lineLength = firstLineUsed
        for (index, word) in value.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
            if index == 0 {
                result += word
                lineLength += word.count
            } else if lineLength + 1 + word.count > 78, lineLength > 1 {
                result += "\r\n " + word
                lineLength = 1 + word.count
            } else {
                result += " " + word
                lineLength += 1 + word.count
            }
        }
        return result
    }

    /// `filename="…"`, or RFC 2231 `filename*=UTF-8''…` for names that are not plain ASCII.
    public static func filenameParameter(_ name: String) -> String {
        if name.unicodeScalars.allSatisfy({ $0.value >= 32 && $0.value < 127 && $0 != "\"" && $0 != "\\" }) {
            return "filename=\"\(name)\""
        }
        var encoded = ""
        for byte in name.utf8 {
            let scalar = Unicode.Scalar(byte)
            if byte < 128, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-._~".unicodeScalars.contains(scalar) {
                encoded.unicodeScalars.append(scalar)
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return "filename*=UTF-8''\(encoded)"
    }
}

extension String {
    /// `"7".leftPadded(to: 2)` is `"07"`.
    public func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}

extension HeaderEncoding {
    /// RFC 2047 encoded words back to text (`=?UTF-8?B?…?=`, `=?iso-8859-1?Q?…?=`); the space between two
    /// adjacent encoded words is dropped, as the RFC says. Anything not well formed is left as it is.
    public static func decode(_ value: String) -> String {
        var output = ""
        var rest = Substring(value)
        var previousWasEncoded = false
        while let start = rest.range(of: "=?") {
            let before = rest[..<start.lowerBound]
            let after = rest[start.upperBound...]
            let parts = after.split(separator: "?", maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count == 4, parts[3].hasPrefix("="), let decoded = decodeWord(charset: String(parts[0]), encoding: String(parts[1]), text: String(parts[2])) else {
                output += before + "=?"
                rest = after
                previousWasEncoded = false
                continue
            }
            if !(previousWasEncoded && before.allSatisfy(\.isWhitespace)) { output += before }
            output += decoded
            rest = parts[3].dropFirst()
            previousWasEncoded = true
        }
        return output + rest
    }

    private static func decodeWord(charset: String, encoding: String, text: String) -> String? {
        let bytes: [UInt8]
        switch encoding.uppercased() {
        case "B":
            guard let decoded = Base64.decode(Array(text.utf8)) else { return nil }
            bytes = decoded
        case "Q":
            var out: [UInt8] = []
            var iterator = Array(text.utf8).makeIterator()
            while let byte = iterator.next() {
                if byte == UInt8(ascii: "_") {
                    out.append(32)
                } else if byte == UInt8(ascii: "="), let high = iterator.next(), let low = iterator.next(),
                    let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                {
                    out.append(value)
                } else {
                    out.append(byte)
                }
            }
            bytes = out
        default:
            return nil
        }
        // RFC 2231 lets an encoded word name its language after a star: `=?ISO-8859-1*fr?Q?…?=`.
        return Charset.decode(bytes, charset: charset.split(separator: "*").first.map(String.init))
    }
}
