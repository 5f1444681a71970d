/// A strict RFC 8259 parser over UTF-8 bytes that records positions and rejects what people mistype.
///
/// Written by hand because no package in the mirror reports source positions for JSON values; it is small, has
/// no recursion beyond `maximumDepth`, and is fuzzed in `JSONParserPropertyTests`. Duplicate keys are reported
/// (a JSON object that sets `delay` twice would otherwise keep one silently).
public struct JSONParser {
    public static let maximumDepth = 64

    public struct SyntaxError: Error, Sendable, Equatable {
        public var message: String
        public var position: SourcePosition
    }

    public struct Result: Sendable {
        /// Nil when the bytes are not JSON; `diagnostics` then holds the syntax error.
        public var value: JSONValue?
        public var diagnostics: [Diagnostic]
    }

    /// Parses `bytes`, naming `file` in every diagnostic.
    public static func parse(_ bytes: some Collection<UInt8>, file: String) -> Result {
        var parser = JSONParser(bytes: Array(bytes), file: file)
        do {
            let value = try parser.parseDocument()
            return Result(value: value, diagnostics: parser.warnings)
        } catch {
            return Result(
                value: nil,
                diagnostics: [.error("invalid JSON: \(error.message)", file: file, at: error.position)]
            )
        }
    }

    private let bytes: [UInt8]
    private let file: String
    private var index = 0
    private var line = 1
    private var column = 1
    private var depth = 0
    private var warnings: [Diagnostic] = []

    private init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    private var position: SourcePosition { SourcePosition(line: line, column: column) }
    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func advance() {
        let byte = bytes[index]
        index += 1
        if byte == UInt8(ascii: "\n") {
            line += 1
            column = 1
        } else if byte & 0xC0 != 0x80 {
            // A UTF-8 continuation byte belongs to the scalar already counted.
            column += 1
        }
    }

    private mutating func parseDocument() throws(SyntaxError) -> JSONValue {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            index = 3  // A byte order mark is tolerated; it occupies no column.
        }
        skipWhitespace()
        guard current != nil else { throw SyntaxError(message: "the file is empty; expected a JSON object", position: position) }
        let value = try parseValue()
        skipWhitespace()
        if current != nil {
            throw SyntaxError(message: "unexpected \(describeCurrent()) after the end of the document", position: position)
        }
        return value
    }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            advance()
        }
    }

    private func describeCurrent() -> String {
        guard let byte = current else { return "end of file" }
        switch byte {
        case 0x20...0x7E: return "'\(Character(UnicodeScalar(byte)))'"
        default: return "byte 0x\(String(byte, radix: 16, uppercase: true))"
        }
    }

    private mutating func parseValue() throws(SyntaxError) -> JSONValue {
        let start = position
        guard let byte = current else { throw SyntaxError(message: "unexpected end of file; expected a value", position: start) }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return JSONValue(kind: .string(try parseString()), position: start)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return JSONValue(kind: .number(try parseNumber()), position: start)
        case UInt8(ascii: "t"): try expectLiteral("true"); return JSONValue(kind: .bool(true), position: start)
        case UInt8(ascii: "f"): try expectLiteral("false"); return JSONValue(kind: .bool(false), position: start)
        case UInt8(ascii: "n"): try expectLiteral("null"); return JSONValue(kind: .null, position: start)
        case UInt8(ascii: "'"):
            throw SyntaxError(message: "single quotes are not JSON; use double quotes", position: start)
        case UInt8(ascii: "/"):
            throw SyntaxError(message: "comments are not allowed in JSON; remove it (a campaign can say more in its \"description\")", position: start)
        default:
            throw SyntaxError(message: "unexpected \(describeCurrent()); expected a value", position: start)
        }
    }

    private mutating func enterContainer(at start: SourcePosition) throws(SyntaxError) {
        depth += 1
        if depth > Self.maximumDepth {
            throw SyntaxError(message: "nesting deeper than \(Self.maximumDepth) levels", position: start)
        }
    }

    private mutating func parseObject() throws(SyntaxError) -> JSONValue {
        let start = position
        try enterContainer(at: start)
        advance()  // {
        var members: [JSONValue.Member] = []
        var seen: [String: SourcePosition] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            advance()
            depth -= 1
            return JSONValue(kind: .object(members), position: start)
        }
        while true {
            skipWhitespace()
            let keyPosition = position
            switch current {
            case UInt8(ascii: "\"")?: break
            case nil: throw unclosed("object", openedAt: start)
            case UInt8(ascii: "}")?:
                throw SyntaxError(message: "trailing comma before '}'; remove the last comma", position: keyPosition)
            case UInt8(ascii: "'")?:
                throw SyntaxError(message: "single quotes are not JSON; put the key in double quotes", position: keyPosition)
            case UInt8(ascii: "/")?:
                throw SyntaxError(message: "comments are not allowed in JSON; remove it (a campaign can say more in its \"description\")", position: keyPosition)
            default:
                throw SyntaxError(message: "expected a key in double quotes, found \(describeCurrent())", position: keyPosition)
            }
            let key = try parseString()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else {
                if current == nil { throw unclosed("object", openedAt: start) }
                throw SyntaxError(message: "expected ':' after the key \"\(key)\", found \(describeCurrent())", position: position)
            }
            advance()
            skipWhitespace()
            let value = try parseValue()
            if let first = seen[key] {
                warnings.append(
                    .error(
                        "duplicate key \"\(key)\" (first set at line \(first.line)); JSON keeps only one, so remove the other",
                        file: file, at: keyPosition))
            } else {
                seen[key] = keyPosition
            }
            members.append(JSONValue.Member(key: key, keyPosition: keyPosition, value: value))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ",")?: advance()
            case UInt8(ascii: "}")?:
                advance()
                depth -= 1
                return JSONValue(kind: .object(members), position: start)
            case nil: throw unclosed("object", openedAt: start)
            case UInt8(ascii: "/")?:
                throw SyntaxError(message: "comments are not allowed in JSON; remove it (a campaign can say more in its \"description\")", position: position)
            case UInt8(ascii: "\"")?:
                throw SyntaxError(message: "expected ',' or '}' after the value of \"\(key)\"; is a comma missing?", position: position)
            default:
                throw SyntaxError(message: "expected ',' or '}' after the value of \"\(key)\", found \(describeCurrent())", position: position)
            }
        }
    }

    private mutating func parseArray() throws(SyntaxError) -> JSONValue {
        let start = position
        try enterContainer(at: start)
        advance()  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            advance()
            depth -= 1
            return JSONValue(kind: .array(elements), position: start)
        }
        while true {
            skipWhitespace()
            switch current {
            case nil: throw unclosed("array", openedAt: start)
            case UInt8(ascii: "]")?:
                throw SyntaxError(message: "trailing comma before ']'; remove the last comma", position: position)
            default: break
            }
            elements.append(try parseValue())
            skipWhitespace()
            switch current {
            case UInt8(ascii: ",")?: advance()
            case UInt8(ascii: "]")?:
                advance()
                depth -= 1
                return JSONValue(kind: .array(elements), position: start)
            case nil: throw unclosed("array", openedAt: start)
            default:
                throw SyntaxError(message: "expected ',' or ']' in the array, found \(describeCurrent()); is a comma missing?", position: position)
            }
        }
    }

    private func unclosed(_ what: String, openedAt start: SourcePosition) -> SyntaxError {
        SyntaxError(message: "unexpected end of file; the \(what) opened at line \(start.line), column \(start.column) is not closed", position: position)
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(SyntaxError) {
        let start = position
        let expected = literal.withUTF8Buffer { Array($0) }
        for byte in expected {
            guard current == byte else {
                throw SyntaxError(message: "unexpected \(describeCurrent()); did you mean \(literal)? (strings need double quotes)", position: start)
            }
            advance()
        }
        if let next = current, isIdentifierByte(next) {
            throw SyntaxError(message: "unexpected \(describeCurrent()) after \(literal); strings need double quotes", position: start)
        }
    }

    private func isIdentifierByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
    }

    private mutating func parseNumber() throws(SyntaxError) -> String {
        let start = position
        let startIndex = index
        func digits(_ parser: inout JSONParser) -> Int {
            var count = 0
            while let byte = parser.current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                parser.advance()
                count += 1
            }
            return count
        }
        if current == UInt8(ascii: "-") { advance() }
        if current == UInt8(ascii: "0") {
            advance()
            if let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                throw SyntaxError(message: "numbers cannot have leading zeros", position: start)
            }
        } else if digits(&self) == 0 {
            throw SyntaxError(message: "expected a digit after '-'", position: start)
        }
        if current == UInt8(ascii: ".") {
            advance()
            if digits(&self) == 0 { throw SyntaxError(message: "expected a digit after the decimal point", position: position) }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            advance()
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { advance() }
            if digits(&self) == 0 { throw SyntaxError(message: "expected a digit in the exponent", position: position) }
        }
        if let next = current, isIdentifierByte(next) {
            throw SyntaxError(message: "unexpected \(describeCurrent()) in a number; write text in double quotes, e.g. \"3d\"", position: start)
        }
        return String(decoding: bytes[startIndex..<index], as: UTF8.self)
    }

    private mutating func parseString() throws(SyntaxError) -> String {
        let start = position
        advance()  // opening quote
        var scalars = String.UnicodeScalarView()
        var pendingHighSurrogate: UInt32?
        while true {
            guard let byte = current else {
                throw SyntaxError(message: "unexpected end of file in the string that starts at line \(start.line), column \(start.column)", position: position)
            }
            let here = position
            if byte != UInt8(ascii: "\\"), pendingHighSurrogate != nil {
                throw SyntaxError(message: "a \\u escape for a high surrogate must be followed by a low surrogate", position: here)
            }
            switch byte {
            case UInt8(ascii: "\""):
                advance()
                return String(scalars)
            case UInt8(ascii: "\\"):
                advance()
                guard let escape = current else { continue }
                advance()
                var scalarValue: UInt32
                switch escape {
                case UInt8(ascii: "\""): scalarValue = 0x22
                case UInt8(ascii: "\\"): scalarValue = 0x5C
                case UInt8(ascii: "/"): scalarValue = 0x2F
                case UInt8(ascii: "b"): scalarValue = 0x08
                case UInt8(ascii: "f"): scalarValue = 0x0C
                case UInt8(ascii: "n"): scalarValue = 0x0A
                case UInt8(ascii: "r"): scalarValue = 0x0D
                case UInt8(ascii: "t"): scalarValue = 0x09
                case UInt8(ascii: "u"):
                    scalarValue = 0
                    for _ in 0..<4 {
                        guard let hex = current, let digit = hexValue(hex) else {
                            throw SyntaxError(message: "\\u must be followed by four hexadecimal digits", position: here)
                        }
                        advance()
                        scalarValue = scalarValue << 4 | digit
                    }
                default:
                    throw SyntaxError(message: "invalid escape '\\\(Character(UnicodeScalar(escape)))' in a string; to write a backslash use \\\\", position: here)
                }
                if let high = pendingHighSurrogate {
                    guard (0xDC00...0xDFFF).contains(scalarValue) else {
                        throw SyntaxError(message: "a \\u escape for a high surrogate must be followed by a low surrogate", position: here)
                    }
                    scalarValue = 0x10000 + ((high - 0xD800) << 10) + (scalarValue - 0xDC00)
                    pendingHighSurrogate = nil
                } else if (0xD800...0xDBFF).contains(scalarValue) {
                    pendingHighSurrogate = scalarValue
                    continue
                } else if (0xDC00...0xDFFF).contains(scalarValue) {
                    throw SyntaxError(message: "a lone low surrogate \\u escape is not a character", position: here)
                }
                scalars.append(UnicodeScalar(scalarValue)!)
            case 0x00..<0x20:
                throw SyntaxError(message: "a line break or control character inside a string; write it as \\n or \\t", position: here)
            case 0x00..<0x80:
                advance()
                scalars.append(UnicodeScalar(byte))
            default:
                guard let scalar = decodeUTF8Scalar() else {
                    throw SyntaxError(message: "invalid UTF-8; save the file as UTF-8", position: here)
                }
                scalars.append(scalar)
            }
        }
    }

    private func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// Decodes one multi-byte scalar at `index`, rejecting overlong forms, surrogates and truncation.
    private mutating func decodeUTF8Scalar() -> UnicodeScalar? {
        let lead = bytes[index]
        let length: Int
        let minimum: UInt32
        var value: UInt32
        switch lead {
        case 0xC2...0xDF: length = 2; minimum = 0x80; value = UInt32(lead & 0x1F)
        case 0xE0...0xEF: length = 3; minimum = 0x800; value = UInt32(lead & 0x0F)
        case 0xF0...0xF4: length = 4; minimum = 0x10000; value = UInt32(lead & 0x07)
        default: return nil
        }
        guard index + length <= bytes.count else { return nil }
        for offset in 1..<length {
            let byte = bytes[index + offset]
            guard byte & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        guard value >= minimum, let scalar = UnicodeScalar(value) else { return nil }
        for _ in 0..<length { advance() }
        return scalar
    }
}
