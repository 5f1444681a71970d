import Foundation

/// Parameters of a structured MIME header (`Content-Type: text/plain; charset="koi8-r"`), read as mail systems
/// really write them: quoted or not, with `;` inside quotes, in RFC 2231's extended form for non-ASCII values and
/// long ones split into numbered sections, or as RFC 2047 encoded words inside quotes (Outlook, older Thunderbird).
public enum MIMEParameters {
    public static func value(of name: String, in headerValue: String) -> String? {
        let wanted = name.lowercased()
        var plain: String?
        var sections: [Int: (text: String, encoded: Bool)] = [:]
        var extended: String?
        for (key, raw) in pairs(headerValue) {
            if key == wanted {
                if plain == nil { plain = raw }
            } else if key == wanted + "*" {
                if extended == nil { extended = raw }
            } else if key.hasPrefix(wanted + "*") {
                // name*0, name*0*, name*1*, …
                var rest = key.dropFirst(wanted.count + 1)
                let encoded = rest.hasSuffix("*")
                if encoded { rest = rest.dropLast() }
                if let index = Int(rest), index >= 0, index < 1000, sections[index] == nil { sections[index] = (raw, encoded) }
            }
        }
        if let extended { return decodeExtended(extended, continuing: []) }
        if !sections.isEmpty {
            var ordered: [(text: String, encoded: Bool)] = []
            var index = 0
            while let section = sections[index] {  // sections stop at the first gap, as RFC 2231 §3 says
                ordered.append(section)
                index += 1
            }
            if let first = ordered.first {
                if first.encoded { return decodeExtended(first.text, continuing: Array(ordered.dropFirst())) }
                return ordered.map { $0.encoded ? percentDecodedASCII($0.text) : $0.text }.joined()
            }
        }
        return plain.map { $0.contains("=?") ? HeaderEncoding.decode($0) : $0 }
    }

    /// `charset'language'percent-encoded`, then the later sections (percent-encoded only where marked `*`), all
    /// in the first section's charset.
    static func decodeExtended(_ first: String, continuing: [(text: String, encoded: Bool)]) -> String {
        let pieces = first.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3 else { return first }
        var bytes = percentDecoded(String(pieces[2]))
        for section in continuing { bytes += section.encoded ? percentDecoded(section.text) : Array(section.text.utf8) }
        return Charset.decode(bytes, charset: String(pieces[0]))
    }

    static func percentDecoded(_ text: String) -> [UInt8] { PercentEncoding.decode(text, strict: false) ?? [] }

    static func percentDecodedASCII(_ text: String) -> String { String(decoding: percentDecoded(text), as: UTF8.self) }

    /// The `key=value` pairs after the first `;`, keys lowercased, values unquoted (backslash escapes undone).
    static func pairs(_ headerValue: String) -> [(String, String)] {
        var result: [(String, String)] = []
        var scalars = Array(headerValue.unicodeScalars)[...]
        // Skip the type itself, up to the first `;` outside quotes.
        func skipToSemicolon() {
            var quoted = false
            while let scalar = scalars.first {
                scalars = scalars.dropFirst()
                if scalar == "\"" { quoted.toggle() } else if scalar == ";", !quoted { return }
            }
        }
        skipToSemicolon()
        while !scalars.isEmpty {
            var key = ""
            while let scalar = scalars.first, scalar != "=", scalar != ";" {
                key.unicodeScalars.append(scalar)
                scalars = scalars.dropFirst()
            }
            guard scalars.first == "=" else {
                scalars = scalars.dropFirst()
                continue
            }
            scalars = scalars.dropFirst()
            while let scalar = scalars.first, scalar == " " || scalar == "\t" { scalars = scalars.dropFirst() }
            var value = ""
            if scalars.first == "\"" {
                scalars = scalars.dropFirst()
                var escaped = false
                while let scalar = scalars.first {
                    scalars = scalars.dropFirst()
                    if escaped {
                        value.unicodeScalars.append(scalar)
                        escaped = false
                    } else if scalar == "\\" {
                        escaped = true
                    } else if scalar == "\"" {
                        break
                    } else {
                        value.unicodeScalars.append(scalar)
                    }
                }
                skipToSemicolon()
            } else {
                while let scalar = scalars.first, scalar != ";" {
                    value.unicodeScalars.append(scalar)
                    scalars = scalars.dropFirst()
                }
                scalars = scalars.dropFirst()
                value = value.trimmed()
            }
            let trimmedKey = key.trimmed().lowercased()
            if !trimmedKey.isEmpty { result.append((trimmedKey, value)) }
        }
        return result
    }
}
