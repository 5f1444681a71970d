import Foundation

/// What Cadence reads out of the bytes of a message that came back to a mailbox: who sent it, which Message-IDs it
/// answers, its class, the rule that decided it and a short piece of its text. Reading never fails: bytes that are
/// not a readable message are class `unparsed`, with whatever their header block still says, so the message can
/// still be matched to a person and stop them.
public struct IncomingMail: Sendable, Equatable {
    /// The first address of `From`, as written; empty when there is none.
    public var from: String
    /// The Message-IDs to find the message Cadence sent by, strongest first: a bounce's original message, then
    /// `In-Reply-To` and `References`. With angle brackets.
    public var references: [String]
    /// The addresses to find the person by when no Message-ID does: a bounce's failed recipients (every field
    /// that names them), else the sender.
    public var addresses: [String]
    public var incomingClass: IncomingClass
    /// Which rule decided the class (`Classification.rule`).
    public var rule: String
    /// The start of what the sender wrote (quotes left out), on one line, at most 200 characters.
    public var snippet: String

    public init(from: String, references: [String], addresses: [String]? = nil, incomingClass: IncomingClass, rule: String = "", snippet: String) {
        self.from = from
        self.references = references
        self.addresses = addresses ?? (from.isEmpty ? [] : [from])
        self.incomingClass = incomingClass
        self.rule = rule
        self.snippet = snippet
    }

    /// `ownLines` are the lines Cadence itself sent the person (`FreshText.ownLines(ofSent:)`), which never count as
    /// theirs.
    public static func read(_ raw: [UInt8], receivedAt: Date, book: PhraseBook = .standard, ownLines: Set<String> = []) -> IncomingMail {
        do {
            let message = try MailMessage.parse(raw)
            let classification = MailClassifier.classification(message, receivedAt: receivedAt, book: book, ownLines: ownLines)
            return IncomingMail(
                from: sender(message.headers), references: classification.messageIDs, addresses: classification.addresses,
                incomingClass: classification.incomingClass, rule: classification.rule, snippet: snippet(classification.freshText))
        } catch {
            let headers = MailMessage.headerBlock(raw)
            return IncomingMail(
                from: sender(headers), references: references(headers), incomingClass: .unparsed(reason: error.description), rule: "unreadable",
                snippet: String("could not be read: \(error.description)".prefix(200)))
        }
    }

    /// The start of `text` on one line: each run of white space one space, at most 200 characters.
    static func snippet(_ text: String) -> String {
        var out: [UInt8] = []
        var pendingSpace = false
        var count = 0
        for scalar in text.unicodeScalars {
            let white = scalar.value < 0x80 ? scalar == " " || (0x09...0x0D).contains(scalar.value) : scalar.properties.isWhitespace
            if white {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                out.append(32)
                pendingSpace = false
            }
            if scalar.value < 0x80 { out.append(UInt8(scalar.value)) } else { out += UTF8.encode(scalar)! }
            count += 1
            if count >= 1_000 { break }  // enough scalars for 200 characters; the rest is never shown
        }
        return String(String(decoding: out, as: UTF8.self).prefix(200))
    }

    static func sender(_ headers: [MailMessage.Header]) -> String {
        headers.first { $0.name.lowercased() == "from" }.flatMap { AddressList.addresses(in: HeaderEncoding.decode($0.value)).first } ?? ""
    }

    static func references(_ headers: [MailMessage.Header]) -> [String] {
        var seen: [String] = []
        for header in headers where ["in-reply-to", "references"].contains(header.name.lowercased()) {
            for bytes in header.value.utf8.split(whereSeparator: { $0 == 32 || $0 == 44 || (0x09...0x0D).contains($0) }) {
                let token = String(Substring(bytes))
                if !seen.contains(token) { seen.append(token) }
            }
        }
        return seen
    }
}
