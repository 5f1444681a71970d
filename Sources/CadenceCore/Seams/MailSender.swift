/// The seam between the runner and a mailbox's provider (the outbox folder now, Gmail next).
///
/// A send can fail in ways that must be told apart, because the runner's answer differs: wait and retry, hold the
/// mailbox, fail the step, retry freely, or first find out whether the message went out. A provider must also be
/// able to say whether a given send already went out, which is how a crash or an unknown outcome is reconciled
/// without ever sending twice.
public protocol MailSender: Sendable {
    /// Hands `bytes` (exactly what was recorded before the call) to the provider.
    func send(_ bytes: [UInt8], key: SendKey, from mailbox: Mailbox) async throws(SendFailure) -> SentMessage

    /// The message with this send's identity if the mailbox already sent it, nil if it certainly did not.
    /// Throws when the provider cannot be asked; the send then stays in doubt.
    func lookUp(_ key: SendKey, in mailbox: Mailbox) async throws(SendFailure) -> SentMessage?
}

/// Why a send did not (certainly) go out.
public enum SendFailure: Error, Sendable, Equatable {
    /// Not sent; try again after `retryAfter` (a 429 or the provider's own pacing).
    case rateLimited(retryAfterSeconds: Int?)
    /// Not sent; the mailbox's authorisation is gone and a person must renew it.
    case authRevoked
    /// Not sent, and sending again will not help: the provider refused this message.
    case rejected(reason: String)
    /// Certainly not sent (it failed before the provider had it): safe to retry.
    case notSent(reason: String)
    /// May or may not have been sent (a timeout, a reset, a 5xx after the request left): look it up before any retry.
    case outcomeUnknown(reason: String)
}

/// What the provider says about a message it has.
public struct SentMessage: Sendable, Equatable {
    /// The provider's id (Gmail's message id; the outbox file's name).
    public var providerMessageID: String
    /// The provider's thread id, where it has one.
    public var threadID: String?

    public init(providerMessageID: String, threadID: String?) {
        self.providerMessageID = providerMessageID
        self.threadID = threadID
    }
}

/// What identifies one send to a provider: Cadence's send id (`X-Cadence-Send-Id`) and the Message-ID it carries.
public struct SendKey: Sendable, Hashable {
    public var sendID: String
    /// Without angle brackets.
    public var messageID: String

    public init(sendID: String, messageID: String) {
        self.sendID = sendID
        self.messageID = messageID
    }
}

extension SendIdentity {
    public func key(domain: String) -> SendKey {
        SendKey(sendID: sendID, messageID: messageID(domain: domain))
    }
}
