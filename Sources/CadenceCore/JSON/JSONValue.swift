/// A parsed JSON document that remembers where every key and value stood in the file.
///
/// `JSONDecoder` stops at the first problem and cannot say which line a value came from; Cadence's files are
/// written by hand and reviewed in pull requests, so every problem in them must be reported at once and located.
public struct JSONValue: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case object([Member])
        case array([JSONValue])
        case string(String)
        /// The number exactly as written, so integers are never rounded through `Double`.
        case number(String)
        case bool(Bool)
        case null
    }

    public struct Member: Sendable, Equatable {
        public var key: String
        public var keyPosition: SourcePosition
        public var value: JSONValue

        public init(key: String, keyPosition: SourcePosition, value: JSONValue) {
            self.key = key
            self.keyPosition = keyPosition
            self.value = value
        }
    }

    public var kind: Kind
    public var position: SourcePosition

    public init(kind: Kind, position: SourcePosition) {
        self.kind = kind
        self.position = position
    }

    /// How the value is named in messages: "a string", "an object", …
    public var kindDescription: String {
        switch kind {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "true/false"
        case .null: "null"
        }
    }
}
