import Foundation

/// What Cadence reads out of the bytes of a message that came back to a mailbox: who sent it, which Message-IDs it
/// answers, its class and a short piece of its text. Reading never fails: bytes that are not a readable message
/// are class `unparsed`, with whatever their header block still says, so the message can still be matched to a
/// person and stop them.
public struct IncomingMail: Sendable, Equatable {
    /// The first address of `From`, as written; empty when there is none.
    public var from: String
    /// The Message-IDs it answers (`In-Reply-To` and `References`), with angle brackets.
    public var references: [String]
    public var incomingClass: IncomingClass
    /// The start of what the sender wrote (quotes left out), on one line, at most 200 characters.
    public var snippet: String

    public init(from: String, references: [String], incomingClass: IncomingClass, snippet: String) {
        self.from = from
        self.references = references
        self.incomingClass = incomingClass
        self.snippet = snippet
    }

    public static func read(_ raw: [UInt8], receivedAt: Date) -> IncomingMail {
        do {
            let message = try MailMessage.parse(raw)
            let snippet = (message.plainText.map(MailClassifier.freshText) ?? "").split(whereSeparator: \.isWhitespace).joined(separator: " ")
            return IncomingMail(
                from: sender(message.headers), references: references(message.headers),
                incomingClass: MailClassifier.classify(message, receivedAt: receivedAt), snippet: String(snippet.prefix(200)))
        } catch {
            let headers = MailMessage.headerBlock(raw)
            return IncomingMail(
                from: sender(headers), references: references(headers), incomingClass: .unparsed(reason: error.description),
                snippet: String("could not be read: \(error.description)".prefix(200)))
        }
    }

    static func sender(_ headers: [MailMessage.Header]) -> String {
        headers.first { $0.name.lowercased() == "from" }.flatMap { AddressList.addresses(in: $0.value).first } ?? ""
    }

    static func references(_ headers: [MailMessage.Header]) -> [String] {
        headers.filter { ["in-reply-to", "references"].contains($0.name.lowercased()) }
            .flatMap { $0.value.split(whereSeparator: \.isWhitespace).map(String.init) }
    }
}
