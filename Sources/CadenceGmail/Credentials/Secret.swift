/// A secret value (client secret, refresh or access token, private key) that cannot leak by accident: printing,
/// interpolating, dumping or logging it shows `‹redacted›`. The one way to the value is `revealed`, which code
/// uses only at the moment it builds a request.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    public init(_ value: String) { self.value = value }

    /// The value itself: for an HTTP request body or header, never for a message.
    public var revealed: String { value }

    public var description: String { "‹redacted›" }
    public var debugDescription: String { "Secret(‹redacted›)" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
