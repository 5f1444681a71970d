import Foundation

/// Rewrites the links of a message's HTML (and, when asked, its text) to signed click links, and adds the open
/// pixel. Returns the original address of each rewritten link in order: link n of the message is `links[n - 1]`,
/// which the runner records with the send, so a click is redirected to what was sent and nothing else.
///
/// Only `http://` and `https://` links are rewritten: `mailto:`, `tel:`, anchors and the unsubscribe link stay.
/// A message with more than 255 links keeps the rest as they are (a token names its link in one byte).
public enum LinkRewriter {
    public struct Result: Sendable, Equatable {
        public var html: String
        public var text: String
        public var links: [String]
    }

    public static func rewrite(html: String, text: String, trackingID: String, plan: TrackingPlan) -> Result {
        var links: [String] = []
        func tracked(_ url: String) -> String? {
            let lower = url.lowercased()
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), !plan.isOwn(url), links.count < 255 else { return nil }
            if let index = links.firstIndex(of: url) {
                return plan.url(TrackingToken(kind: .click, sendTrackingID: trackingID, link: index + 1))
            }
            links.append(url)
            return plan.url(TrackingToken(kind: .click, sendTrackingID: trackingID, link: links.count))
        }
        var newHTML = plan.options.clicks ? rewriteAnchors(html, tracked) : html
        var newText = text
        if plan.options.clicks, plan.options.textLinks { newText = rewriteText(text, tracked) }
        if plan.options.opens {
            let pixel =
                "<img src=\"\(plan.url(TrackingToken(kind: .open, sendTrackingID: trackingID)))\" width=\"1\" height=\"1\" alt=\"\" style=\"border:0;width:1px;height:1px\">"
            if let close = newHTML.range(of: "</body>", options: .backwards) {
                newHTML.insert(contentsOf: pixel + "\n", at: close.lowerBound)
            } else {
                newHTML += pixel
            }
        }
        return Result(html: newHTML, text: newText, links: links)
    }

    /// Each `href` of an `<a>` or `<area>` tag, unescaped, replaced by what `tracked` gives for it (escaped), or
    /// left alone. Tags are read attribute by attribute, quotes respected, so an `href=` written inside another
    /// attribute's value (a merge value with spaces) is that value's text, never a link.
    static func rewriteAnchors(_ html: String, _ tracked: (String) -> String?) -> String {
        let bytes = Array(html.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 256)
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "<"), let tag = Tag.read(bytes, at: index), tag.isLink else {
                out.append(bytes[index])
                index += 1
                continue
            }
            if let href = tag.href, let replacement = tracked(HTMLEscaping.unescape(String(decoding: bytes[href], as: UTF8.self))) {
                out += bytes[index..<href.lowerBound]
                out += Array(HTMLEscaping.escape(replacement).utf8)
                out += bytes[href.upperBound..<tag.end]
            } else {
                out += bytes[index..<tag.end]
            }
            index = tag.end
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// One start tag: its name, where its `href` value lies (without quotes) and where it ends (after `>`).
    struct Tag {
        var name: String
        var href: Range<Int>?
        var end: Int

        var isLink: Bool { name == "a" || name == "area" }

        static func isSpace(_ byte: UInt8) -> Bool { byte == 32 || byte == 9 || byte == 10 || byte == 13 || byte == 12 }

        /// The tag that starts at `start` (a `<`), or nil when none does (`< b`, `</a>`, text).
        static func read(_ bytes: [UInt8], at start: Int) -> Tag? {
            var cursor = start + 1
            let nameStart = cursor
            while cursor < bytes.count, bytes[cursor] | 0x20 >= 97, bytes[cursor] | 0x20 <= 122 { cursor += 1 }
            guard cursor > nameStart, cursor < bytes.count, isSpace(bytes[cursor]) || bytes[cursor] == UInt8(ascii: ">") || bytes[cursor] == UInt8(ascii: "/")
            else { return nil }
            var tag = Tag(name: String(decoding: bytes[nameStart..<cursor], as: UTF8.self).lowercased(), href: nil, end: bytes.count)
            while cursor < bytes.count {
                while cursor < bytes.count, isSpace(bytes[cursor]) || bytes[cursor] == UInt8(ascii: "/") { cursor += 1 }
                guard cursor < bytes.count else { return nil }
                if bytes[cursor] == UInt8(ascii: ">") {
                    tag.end = cursor + 1
                    return tag
                }
                // An attribute name, then optionally `=` and a value, quoted or not.
                let attributeStart = cursor
                while cursor < bytes.count, !isSpace(bytes[cursor]), bytes[cursor] != UInt8(ascii: "="), bytes[cursor] != UInt8(ascii: ">"),
                    bytes[cursor] != UInt8(ascii: "/")
                {
                    cursor += 1
                }
                let attribute = String(decoding: bytes[attributeStart..<cursor], as: UTF8.self).lowercased()
                var probe = cursor
                while probe < bytes.count, isSpace(bytes[probe]) { probe += 1 }
                guard probe < bytes.count, bytes[probe] == UInt8(ascii: "=") else { continue }
                cursor = probe + 1
                while cursor < bytes.count, isSpace(bytes[cursor]) { cursor += 1 }
                guard cursor < bytes.count else { return nil }
                let value: Range<Int>
                if bytes[cursor] == UInt8(ascii: "\"") || bytes[cursor] == UInt8(ascii: "'") {
                    let quote = bytes[cursor]
                    guard let close = bytes[(cursor + 1)...].firstIndex(of: quote) else { return nil }
                    value = (cursor + 1)..<close
                    cursor = close + 1
                } else {
                    let valueStart = cursor
                    while cursor < bytes.count, !isSpace(bytes[cursor]), bytes[cursor] != UInt8(ascii: ">") { cursor += 1 }
                    value = valueStart..<cursor
                }
                if attribute == "href", tag.href == nil { tag.href = value }
            }
            return nil
        }
    }

    /// Bare http(s) addresses in plain text, up to white space or a closing bracket; trailing sentence
    /// punctuation stays outside the link.
    static func rewriteText(_ text: String, _ tracked: (String) -> String?) -> String {
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "http", options: .caseInsensitive) {
            out += rest[..<start.lowerBound]
            var end = rest[start.lowerBound...].firstIndex(where: { $0.isWhitespace || "<>\"".contains($0) }) ?? rest.endIndex
            while end > start.lowerBound, ".,;:!?)]".contains(rest[rest.index(before: end)]) { end = rest.index(before: end) }
            let candidate = String(rest[start.lowerBound..<end])
            out += tracked(candidate) ?? candidate
            rest = rest[end...]
        }
        return out + rest
    }
}
