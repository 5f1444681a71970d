import CadenceCore
import CadenceGmail
import Foundation

/// The runner's one sender: each mailbox's messages go to the provider `cadence.json` names for it.
public struct ProviderRouter: MailSender {
    let outbox: OutboxFolderSender
    let gmail: GmailSender?

    public init(outbox: OutboxFolderSender, gmail: GmailSender?) {
        self.outbox = outbox
        self.gmail = gmail
    }

    private func provider(for mailbox: Mailbox) throws(SendFailure) -> any MailSender {
        switch mailbox.provider {
        case .outbox: return outbox
        case .gmail:
            guard let gmail else { throw .notSent(reason: "no Gmail connection was set up for mailbox \(mailbox.name)") }
            return gmail
        }
    }

    public func send(_ request: SendRequest, from mailbox: Mailbox) async throws(SendFailure) -> SentMessage {
        try await provider(for: mailbox).send(request, from: mailbox)
    }

    public func lookUp(_ request: SendRequest, in mailbox: Mailbox) async throws(SendFailure) -> SentMessage? {
        try await provider(for: mailbox).lookUp(request, in: mailbox)
    }

    public func recheckDelay(for mailbox: Mailbox) -> TimeInterval {
        (try? provider(for: mailbox))?.recheckDelay(for: mailbox) ?? 0
    }

    public func storedMessageID(of providerMessageID: String, in mailbox: Mailbox) async throws(SendFailure) -> String? {
        try await provider(for: mailbox).storedMessageID(of: providerMessageID, in: mailbox)
    }

    public func historyPosition(of mailbox: Mailbox) async throws(SendFailure) -> String? {
        try await provider(for: mailbox).historyPosition(of: mailbox)
    }
}

extension GmailAccess {
    /// A Gmail sender for a run, whose token providers come from this project's secrets. `seed` fixes the
    /// backoff's jitter (`cadence run --seed`); nil draws it at random.
    public func sender(http: GoogleHTTP, retry: RetryPolicy = RetryPolicy(), seed: UInt64? = nil) -> GmailSender {
        let access = self
        let calls = GmailCalls(http: http, clock: clock, sleeper: sleeper, retry: retry, seed: seed, logger: logger) { mailbox, settings throws(AuthError) in
            try access.provider(for: mailbox, settings, http: http)
        }
        return GmailSender(calls: calls)
    }
}
