import Foundation

/// A received or stored message, parsed leniently: CRLF or bare LF, folded headers, nested multiparts, either
/// transfer encoding. The fake Gmail reads sent mail with it and the reply classifier reads incoming mail, so it
/// must accept what real mail systems produce, not only what Cadence writes.
public struct MailMessage: Sendable {
    public struct Header: Sendable, Equatable {
        public var name: String
        /// Unfolded, with encoded words left as they are.
        public var value: String
    }

    public var headers: [Header]
    /// This part's body, still transfer-encoded.
    public var body: [UInt8]
    /// The sub-parts of a multipart, and the message inside a `message/rfc822` part.
    public var parts: [MailMessage]

    public func header(_ name: String) -> String? {
        headers.first { Self.sameName($0.name, name) }?.value
    }

    public func headers(named name: String) -> [String] {
        headers.filter { Self.sameName($0.name, name) }.map(\.value)
    }

    /// Header names are ASCII and compared without case; comparing bytes spares a lowercased copy of every name
    /// on every lookup, which reading one message does hundreds of times.
    static func sameName(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count
            && zip(a.utf8, b.utf8).allSatisfy { x, y in x == y || (x | 0x20 == y | 0x20 && (x | 0x20 >= 97 && x | 0x20 <= 122)) }
    }

    /// `type/subtype`, lowercased; `text/plain` when absent, as RFC 2045 says.
    public var mimeType: String {
        guard let value = header("Content-Type") else { return "text/plain" }
        let type = value.utf8.firstIndex(of: UInt8(ascii: ";")).map { value[..<$0] } ?? value[...]
        let trimmed = type.trimmed().lowercased()
        return trimmed.isEmpty ? "text/plain" : trimmed
    }

    /// A parameter of `Content-Type` (or of `header`), unquoted and decoded: RFC 2231 (`name*=charset'lang'%E2%80%A6`
    /// and its numbered continuations `name*0*=`, `name*1=`) and the RFC 2047 encoded words many clients put in
    /// quoted values instead.
    public func parameter(_ name: String, of header: String = "Content-Type") -> String? {
        guard let value = self.header(header) else { return nil }
        return MIMEParameters.value(of: name, in: value)
    }

    /// The body with its transfer encoding undone.
    public var decodedBody: [UInt8] {
        switch header("Content-Transfer-Encoding")?.trimmed().lowercased() {
        case "quoted-printable": QuotedPrintable.decode(body)
        case "base64": Base64.decode(body.filter { $0 != 13 && $0 != 10 && $0 != 32 && $0 != 9 }) ?? body
        default: body
        }
    }

    /// The decoded body as text in the charset it declares (`Charset`), with line ends as `\n`.
    public var text: String {
        let decoded = Charset.decode(decodedBody, charset: parameter("charset"))
        guard decoded.utf8.contains(13) else { return decoded }
        let bytes = Array(decoded.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for (index, byte) in bytes.enumerated() where byte != 13 || index + 1 == bytes.count || bytes[index + 1] != 10 { out.append(byte) }
        return String(decoding: out, as: UTF8.self)
    }

    /// This part and every part inside it, depth first.
    public var allParts: [MailMessage] {
        [self] + parts.flatMap(\.allParts)
    }

    /// The first `text/plain` part that is not an attachment, else the first `text/html` with tags removed.
    public var plainText: String? {
        let leaves = allParts.filter { $0.parts.isEmpty && $0.parameter("filename", of: "Content-Disposition") == nil }
        if let plain = leaves.first(where: { $0.mimeType == "text/plain" }) { return plain.text }
        if let html = leaves.first(where: { $0.mimeType == "text/html" }) {
            return Self.withoutTags(html.text)
        }
        return nil
    }

    /// Each `<…>` tag replaced by a space, as the regular expression `<[^>]+>` would, in one pass over the bytes.
    static func withoutTags(_ html: String) -> String {
        let bytes = Array(html.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "<"), index + 1 < bytes.count, bytes[index + 1] != UInt8(ascii: ">") {
                // With no `>` after it, no later `<` can start a tag either: the rest is text.
                guard let close = bytes[(index + 1)...].firstIndex(of: UInt8(ascii: ">")) else {
                    out += bytes[index...]
                    break
                }
                out.append(32)
                index = close + 1
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The message, or why it cannot be read at all. Damage a mail client would read past is read past: a
    /// header line without a colon, a multipart whose boundary is missing or never appears (its body is read as
    /// one text part). Only parts nested more than 20 deep make a message unreadable.
    public static func parse(_ bytes: [UInt8]) throws(MailParseError) -> MailMessage {
        try parse(bytes[...], depth: 0)
    }

    /// The header block at the start of `bytes`, unfolded; a line that is not a header is left out. For a message
    /// that cannot be parsed as a whole, this still tells who sent it and what it answers.
    public static func headerBlock(_ bytes: [UInt8]) -> [Header] {
        headerBlock(bytes[...]).headers
    }

    private static func headerBlock(_ bytes: ArraySlice<UInt8>) -> (headers: [Header], bodyStart: Int) {
        // Up to the first empty line (CRLF CRLF or LF LF).
        var headers: [Header] = []
        var index = bytes.startIndex
        var bodyStart = bytes.endIndex
        var continuable = false
        while index < bytes.endIndex {
            var end = index
            while end < bytes.endIndex, bytes[end] != 10 { end += 1 }
            var line = bytes[index..<end]
            if line.last == 13 { line = line.dropLast() }
            index = end < bytes.endIndex ? end + 1 : end
            if line.isEmpty { bodyStart = index; break }
            if line.first == 32 || line.first == 9 {
                // A folded line continues the header before it; one that follows a dropped line is dropped too.
                if continuable { headers[headers.count - 1].value += String(decoding: line, as: UTF8.self) }
                continue
            }
            // A line that is not `name: value` (a broken mailer's stray text) is left out, not fatal.
            guard let colon = line.firstIndex(of: 58), colon > line.startIndex,
                line[line.startIndex..<colon].allSatisfy({ $0 > 32 && $0 < 127 })
            else {
                continuable = false
                continue
            }
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
            headers.append(Header(name: name, value: String(decoding: line[(colon + 1)...], as: UTF8.self).trimmed()))
            continuable = true
        }
        return (headers, bodyStart)
    }

    private static func parse(_ bytes: ArraySlice<UInt8>, depth: Int) throws(MailParseError) -> MailMessage {
        guard depth < 20 else { throw MailParseError("MIME parts are nested more than 20 deep") }
        let (headers, bodyStart) = headerBlock(bytes)
        var message = MailMessage(headers: headers, body: Array(bytes[bodyStart...]), parts: [])
        let type = message.mimeType
        if type.hasPrefix("multipart/") {
            let declared = message.parameter("boundary").flatMap { $0.isEmpty ? nil : $0 }
            if let boundary = declared ?? guessedBoundary(message.body), let pieces = splitParts(message.body, boundary: boundary) {
                message.parts = try pieces.map { (piece) throws(MailParseError) in try parse(piece[...], depth: depth + 1) }
            } else {
                // No way to split it: what it holds is read as one text part, so its words still count.
                message.parts = [MailMessage(headers: [Header(name: "Content-Type", value: "text/plain")], body: message.body, parts: [])]
            }
        } else if type == "message/rfc822" || type == "message/global" {
            if let inner = try? parse(message.decodedBody[...], depth: depth + 1) { message.parts = [inner] }
        } else if type == "message/delivery-status" {
            // Header-like groups separated by blank lines: parse each group as a part with no body.
            var groups: [MailMessage] = []
            var rest = message.decodedBody[...]
            while !rest.isEmpty {
                let group = try parse(rest, depth: depth + 1)
                if !group.headers.isEmpty { groups.append(MailMessage(headers: group.headers, body: [], parts: [])) }
                if group.body.count >= rest.count { break }
                rest = group.body[...]
            }
            message.parts = groups
        }
        return message
    }

    /// A multipart that forgot its boundary parameter: the first line of its body that starts with `--` is taken
    /// to be the first delimiter.
    private static func guessedBoundary(_ body: [UInt8]) -> String? {
        for line in body.split(separator: 10, omittingEmptySubsequences: true) {
            var text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard text.hasPrefix("--"), text.count > 2 else { continue }
            text.removeFirst(2)
            if text.hasSuffix("--") { text.removeLast(2) }
            return text.isEmpty || text.contains(" ") ? nil : text
        }
        return nil
    }

    /// The parts between the delimiters, or nil when the boundary never appears in the body.
    private static func splitParts(_ body: [UInt8], boundary: String) -> [[UInt8]]? {
        let delimiter = Array("--\(boundary)".utf8)
        var pieces: [[UInt8]] = []
        var start: Int?
        var lineStart = 0
        var closed = false
        while lineStart < body.count {
            var end = lineStart
            while end < body.count, body[end] != 10 { end += 1 }
            let line = body[lineStart..<end]
            if line.starts(with: delimiter) {
                let after = line.dropFirst(delimiter.count)
                let isClose = after.starts(with: [45, 45])
                let rest = isClose ? after.dropFirst(2) : after
                if rest.allSatisfy({ $0 == 13 || $0 == 32 || $0 == 9 }) {
                    if let begin = start {
                        var stop = lineStart
                        if stop > begin, body[stop - 1] == 10 { stop -= 1 }
                        if stop > begin, body[stop - 1] == 13 { stop -= 1 }
                        pieces.append(Array(body[begin..<max(begin, stop)]))
                    }
                    if isClose { closed = true; break }
                    start = end < body.count ? end + 1 : end
                }
            }
            lineStart = end + 1
        }
        guard start != nil || closed else { return nil }
        if !closed, let begin = start { pieces.append(Array(body[begin...])) }  // lenient: an unclosed last part
        return pieces
    }
}

/// Why bytes are not a readable message.
public struct MailParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Addresses out of `To`, `Cc`, `From` and the like: `"Ana Ruiz" <ana@example.org>, bo@example.org`.
public enum AddressList {
    public static func addresses(in value: String) -> [String] {
        var results: [String] = []
        var current = ""
        var quoted = false, angle = false, comment = 0
        func flush() {
            let item = current.trimmed()
            current = ""
            guard !item.isEmpty else { return }
            if let open = item.lastIndex(of: "<"), let close = item.lastIndex(of: ">"), open < close {
                results.append(String(item[item.index(after: open)..<close]).trimmed())
            } else if item.contains("@") {
                results.append(item)
            }
        }
        for character in value {
            switch character {
            case "\"" where !angle && comment == 0: quoted.toggle(); current.append(character)
            case "<" where !quoted: angle = true; current.append(character)
            case ">" where !quoted: angle = false; current.append(character)
            case "(" where !quoted && !angle: comment += 1
            case ")" where !quoted && !angle && comment > 0: comment -= 1
            case "," where !quoted && !angle && comment == 0: flush()
            default: if comment == 0 { current.append(character) }
            }
        }
        flush()
        return results
    }
}
