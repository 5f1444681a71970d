/// What rendering a step for one candidate gives: the content, or every field that held it back.
public enum RenderResult: Sendable, Equatable {
    case ready(RenderedContent)
    /// Field paths with no value and no fallback, in the order the template uses them. Never "Hi ,".
    case missing([String])
}

/// A template filled in for one candidate: plain text and HTML of the same body.
public struct RenderedContent: Sendable, Equatable {
    /// Nil for reply templates, which keep their thread's subject.
    public var subject: String?
    /// The Markdown source with values substituted verbatim; lines end in "\n".
    public var text: String
    /// The Markdown rendered to HTML with values HTML-escaped.
    public var html: String

    public init(subject: String?, text: String, html: String) {
        self.subject = subject
        self.text = text
        self.html = html
    }
}
