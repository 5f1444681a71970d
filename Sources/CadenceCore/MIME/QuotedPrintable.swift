/// RFC 2045 §6.7 quoted-printable for text bodies: readable where ASCII, lines at most 76 characters, CRLF endings.
public enum QuotedPrintable {
    private static let hex = Array("0123456789ABCDEF".utf8)

    /// Encodes `text` (any line endings) as quoted-printable UTF-8 with CRLF line breaks, appended to `output`.
    public static func encode(_ text: String, into output: inout [UInt8]) {
        var line: [UInt8] = []
        line.reserveCapacity(80)
        var bytes = Array(text.utf8)
        if bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\r"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") {
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\n") {
                // Trailing white space would be stripped in transit: encode it.
                if let last = line.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") {
                    line.removeLast()
                    appendEncoded(last, to: &line, output: &output)
                }
                output += line
                output += [13, 10]
                line.removeAll(keepingCapacity: true)
                index += 1
                continue
            }
            let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
            // "." alone at a line start and "From " are safe with the API, but some relays mangle them.
            let atLineStart = line.isEmpty
            if literal && !(atLineStart && (byte == UInt8(ascii: ".") || (byte == UInt8(ascii: "F") && bytes[index...].starts(with: Array("From ".utf8))))) {
                if line.count >= 75 { softBreak(&line, output: &output) }
                line.append(byte)
            } else {
                appendEncoded(byte, to: &line, output: &output)
            }
            index += 1
        }
        if !line.isEmpty {
            output += line
            output += [13, 10]
        }
    }

    private static func appendEncoded(_ byte: UInt8, to line: inout [UInt8], output: inout [UInt8]) {
        if line.count >= 73 { softBreak(&line, output: &output) }
        line.append(UInt8(ascii: "="))
        line.append(hex[Int(byte >> 4)])
        line.append(hex[Int(byte & 0x0F)])
    }

    private static func softBreak(_ line: inout [UInt8], output: inout [UInt8]) {
        output += line
        output += [UInt8(ascii: "="), 13, 10]
        line.removeAll(keepingCapacity: true)
    }

    public static func decode(_ encoded: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        func value(_ b: UInt8) -> UInt8? {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
            // Lowercase hex is not canonical (RFC 2045 §6.7) but mail systems write it, and it says what it means.
            case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        while index < encoded.count {
            let byte = encoded[index]
            if byte == UInt8(ascii: "=") {
                // A soft line break: "=" then optional trailing white space (which transports add) then CRLF or LF.
                var end = index + 1
                while end < encoded.count, encoded[end] == 32 || encoded[end] == 9 { end += 1 }
                if end < encoded.count, encoded[end] == 10 {
                    index = end + 1
                    continue
                }
                if end + 1 < encoded.count, encoded[end] == 13, encoded[end + 1] == 10 {
                    index = end + 2
                    continue
                }
                if end == encoded.count {
                    index = end
                    continue
                }
            }
            if byte == UInt8(ascii: "="), index + 2 < encoded.count, let high = value(encoded[index + 1]), let low = value(encoded[index + 2]) {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(byte)
                index += 1
            }
        }
        return output
    }
}
