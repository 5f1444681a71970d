import Ink

/// A template compiled once for a mailbox: rendering a candidate is then only substitution.
///
/// Values are substituted after the Markdown is parsed, so a candidate named `*Ana*` or `<b>` is never read as
/// Markdown or HTML: fields stand in the Markdown as placeholders Ink passes through untouched, and the HTML Ink
/// produces is cut at those placeholders into literal runs and field slots.
public struct MergeTemplate: Sendable {
    public enum Segment: Sendable, Hashable {
        case literal(String)
        /// Index into `fields`.
        case field(Int)
        /// A field inside a link's address in the HTML: percent-encoded there, and when it is the whole address
        /// it must be a web or mail address, so a value such as `javascript:…` never becomes a link.
        case urlField(Int, wholeURL: Bool)
    }

    public let path: String
    /// Nil for templates without a Subject line (reply templates).
    public let subject: [Segment]?
    public let text: [Segment]
    public let html: [Segment]
    /// Each distinct field the template uses, in first-use order.
    public let fields: [MergeField]

    public struct Result: Sendable {
        public var template: MergeTemplate?
        public var diagnostics: [Diagnostic]

        public init(template: MergeTemplate?, diagnostics: [Diagnostic]) {
            self.template = template
            self.diagnostics = diagnostics
        }
    }

    /// Compiles `file` with `signature` (trusted Markdown) placed at `<<sender.signature>>`, or appended.
    public static func compile(_ file: TemplateFile, path: String, signature: String) -> Result {
        var diagnostics: [Diagnostic] = []
        var fields: [MergeField] = []
        func slot(_ field: MergeField) -> Int {
            if let index = fields.firstIndex(of: field) { return index }
            fields.append(field)
            return fields.count - 1
        }

        var subject: [Segment]?
        if let subjectText = file.subject {
            let parsed = TemplateSyntax.parse(subjectText, file: path, start: file.subjectStart)
            diagnostics += parsed.diagnostics
            var segments: [Segment] = []
            for piece in parsed.pieces {
                switch piece {
                case .text(let text), .literal(let text): segments.append(.literal(text))
                case .field(let field) where field.namespace == .sender && field.name == SenderField.signature.rawValue:
                    diagnostics.append(.error("<<sender.signature>> belongs in the body, not the subject", file: path, at: file.subjectStart))
                case .field(let field): segments.append(.field(slot(field)))
                }
            }
            subject = segments
        }

        let body = TemplateSyntax.parse(file.body, file: path, start: SourcePosition(line: file.bodyFirstLine, column: 1))
        diagnostics += body.diagnostics
        guard !diagnostics.hasErrors else { return Result(template: nil, diagnostics: diagnostics) }

        var markdown = ""
        var text: [Segment] = []
        var placeholders: [Segment] = []
        var placedSignature = false
        func placeholder(for segment: Segment) -> String {
            placeholders.append(segment)
            return Placeholder.make(placeholders.count - 1)
        }
        for piece in body.pieces {
            switch piece {
            case .text(let run):
                markdown += run
                text.append(.literal(PlainTextLinks.rewrite(run)))
            case .literal(let run):
                markdown += placeholder(for: .literal(HTMLEscaping.escape(run)))
                text.append(.literal(run))
            case .field(let field) where field.namespace == .sender && field.name == SenderField.signature.rawValue:
                markdown += signature
                text.append(.literal(PlainTextLinks.rewrite(signature)))
                placedSignature = true
            case .field(let field):
                let index = slot(field)
                markdown += placeholder(for: .field(index))
                text.append(.field(index))
            }
        }
        if !placedSignature, !signature.allSatisfy(\.isWhitespace) {
            let separator = markdown.hasSuffix("\n\n") ? "" : markdown.hasSuffix("\n") ? "\n" : "\n\n"
            markdown += separator + signature + "\n"
            text.append(.literal(separator + PlainTextLinks.rewrite(signature) + "\n"))
        }
        let rendered = MarkdownParser().html(from: markdown)
        let html = Placeholder.split(rendered, into: placeholders)
        let template = MergeTemplate(
            path: path, subject: subject.map(Self.merged), text: Self.merged(text), html: Self.merged(html), fields: fields)
        return Result(template: template, diagnostics: diagnostics)
    }

    /// Candidate columns this template cannot render without (no fallback): a cheap check before enrolling.
    public var requiredCandidateFields: [String] {
        fields.filter { $0.namespace == .candidate && !$0.hasFallback }.map(\.name)
    }

    /// Candidate columns the subject alone cannot render without (a reply needs its thread's subject).
    public var requiredSubjectFields: [String] {
        guard let subject else { return [] }
        let used = Set(subject.compactMap { if case .field(let index) = $0 { index } else { nil } })
        return fields.enumerated().filter { used.contains($0.offset) && $0.element.namespace == .candidate && !$0.element.hasFallback }.map(\.element.name)
    }

    /// Fills the template for one candidate, or names every field that has no value and no fallback.
    public func render(_ context: MergeContext) -> RenderResult {
        let values: [String?]
        switch resolve(context, only: nil) {
        case .failure(let missing): return .missing(missing.paths)
        case .success(let resolved): values = resolved
        }
        // A value that is a whole link address must be one; otherwise the email is held, never sent with it.
        var unsafe: [String] = []
        for segment in html {
            if case .urlField(let index, true) = segment, !URLValue.isWebOrMail(values[index]!), !unsafe.contains(fields[index].path) {
                unsafe.append(fields[index].path)
            }
        }
        guard unsafe.isEmpty else { return .missing(unsafe) }
        return .ready(
            RenderedContent(
                subject: subject.map { Self.subjectLine(Self.fill($0, values, escape: false)) },
                text: Self.fill(text, values, escape: false), html: Self.fill(html, values, escape: true)))
    }

    /// The subject alone (a reply needs its thread's subject), or the fields it lacks; nil without a subject.
    public func renderSubject(_ context: MergeContext) -> RenderResult? {
        guard let subject else { return nil }
        switch resolve(context, only: Set(subject.compactMap { if case .field(let index) = $0 { index } else { nil } })) {
        case .failure(let missing): return .missing(missing.paths)
        case .success(let values):
            return .ready(RenderedContent(subject: Self.subjectLine(Self.fill(subject, values, escape: false)), text: "", html: ""))
        }
    }

    private struct Missing: Error {
        var paths: [String]
    }

    /// Each field's value (nil where not needed), or every missing field's path in first-use order.
    private func resolve(_ context: MergeContext, only needed: Set<Int>?) -> Swift.Result<[String?], Missing> {
        var values = [String?](repeating: nil, count: fields.count)
        var missing: [String] = []
        for (index, field) in fields.enumerated() where needed?.contains(index) ?? true {
            values[index] = field.resolve(context.value(of: field))
            if values[index] == nil, !missing.contains(field.path) { missing.append(field.path) }
        }
        return missing.isEmpty ? .success(values) : .failure(Missing(paths: missing))
    }

    private static func fill(_ segments: [Segment], _ values: [String?], escape: Bool) -> String {
        var output = ""
        for segment in segments {
            switch segment {
            case .literal(let text): output += text
            case .field(let index): output += escape ? HTMLEscaping.escape(values[index]!) : values[index]!
            case .urlField(let index, let whole): output += HTMLEscaping.escape(URLValue.encode(values[index]!, wholeURL: whole))
            }
        }
        return output
    }

    /// A subject is one line: line breaks in a value become spaces.
    private static func subjectLine(_ text: String) -> String {
        text.contains(where: \.isNewline) ? text.split(whereSeparator: \.isNewline).joined(separator: " ") : text
    }

    /// Joins adjacent literals so rendering appends as few strings as possible.
    static func merged(_ segments: [Segment]) -> [Segment] {
        var result: [Segment] = []
        for segment in segments {
            if case .literal(let next) = segment, case .literal(let previous)? = result.last {
                result[result.count - 1] = .literal(previous + next)
            } else if case .literal(let text) = segment, text.isEmpty {
                continue
            } else {
                result.append(segment)
            }
        }
        return result
    }
}

/// Markers made of private-use scalars, which Markdown gives no meaning to and Ink copies through.
enum Placeholder {
    static let open: Unicode.Scalar = "\u{E000}"
    static let close: Unicode.Scalar = "\u{E001}"
    static let zero: UInt32 = 0xE010

    static func make(_ index: Int) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(open)
        for digit in String(index).unicodeScalars {
            scalars.append(Unicode.Scalar(zero + digit.value - 48)!)
        }
        scalars.append(close)
        return String(scalars)
    }

    /// Cuts `html` at placeholders, replacing each with its segment.
    static func split(_ html: String, into placeholders: [MergeTemplate.Segment]) -> [MergeTemplate.Segment] {
        var segments: [MergeTemplate.Segment] = []
        var literal = String.UnicodeScalarView()
        var number: Int?
        // Whether the HTML so far has opened an href="…" or src="…" value that has not closed, and whether
        // anything was written inside it yet.
        var inURL = false
        var urlHasContent = false
        for scalar in html.unicodeScalars {
            if scalar == open {
                number = 0
            } else if scalar == close, let index = number {
                segments.append(.literal(String(literal)))
                literal = String.UnicodeScalarView()
                if inURL, case .field(let field) = placeholders[index] {
                    segments.append(.urlField(field, wholeURL: !urlHasContent))
                } else {
                    segments.append(placeholders[index])
                }
                if inURL { urlHasContent = true }
                number = nil
            } else if let current = number, scalar.value >= zero, scalar.value <= zero + 9 {
                number = current * 10 + Int(scalar.value - zero)
            } else {
                literal.append(scalar)
                if inURL {
                    if scalar == "\"" { inURL = false } else { urlHasContent = true }
                } else if scalar == "\"", literal.count >= 6 {
                    let tail = String(String.UnicodeScalarView(literal.suffix(6))).lowercased()
                    if tail == "href=\"" || tail.hasSuffix(" src=\"") { inURL = true; urlHasContent = false }
                }
            }
        }
        segments.append(.literal(String(literal)))
        return segments
    }
}

/// Escapes text for HTML element content and attribute values alike.
public enum HTMLEscaping {
    /// The entities `escape` writes, and numeric references, turned back into characters: what an `href` means.
    public static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var output = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            output += rest[..<amp]
            rest = rest[amp...]
            guard let semicolon = rest.prefix(10).firstIndex(of: ";") else {
                output += "&"
                rest = rest.dropFirst()
                continue
            }
            let entity = rest[rest.index(after: rest.startIndex)..<semicolon]
            var decoded: String?
            switch entity {
            case "amp": decoded = "&"
            case "lt": decoded = "<"
            case "gt": decoded = ">"
            case "quot": decoded = "\""
            case "apos": decoded = "'"
            default:
                // Digits only, as browsers read them (`&#+65;` is not a reference); control characters are dropped,
                // since no address holds them.
                var value: UInt32?
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                    let digits = entity.dropFirst(2)
                    if !digits.isEmpty, digits.allSatisfy(\.isHexDigit) { value = UInt32(digits, radix: 16) }
                } else if entity.hasPrefix("#") {
                    let digits = entity.dropFirst()
                    if !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) { value = UInt32(digits) }
                }
                if let value, let scalar = Unicode.Scalar(value) {
                    decoded = value < 0x20 || value == 0x7F ? "" : String(scalar)
                }
            }
            if let decoded {
                output += decoded
                rest = rest[rest.index(after: semicolon)...]
            } else {
                output += "&"
                rest = rest.dropFirst()
            }
        }
        return output + rest
    }

    public static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0 == "&" || $0 == "<" || $0 == ">" || $0 == "\"" || $0 == "'" }) else {
            return text
        }
        var output = ""
        output.reserveCapacity(text.utf8.count + 16)
        for character in text.unicodeScalars {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.unicodeScalars.append(character)
            }
        }
        return output
    }
}
