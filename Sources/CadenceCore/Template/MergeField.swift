import Foundation

/// One `<<namespace.name | stage | …>>` in a template.
public struct MergeField: Sendable, Hashable, CustomStringConvertible {
    public enum Namespace: String, Sendable, Hashable, CaseIterable {
        /// A column of the candidates CSV.
        case candidate
        /// A field of the sending mailbox from `cadence.json`.
        case sender
        /// A link Cadence makes for each send (`<<links.unsubscribe>>`); needs the `tracking` section.
        case links
    }

    public enum Stage: Sendable, Hashable {
        case filter(MergeFilter)
        /// Used when the value so far is missing: `| "there"`.
        case fallback(String)
    }

    public var namespace: Namespace
    public var name: String
    public var stages: [Stage]

    public init(namespace: Namespace, name: String, stages: [Stage] = []) {
        self.namespace = namespace
        self.name = name
        self.stages = stages
    }

    /// `candidate.firstName`, as reports name the field.
    public var path: String { "\(namespace.rawValue).\(name)" }

    /// Whether a missing value is covered by a fallback somewhere in the pipeline.
    public var hasFallback: Bool {
        stages.contains { if case .fallback = $0 { true } else { false } }
    }

    public var description: String {
        let rendered = stages.map { stage -> String in
            switch stage {
            case .filter(let filter): filter.rawValue
            case .fallback(let text): "\"\(text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\""
            }
        }
        return "<<" + ([path] + rendered).joined(separator: " | ") + ">>"
    }

    /// Whether a cell counts as missing: absent, empty, or only spaces and invisible characters (a zero-width
    /// space or a stray byte-order mark would otherwise render as "Hi ,").
    public static func isBlank(_ value: String?) -> Bool {
        guard let value else { return true }
        return value.unicodeScalars.allSatisfy { $0.properties.isWhitespace || $0.properties.generalCategory == .format || $0.properties.isDefaultIgnorableCodePoint }
    }

    /// Applies the pipeline to `value` (nil or blank means missing); nil when still missing at the end.
    public func resolve(_ value: String?) -> String? {
        var current = Self.isBlank(value) ? nil : value?.trimmed
        for stage in stages {
            switch stage {
            case .filter(let filter): current = current.map(filter.apply)
            case .fallback(let text): if current == nil { current = text }
            }
        }
        return current
    }
}

/// The few transformations people need on names and companies.
public enum MergeFilter: String, Sendable, Hashable, CaseIterable {
    /// First letter upper case, the rest unchanged: "ana" → "Ana", "mcDonald" → "McDonald".
    case capitalize
    case lower
    case upper
    /// The first whitespace-separated word: "Ana María" → "Ana".
    case firstWord

    public func apply(_ value: String) -> String {
        switch self {
        case .capitalize:
            guard let first = value.first else { return value }
            return first.uppercased() + value.dropFirst()
        case .lower: return value.lowercased()
        case .upper: return value.uppercased()
        case .firstWord: return value.split(whereSeparator: \.isWhitespace).first.map(String.init) ?? value
        }
    }
}

/// The sender fields a template may use, filled from the mailbox in `cadence.json`.
/// The links a template may place: `<<links.unsubscribe>>`.
public enum LinkField: String, Sendable, CaseIterable {
    /// The send's one-click unsubscribe page.
    case unsubscribe
}

public enum SenderField: String, Sendable, CaseIterable {
    /// The display name, "Sam Carter".
    case name
    /// The display name's first word, "Sam".
    case firstName
    case email
    /// The mailbox's Markdown signature; placed where the template says, else at the end of the body.
    case signature
}

extension String {
    /// Without leading and trailing white space; cheap when there is none (the common case for CSV cells).
    var trimmed: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        if first == scalars.startIndex && scalars.index(after: last) == scalars.endIndex { return self }
        return String(scalars[first...last])
    }
}
