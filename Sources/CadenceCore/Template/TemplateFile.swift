import Foundation

/// A template file's parts: the optional `Subject:` line and the Markdown body after it.
///
/// The subject sits on the first line, as in an email, followed by a blank line:
/// ```
/// Subject: Quick question about <<candidate.company>>
///
/// Hi <<candidate.firstName | "there">>,
/// ```
/// `email` templates must have one; `reply` templates must not, because a reply keeps its thread's subject.
public struct TemplateFile: Sendable, Hashable {
    public var subject: String?
    /// Where the subject text starts, for locating errors in it.
    public var subjectStart: SourcePosition
    public var body: String
    /// The line the body starts on, so later diagnostics inside the body point at the right line.
    public var bodyFirstLine: Int

    public struct Result: Sendable {
        public var template: TemplateFile?
        public var diagnostics: [Diagnostic]
    }

    public static func parse(_ bytes: some Collection<UInt8>, file: String) -> Result {
        var data = Array(bytes)
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { data.removeFirst(3) }
        guard let text = String(validating: data, as: UTF8.self) else {
            return Result(template: nil, diagnostics: [.error("the template is not valid UTF-8; save it as UTF-8", file: file, at: nil)])
        }
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        var lines = normalized.split(separator: "\n", omittingEmptySubsequences: false)
        var subject: String?
        var subjectStart = SourcePosition(line: 1, column: 1)
        var bodyFirstLine = 1
        if let first = lines.first, first.lowercased().hasPrefix("subject:") {
            let afterKey = first.dropFirst("subject:".count)
            let value = afterKey.trimmingPrefix(while: \.isWhitespace)
            subjectStart = SourcePosition(line: 1, column: 1 + "subject:".count + (afterKey.unicodeScalars.count - value.unicodeScalars.count))
            let trimmed = String(value.reversed().drop(while: \.isWhitespace).reversed())
            if trimmed.isEmpty {
                return Result(
                    template: nil,
                    diagnostics: [
                        .error("the Subject line is empty; write the subject after \"Subject:\"", file: file, at: SourcePosition(line: 1, column: 1))
                    ])
            }
            subject = trimmed
            lines.removeFirst()
            bodyFirstLine = 2
            if let next = lines.first, !next.allSatisfy(\.isWhitespace) {
                return Result(
                    template: nil,
                    diagnostics: [
                        .error("leave a blank line between the Subject line and the body", file: file, at: SourcePosition(line: 2, column: 1))
                    ])
            }
            if !lines.isEmpty {
                lines.removeFirst()
                bodyFirstLine = 3
            }
        }
        let body = lines.joined(separator: "\n")
        if body.allSatisfy(\.isWhitespace) {
            return Result(
                template: nil,
                diagnostics: [
                    .error("the template has no body; write the message below \(subject == nil ? "the first line" : "the Subject line")", file: file, at: nil)
                ])
        }
        return Result(template: TemplateFile(subject: subject, subjectStart: subjectStart, body: body, bodyFirstLine: bodyFirstLine), diagnostics: [])
    }
}
