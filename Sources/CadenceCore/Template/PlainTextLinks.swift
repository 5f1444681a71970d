/// Markdown made plainer for the text part: `[our site](https://x.com)` reads as `our site <https://x.com>`, and
/// the two trailing spaces that make a Markdown line break are dropped.
///
/// The rest of the Markdown stays as written: it was designed to read well as plain text. Only literal template
/// text passes through here; merge values are inserted verbatim.
enum PlainTextLinks {
    static func rewrite(_ text: String) -> String {
        let text = text.contains("  \n") ? withoutHardBreakSpaces(text) : text
        guard text.contains("](") else { return text }
        var output = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "[") {
            let isImage = open > rest.startIndex && rest[rest.index(before: open)] == "!"
            guard !isImage, let close = rest[open...].firstIndex(where: { $0 == "]" || $0 == "\n" }), rest[close] == "]",
                rest.index(after: close) < rest.endIndex, rest[rest.index(after: close)] == "(",
                let end = rest[rest.index(after: close)...].firstIndex(where: { $0 == ")" || $0 == " " || $0 == "\n" }), rest[end] == ")"
            else {
                output += rest[...open]
                rest = rest[rest.index(after: open)...]
                continue
            }
            let label = rest[rest.index(after: open)..<close]
            let url = rest[rest.index(close, offsetBy: 2)..<end]
            output += rest[..<open]
            var bare = Substring(url)
            for scheme in ["https://", "http://", "mailto:"] where bare.hasPrefix(scheme) { bare = bare.dropFirst(scheme.count) }
            if bare.hasSuffix("/") { bare = bare.dropLast() }
            output += label == url || label == bare ? String(url) : "\(label) <\(url)>"
            rest = rest[rest.index(after: end)...]
        }
        return output + rest
    }

    private static func withoutHardBreakSpaces(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasSuffix("  ") ? String(line.reversed().drop { $0 == " " }.reversed()) : String(line)
        }.joined(separator: "\n")
    }
}
