/// One problem found in a file a person wrote, located precisely enough for an editor to jump to it.
///
/// Every parser in Cadence reports through this type so that `cadence validate`, `--format json` and the tests
/// all see the same words. The message says what is wrong and, where it is knowable, how to fix it.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Codable {
        /// The file cannot be used as written; commands that would act on it refuse.
        case error
        /// The file works, but probably not as its author meant.
        case warning
    }

    /// The file as the user should see it (relative to the working directory where possible).
    public var file: String
    /// Nil when the problem concerns the whole file (it is missing, unreadable, empty).
    public var position: SourcePosition?
    public var severity: Severity
    public var message: String

    public init(file: String, position: SourcePosition?, severity: Severity = .error, message: String) {
        self.file = file
        self.position = position
        self.severity = severity
        self.message = message
    }

    public static func error(_ message: String, file: String, at position: SourcePosition?) -> Diagnostic {
        Diagnostic(file: file, position: position, severity: .error, message: message)
    }

    public static func warning(_ message: String, file: String, at position: SourcePosition?) -> Diagnostic {
        Diagnostic(file: file, position: position, severity: .warning, message: message)
    }

    /// `path:line:column: error: message`, the form compilers print and editors' problem matchers read.
    public var description: String {
        if let position {
            return "\(file):\(position): \(severity.rawValue): \(message)"
        }
        return "\(file): \(severity.rawValue): \(message)"
    }
}

extension Array where Element == Diagnostic {
    public var hasErrors: Bool { contains { $0.severity == .error } }

    /// In file order, then position order, so output is stable and reads top to bottom.
    public func sortedForDisplay() -> [Diagnostic] {
        enumerated().sorted { a, b in
            if a.element.file != b.element.file { return a.offset < b.offset }
            switch (a.element.position, b.element.position) {
            case (let l?, let r?) where l != r: return l < r
            case (nil, _?): return true
            case (_?, nil): return false
            default: return a.offset < b.offset
            }
        }.map(\.element)
    }
}
