import CadenceCore
import Foundation

/// Sends through one provider and asks everything else (lookups, stored Message-IDs, history positions) through
/// another, so that a timeout test can give the send alone a short request timeout: the reconciling calls that
/// follow then run with the ordinary one, and a slow machine cannot turn them into timeouts too.
struct SplitSender: MailSender {
    let sending: any MailSender
    let asking: any MailSender

    func send(_ request: SendRequest, from mailbox: Mailbox) async throws(SendFailure) -> SentMessage {
        try await sending.send(request, from: mailbox)
    }

    func lookUp(_ request: SendRequest, in mailbox: Mailbox) async throws(SendFailure) -> SentMessage? {
        try await asking.lookUp(request, in: mailbox)
    }

    func recheckDelay(for mailbox: Mailbox) -> TimeInterval {
        asking.recheckDelay(for: mailbox)
    }

    func storedMessageID(of providerMessageID: String, in mailbox: Mailbox) async throws(SendFailure) -> String? {
        try await asking.storedMessageID(of: providerMessageID, in: mailbox)
    }

    func historyPosition(of mailbox: Mailbox) async throws(SendFailure) -> String? {
        try await asking.historyPosition(of: mailbox)
    }
}
