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

    /// Each `href` of an `<a>` tag, unescaped, replaced by what `tracked` gives for it (escaped), or left alone.
    static func rewriteAnchors(_ html: String, _ tracked: (String) -> String?) -> String {
        let bytes = Array(html.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 256)
        var index = 0
        while index < bytes.count {
            // An `<a` followed by white space opens an anchor tag; find its end and its href inside it.
            guard bytes[index] == UInt8(ascii: "<"), index + 2 < bytes.count, bytes[index + 1] | 0x20 == UInt8(ascii: "a"),
                [32, 9, 10, 13].contains(bytes[index + 2]), let end = bytes[index...].firstIndex(of: UInt8(ascii: ">"))
            else {
                out.append(bytes[index])
                index += 1
                continue
            }
            let tag = Array(bytes[index...end])
            out += rewriteHref(in: tag, tracked)
            index = end + 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func rewriteHref(in tag: [UInt8], _ tracked: (String) -> String?) -> [UInt8] {
        let lower = tag.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
        var search = 0
        while let found = firstIndex(of: Array("href".utf8), in: lower, from: search) {
            search = found + 4
            // A whole attribute name: white space before it, `=` after it (spaces allowed around).
            guard found > 0, [32, 9, 10, 13].contains(lower[found - 1]) else { continue }
            var cursor = found + 4
            while cursor < tag.count, [32, 9, 10, 13].contains(tag[cursor]) { cursor += 1 }
            guard cursor < tag.count, tag[cursor] == UInt8(ascii: "=") else { continue }
            cursor += 1
            while cursor < tag.count, [32, 9, 10, 13].contains(tag[cursor]) { cursor += 1 }
            guard cursor < tag.count else { break }
            let quote = tag[cursor]
            let start: Int, stop: Int
            if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
                start = cursor + 1
                guard let close = tag[start...].firstIndex(of: quote) else { break }
                stop = close
            } else {
                start = cursor
                stop = tag[start...].firstIndex(where: { [32, 9, 10, 13, UInt8(ascii: ">")].contains($0) }) ?? tag.count
            }
            let url = HTMLEscaping.unescape(String(decoding: tag[start..<stop], as: UTF8.self))
            guard let replacement = tracked(url) else { return tag }
            return Array(tag[..<start]) + Array(HTMLEscaping.escape(replacement).utf8) + Array(tag[stop...])
        }
        return tag
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        var index = from
        while index + needle.count <= haystack.count {
            if haystack[index] == needle[0], Array(haystack[index..<(index + needle.count)]) == needle { return index }
            index += 1
        }
        return nil
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
