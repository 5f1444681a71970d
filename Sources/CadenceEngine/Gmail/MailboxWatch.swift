import CadenceCore
import CadenceGmail
import CadenceStore
import Foundation

/// Reply watching by polling (issue 9, first part): each Gmail mailbox's new messages since its stored history
/// position are fetched, classified and applied — a reply, an unsubscribe, a permanent bounce or "no longer with
/// the company" stops the person everywhere — and only then does the position move forward, so a crash re-reads
/// instead of skipping (each message is applied once; the store remembers it).
public struct MailboxWatch: Sendable {
    let gmail: GmailSender
    let database: CadenceDatabase

    public init(gmail: GmailSender, database: CadenceDatabase) {
        self.gmail = gmail
        self.database = database
    }

    public struct Result: Sendable, Equatable {
        public var processed = 0
        public var stopped = 0
        public var resynced = false
        public var failures: [String] = []
    }

    /// One sync of every Gmail mailbox in `configuration`. A mailbox that cannot be read is reported and left at
    /// its position; the others go on.
    public func sync(_ configuration: ProjectConfiguration, now: Date) async throws(StoreError) -> Result {
        var result = Result()
        for (mailbox, _) in configuration.gmailMailboxes {
            do {
                let (processed, stopped, resynced) = try await sync(mailbox, now: now)
                result.processed += processed
                result.stopped += stopped
                result.resynced = result.resynced || resynced
            } catch let error as StoreError {
                throw error
            } catch {
                result.failures.append("mailbox \(mailbox.name): \(error)")
            }
        }
        return result
    }

    func sync(_ mailbox: Mailbox, now: Date) async throws -> (processed: Int, stopped: Int, resynced: Bool) {
        let checkpoint = try database.syncCheckpoint(mailbox.name)
        let changes = try await gmail.changes(in: mailbox, since: checkpoint)
        var processed = 0, stopped = 0
        for (id, threadID) in changes.messages {
            guard let fetched = try await gmail.fetch(id, in: mailbox), let parsed = try? MailMessage.parse(fetched.raw) else { continue }
            let from = parsed.header("From").flatMap { AddressList.addresses(in: $0).first } ?? ""
            if from.lowercased() == mailbox.address.description.lowercased() { continue }  // the rep's own mail
            let received = fetched.receivedAt ?? now
            let kind = MailClassifier.classify(parsed, receivedAt: received)
            let references = ((parsed.header("In-Reply-To") ?? "") + " " + (parsed.header("References") ?? "")).split(separator: " ").map(String.init)
            let snippet = (parsed.plainText.map(MailClassifier.freshText) ?? "").split(whereSeparator: \.isWhitespace).joined(separator: " ")
            let message = IncomingMessage(
                mailbox: mailbox.name, providerMessageID: id, providerThreadID: fetched.threadID ?? threadID, from: from, references: references,
                incomingClass: kind, snippet: String(snippet.prefix(200)), receivedAt: received)
            if case .applied(_, let count, _) = try database.applyIncoming(message, now: now) { stopped += count }
            processed += 1
        }
        try database.advanceCheckpoint(mailbox.name, to: changes.position, now: now)
        return (processed, stopped, changes.resynced)
    }
}
