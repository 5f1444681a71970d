/// The merge-field language inside templates: splits text into literal text and `<<…>>` fields, with located errors.
///
/// ```
/// Hi <<candidate.firstName | capitalize | "there">>,      a field with a filter and a fallback
/// Write \<< to get a literal "<<".
/// ```
public enum TemplateSyntax {
    public enum Piece: Sendable, Hashable {
        /// Template text, read as Markdown in the body.
        case text(String)
        /// Text that must appear verbatim and never be read as Markdown (an escaped `<<`).
        case literal(String)
        case field(MergeField)
    }

    /// Parses `text`, whose first character stands at `start` in `file`.
    public static func parse(_ text: String, file: String, start: SourcePosition) -> (pieces: [Piece], diagnostics: [Diagnostic]) {
        var pieces: [Piece] = []
        var diagnostics: [Diagnostic] = []
        var buffer = ""
        let scalars = Array(text.unicodeScalars)
        var index = 0
        var line = start.line
        var column = start.column

        func flush() {
            if !buffer.isEmpty { pieces.append(.text(buffer)); buffer = "" }
        }
        func advance(_ count: Int) {
            for _ in 0..<count {
                if scalars[index] == "\n" { line += 1; column = 1 } else { column += 1 }
                index += 1
            }
        }
        func isOpen(at i: Int) -> Bool { i + 1 < scalars.count && scalars[i] == "<" && scalars[i + 1] == "<" }

        while index < scalars.count {
            if scalars[index] == "\\", isOpen(at: index + 1) {
                flush()
                pieces.append(.literal("<<"))
                advance(3)
                continue
            }
            guard isOpen(at: index) else {
                buffer.unicodeScalars.append(scalars[index])
                advance(1)
                continue
            }
            let fieldStart = SourcePosition(line: line, column: column)
            // Find the closing >> on the same line.
            var end = index + 2
            var closed = false
            var inString = false
            while end < scalars.count, scalars[end] != "\n" {
                if inString {
                    if scalars[end] == "\\" { end += 1 } else if scalars[end] == "\"" { inString = false }
                } else if scalars[end] == "\"" {
                    inString = true
                } else if scalars[end] == ">", end + 1 < scalars.count, scalars[end + 1] == ">" {
                    closed = true
                    break
                }
                end += 1
            }
            guard closed else {
                diagnostics.append(
                    .error(
                        "\"<<\" starts a merge field that is not closed with \">>\" on the same line; to write \"<<\" itself, type \"\\<<\"",
                        file: file, at: fieldStart))
                buffer += "<<"
                advance(2)
                continue
            }
            let inner = String(String.UnicodeScalarView(scalars[(index + 2)..<end]))
            flush()
            switch parseField(inner) {
            case .success(let field): pieces.append(.field(field))
            case .failure(let problem):
                diagnostics.append(.error(problem.message, file: file, at: fieldStart))
            }
            advance(end + 2 - index)
        }
        flush()
        return (pieces, diagnostics)
    }

    struct Problem: Error {
        var message: String
    }

    static let filterNames = MergeFilter.allCases.map(\.rawValue)
    static let senderNames = SenderField.allCases.map(\.rawValue)
    static let linkNames = LinkField.allCases.map(\.rawValue)

    /// Parses what stands between `<<` and `>>`.
    static func parseField(_ inner: String) -> Result<MergeField, Problem> {
        var stages = splitStages(inner)
        let written = "<<\(inner)>>"
        guard let pathText = stages.first?.trimmed, !pathText.isEmpty else {
            return .failure(Problem(message: "empty merge field \(written); write e.g. <<candidate.firstName>>, or \"\\<<\" for a literal \"<<\""))
        }
        stages.removeFirst()
        let parts = pathText.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ isIdentifier($0) }) else {
            return .failure(Problem(message: "\(written) is not a merge field; write a namespace and a field such as <<candidate.firstName>>, or \"\\<<\" for a literal \"<<\""))
        }
        let namespaceText = String(parts[0]), name = String(parts[1])
        guard let namespace = MergeField.Namespace(rawValue: namespaceText) else {
            return .failure(
                Problem(
                    message:
                        "unknown namespace \"\(namespaceText)\" in \(written); use candidate.* (a CSV column), sender.* (the mailbox) or links.* (links Cadence makes)\(Suggestion.didYouMean(namespaceText, among: ["candidate", "sender", "links"]))"
                ))
        }
        if namespace == .links, LinkField(rawValue: name) == nil {
            return .failure(
                Problem(message: "unknown link \"\(name)\" in \(written); links are \(linkNames.joined(separator: ", "))\(Suggestion.didYouMean(name, among: linkNames))"))
        }
        if namespace == .sender, SenderField(rawValue: name) == nil {
            return .failure(
                Problem(message: "unknown sender field \"\(name)\" in \(written); sender fields are \(senderNames.joined(separator: ", "))\(Suggestion.didYouMean(name, among: senderNames))"))
        }
        var parsed: [MergeField.Stage] = []
        for stage in stages {
            let text = stage.trimmed
            if text.hasPrefix("\"") {
                guard let literal = stringLiteral(text) else {
                    return .failure(Problem(message: "the fallback \(text) in \(written) is not a quoted string; write e.g. | \"there\" (use \\\" for a quote)"))
                }
                guard !MergeField.isBlank(literal) else {
                    return .failure(Problem(message: "the fallback in \(written) is blank, which would send a gap; write a word such as \"there\", or no fallback to hold the email back"))
                }
                parsed.append(.fallback(literal))
            } else if let filter = MergeFilter(rawValue: text) {
                parsed.append(.filter(filter))
            } else if text.isEmpty {
                return .failure(Problem(message: "an empty stage after \"|\" in \(written); write a filter (\(filterNames.joined(separator: ", "))) or a fallback such as \"there\""))
            } else {
                return .failure(
                    Problem(
                        message:
                            "unknown filter \"\(text)\" in \(written); filters are \(filterNames.joined(separator: ", ")), and a fallback is a quoted string\(Suggestion.didYouMean(text, among: filterNames))"
                    ))
            }
        }
        if namespace == .sender, name == SenderField.signature.rawValue, !parsed.isEmpty {
            return .failure(Problem(message: "<<sender.signature>> takes no filters or fallback; write it on its own"))
        }
        return .success(MergeField(namespace: namespace, name: name, stages: parsed))
    }

    /// Splits on `|` outside quoted strings.
    static func splitStages(_ inner: String) -> [String] {
        var stages: [String] = [""]
        var inString = false
        var escaped = false
        for character in inner {
            if inString {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
                stages[stages.count - 1].append(character)
            } else if character == "|" {
                stages.append("")
            } else {
                if character == "\"" { inString = true }
                stages[stages.count - 1].append(character)
            }
        }
        return stages
    }

    static func stringLiteral(_ text: String) -> String? {
        guard text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") else { return nil }
        var result = ""
        var escaped = false
        for character in text.dropFirst().dropLast() {
            if escaped {
                guard character == "\"" || character == "\\" else { return nil }
                result.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                return nil
            } else {
                result.append(character)
            }
        }
        return escaped ? nil : result
    }

    static func isIdentifier(_ text: Substring) -> Bool {
        guard let first = text.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic || first == "_" else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }
}
