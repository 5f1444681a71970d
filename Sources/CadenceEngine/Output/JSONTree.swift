import Foundation

/// A JSON document built as a value, for output whose shape depends on the data (optional sections, nulls that
/// must be printed as null rather than left out).
public enum JSONTree: Encodable, Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONTree])
    case object([String: JSONTree])

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let values): try container.encode(values)
        case .object(let members): try container.encode(members)
        }
    }

    public static func optional(_ value: String?) -> JSONTree { value.map { .string($0) } ?? .null }
    public static func optional(_ value: Double?) -> JSONTree { value.map { .double($0) } ?? .null }
}
