/// Walks a positioned JSON tree into domain values, collecting every problem instead of stopping at the first.
///
/// Each accessor returns nil after recording a located diagnostic, so a decoder reads straight through a file
/// and the user sees all of its mistakes in one run of `cadence validate`.
public struct JSONReader: Sendable {
    public let file: String
    public private(set) var diagnostics: [Diagnostic] = []

    public init(file: String) {
        self.file = file
    }

    public mutating func error(_ message: String, at position: SourcePosition?) {
        diagnostics.append(.error(message, file: file, at: position))
    }

    public mutating func warning(_ message: String, at position: SourcePosition?) {
        diagnostics.append(.warning(message, file: file, at: position))
    }

    public mutating func append(_ more: [Diagnostic]) {
        diagnostics.append(contentsOf: more)
    }

    /// Reads an object whose keys must all be in `allowed`; an unknown key is an error with a suggestion,
    /// because a misspelt key would otherwise silently change a campaign.
    /// Keys in `retired` are accepted here (so the caller can say what replaced them) but not listed as allowed.
    public mutating func object(_ value: JSONValue, _ what: String, allowed: [String], retired: [String] = []) -> JSONObject? {
        guard case .object(let members) = value.kind else {
            error("\(what) must be an object, not \(value.kindDescription)", at: value.position)
            return nil
        }
        var byKey: [String: JSONValue.Member] = [:]
        for member in members {
            if byKey[member.key] == nil { byKey[member.key] = member }
            if !allowed.contains(member.key), !retired.contains(member.key) {
                let listed = allowed.filter { $0 != "$schema" }
                let hint =
                    Suggestion.closest(to: member.key, among: allowed).map { "; did you mean \"\($0)\"?" }
                    ?? (listed.isEmpty ? "; it takes no keys" : "; allowed keys: \(listed.joined(separator: ", "))")
                error("unknown key \"\(member.key)\" in \(what)\(hint)", at: member.keyPosition)
            }
        }
        return JSONObject(what: what, position: value.position, members: byKey)
    }

    public mutating func string(_ value: JSONValue, _ what: String, example: String? = nil) -> String? {
        guard case .string(let string) = value.kind else {
            let hint = example.map { " such as \"\($0)\"" } ?? ""
            error("\(what) must be a string\(hint), not \(value.kindDescription)", at: value.position)
            return nil
        }
        return string
    }

    /// A string that must not be blank (ids, names, addresses).
    public mutating func nonEmptyString(_ value: JSONValue, _ what: String, example: String? = nil) -> String? {
        guard let string = string(value, what, example: example) else { return nil }
        if string.allSatisfy(\.isWhitespace) {
            error("\(what) is empty", at: value.position)
            return nil
        }
        return string
    }

    public mutating func integer(_ value: JSONValue, _ what: String, in range: ClosedRange<Int>) -> Int? {
        guard case .number(let text) = value.kind else {
            error("\(what) must be a whole number, not \(value.kindDescription)", at: value.position)
            return nil
        }
        let bounds = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "between \(range.lowerBound) and \(range.upperBound)"
        guard let number = Int(text) else {
            let isWhole = text.allSatisfy { $0.isNumber || $0 == "-" }
            error(isWhole ? "\(what) is far too large; it must be \(bounds)" : "\(what) must be a whole number, not \(text)", at: value.position)
            return nil
        }
        guard range.contains(number) else {
            error("\(what) must be \(bounds), not \(number)", at: value.position)
            return nil
        }
        return number
    }

    public mutating func bool(_ value: JSONValue, _ what: String) -> Bool? {
        guard case .bool(let flag) = value.kind else {
            error("\(what) must be true or false, not \(value.kindDescription)", at: value.position)
            return nil
        }
        return flag
    }

    public mutating func array(_ value: JSONValue, _ what: String) -> [JSONValue]? {
        guard case .array(let elements) = value.kind else {
            error("\(what) must be an array, not \(value.kindDescription)", at: value.position)
            return nil
        }
        return elements
    }
}

/// An object's members by key, for reading known fields in any order.
public struct JSONObject: Sendable {
    public let what: String
    public let position: SourcePosition
    public let members: [String: JSONValue.Member]

    public subscript(key: String) -> JSONValue? { members[key]?.value }

    public func keyPosition(_ key: String) -> SourcePosition? { members[key]?.keyPosition }

    /// The value under `key`, or an error at the object's opening brace naming what to add.
    ///
    /// When the key is only misspelt, the unknown-key error already says so; one typo gets one message.
    public func require(_ key: String, _ reader: inout JSONReader, hint: String? = nil) -> JSONValue? {
        if let value = self[key] { return value }
        if !hasMisspelling(of: key) {
            reader.error("\(what) has no \"\(key)\"\(hint.map { "; \($0)" } ?? "")", at: position)
        }
        return nil
    }

    /// Whether some other key here is a likely misspelling of `key` (and so already reported as unknown).
    public func hasMisspelling(of key: String) -> Bool {
        members.keys.contains { $0 != key && Suggestion.closest(to: $0, among: [key]) == key }
    }
}
