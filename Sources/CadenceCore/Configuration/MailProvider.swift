/// How a mailbox's messages leave Cadence.
public enum MailProvider: Sendable, Hashable {
    /// Writes each message as an `.eml` file into a folder: the embedded default, needing no credentials, and
    /// what a person reads to see exactly what would have been sent.
    case outbox(folder: String)
    /// Sends through the Gmail API with these credentials and endpoints.
    case gmail(GmailSettings)

    public var name: String {
        switch self {
        case .outbox: "outbox"
        case .gmail: "gmail"
        }
    }
}
