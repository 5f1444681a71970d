/// One row of a candidates CSV that passed its checks: a person the campaign may write to.
public struct Candidate: Sendable, Equatable {
    /// The line the row starts on, for messages.
    public var line: Int
    public var email: EmailAddress
    /// Every column by header name, cells as written (blank cells stay; they count as missing when merged).
    public var fields: [String: String]
    /// The `timezone` column when filled: an IANA name.
    public var timeZone: String?

    public init(line: Int, email: EmailAddress, fields: [String: String], timeZone: String? = nil) {
        self.line = line
        self.email = email
        self.fields = fields
        self.timeZone = timeZone
    }

    /// "Ana Ruiz" from `firstName` and `lastName` when present, for the `To:` header.
    public var displayName: String? {
        let parts = ["firstName", "lastName"].compactMap { fields[$0]?.trimmed }.filter { !$0.isEmpty }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }
}
