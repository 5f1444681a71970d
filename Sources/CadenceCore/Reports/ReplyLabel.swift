/// What a person's reply meant, as the recruiter reads it (`cadence label`): the positive-reply rate recruiters
/// compare counts `interested` alone. A reply stops the sequence whatever its label; the label is for the numbers.
public enum ReplyLabel: String, Sendable, CaseIterable, Codable {
    case interested
    case notNow = "not-now"
    case no

    public var isPositive: Bool { self == .interested }
}
