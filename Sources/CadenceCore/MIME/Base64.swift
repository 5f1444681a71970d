/// Base64 as MIME wants it (RFC 2045: 76-character lines, CRLF) and as Gmail's `raw` field wants it (RFC 4648 §5).
public enum Base64 {
    private static let standard = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let url = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Standard alphabet with padding, broken into CRLF-terminated lines of `lineLength` (nil: one line, no CRLF).
    public static func encode(_ bytes: some Collection<UInt8>, lineLength: Int? = 76, into output: inout [UInt8]) {
        encode(Array(bytes), alphabet: standard, pad: true, lineLength: lineLength, into: &output)
    }

    /// The URL-safe alphabet without padding: the `raw` field of `users.messages.send`.
    public static func urlEncoded(_ bytes: some Collection<UInt8>) -> String {
        var output: [UInt8] = []
        encode(Array(bytes), alphabet: url, pad: false, lineLength: nil, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    public static func encodedString(_ bytes: some Collection<UInt8>) -> String {
        var output: [UInt8] = []
        encode(bytes, lineLength: nil, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    private static func encode(_ bytes: [UInt8], alphabet: [UInt8], pad: Bool, lineLength: Int?, into output: inout [UInt8]) {
        output.reserveCapacity(output.count + bytes.count * 4 / 3 + bytes.count / 38 + 4)
        var column = 0
        func emit(_ byte: UInt8) {
            if let lineLength, column == lineLength {
                output += [13, 10]
                column = 0
            }
            output.append(byte)
            column += 1
        }
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            emit(alphabet[Int(chunk >> 18 & 63)])
            emit(alphabet[Int(chunk >> 12 & 63)])
            emit(alphabet[Int(chunk >> 6 & 63)])
            emit(alphabet[Int(chunk & 63)])
            index += 3
        }
        let remaining = bytes.count - index
        if remaining > 0 {
            let chunk = UInt32(bytes[index]) << 16 | (remaining == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            emit(alphabet[Int(chunk >> 18 & 63)])
            emit(alphabet[Int(chunk >> 12 & 63)])
            if remaining == 2 { emit(alphabet[Int(chunk >> 6 & 63)]) } else if pad { emit(UInt8(ascii: "=")) }
            if pad { emit(UInt8(ascii: "=")) }
        }
        if lineLength != nil, column > 0 { output += [13, 10] }
    }

    /// Decodes either alphabet, with or without padding and line breaks; nil on any other character.
    public static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in text {
            let value: UInt32
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - 65)
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - 97 + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - 48 + 52)
            case UInt8(ascii: "+"), UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "/"), UInt8(ascii: "_"): value = 63
            case UInt8(ascii: "="), 13, 10: continue
            default: return nil
            }
            buffer = buffer << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(buffer >> UInt32(bits) & 0xFF))
            }
        }
        return output
    }
}
