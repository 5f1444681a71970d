/// The values one render draws on: a candidate's CSV row and the sending mailbox.
public struct MergeContext: Sendable {
    /// Column name to cell, as read from the CSV (blank cells may be present; they count as missing).
    public var candidate: [String: String]
    public var sender: [String: String]
    /// The send's own links (`LinkField`), when tracking is configured; missing otherwise.
    public var links: [String: String] = [:]

    public init(candidate: [String: String], sender: [String: String]) {
        self.candidate = candidate
        self.sender = sender
    }

    public init(candidate: [String: String], mailbox: Mailbox) {
        self.init(candidate: candidate, sender: Self.senderValues(of: mailbox))
    }

    public static func senderValues(of mailbox: Mailbox) -> [String: String] {
        [
            SenderField.name.rawValue: mailbox.displayName,
            SenderField.firstName.rawValue: MergeFilter.firstWord.apply(mailbox.displayName),
            SenderField.email.rawValue: mailbox.address.description,
            SenderField.signature.rawValue: mailbox.signature,
        ]
    }

    func value(of field: MergeField) -> String? {
        switch field.namespace {
        case .candidate: candidate[field.name]
        case .sender: sender[field.name]
        case .links: links[field.name]
        }
    }
}
