import CadenceCore
import Foundation

/// A strict reader of the MIME Cadence writes, used to check the writer from the outside: it unfolds headers,
/// decodes encoded words, splits multiparts and decodes quoted-printable and base64 bodies.
struct ParsedPart {
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    var parts: [ParsedPart] = []

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var contentType: String { header("Content-Type") ?? "text/plain" }

    var boundary: String? {
        guard let range = contentType.range(of: "boundary=\"") else { return nil }
        let rest = contentType[range.upperBound...]
        return String(rest[..<rest.firstIndex(of: "\"")!])
    }

    /// The body decoded per Content-Transfer-Encoding.
    var decoded: [UInt8] {
        switch header("Content-Transfer-Encoding")?.lowercased() {
        case "quoted-printable": QuotedPrintable.decode(body)
        case "base64": Base64.decode(body) ?? []
        default: body
        }
    }

    var decodedText: String { String(decoding: decoded, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n") }

    init(_ bytes: [UInt8]) throws {
        guard let split = Self.find([13, 10, 13, 10], in: bytes) else { throw ParseError("no blank line after the headers") }
        let headerText = String(decoding: bytes[..<split], as: UTF8.self)
        var headers: [(String, String)] = []
        for line in headerText.components(separatedBy: "\r\n") {
            if line.hasPrefix(" ") || line.hasPrefix("\t") {
                guard !headers.isEmpty else { throw ParseError("continuation before any header") }
                headers[headers.count - 1].1 += line  // unfolding removes only the CRLF
            } else {
                guard let colon = line.firstIndex(of: ":") else { throw ParseError("header line without a colon: \(line)") }
                headers.append((String(line[..<colon]), String(line[line.index(after: colon)...].dropFirst())))
            }
        }
        self.headers = headers
        self.body = Array(bytes[(split + 4)...])
        if let boundary {
            let delimiter = Array("--\(boundary)".utf8)
            var pieces: [[UInt8]] = []
            var start: Int?
            var index = 0
            var closed = false
            while let found = Self.find(delimiter, in: body, from: index) {
                if let begin = start { pieces.append(Array(body[begin..<(found - 2)])) }  // drop the CRLF before it
                let after = found + delimiter.count
                if body[after...].starts(with: [45, 45]) { closed = true; break }
                guard body[after...].starts(with: [13, 10]) else { throw ParseError("boundary line not followed by CRLF") }
                start = after + 2
                index = after
            }
            guard closed else { throw ParseError("multipart \(boundary) is not closed") }
            self.parts = try pieces.map { try ParsedPart($0 + [13, 10]) }
        }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int = 0) -> Int? {
        guard needle.count <= haystack.count, from <= haystack.count - needle.count else { return nil }
        outer: for i in from...(haystack.count - needle.count) {
            for j in 0..<needle.count where haystack[i + j] != needle[j] { continue outer }
            return i
        }
        return nil
    }

    /// RFC 2047 "B" words back to text.
    static func decodeWords(_ value: String) -> String {
        var output = ""
        var rest = Substring(value)
        while let start = rest.range(of: "=?UTF-8?B?") {
            output += rest[..<start.lowerBound].trimmingCharacters(in: .whitespaces).isEmpty && !output.isEmpty ? "" : String(rest[..<start.lowerBound])
            let after = rest[start.upperBound...]
            guard let end = after.range(of: "?=") else { break }
            output += String(decoding: Base64.decode(Array(after[..<end.lowerBound].utf8)) ?? [], as: UTF8.self)
            rest = after[end.upperBound...]
        }
        return output + rest
    }
}

struct ParseError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
