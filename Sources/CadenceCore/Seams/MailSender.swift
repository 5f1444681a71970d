import Foundation

/// The seam between the runner and a mailbox's provider (the outbox folder, Gmail).
///
/// A send can fail in ways that must be told apart, because the runner's answer differs: wait and retry, hold the
/// mailbox, fail the step, retry freely, or first find out whether the message went out. A provider must also be
/// able to say whether a given send already went out, which is how a crash or an unknown outcome is reconciled
/// without ever sending twice.
public protocol MailSender: Sendable {
    /// Hands `request.bytes` (exactly what was recorded before the call) to the provider.
    func send(_ request: SendRequest, from mailbox: Mailbox) async throws(SendFailure) -> SentMessage

    /// The message with this send's identity if the mailbox already sent it, nil if it was not found.
    /// Throws when the provider cannot be asked; the send then stays in doubt.
    func lookUp(_ request: SendRequest, in mailbox: Mailbox) async throws(SendFailure) -> SentMessage?

    /// How long a "not found" must stand before it is trusted: 0 when the provider's answer is immediate and
    /// final (a folder), longer where a just-sent message can take a moment to show up in search (Gmail).
    func recheckDelay(for mailbox: Mailbox) -> TimeInterval

    /// The Message-ID the provider stored for a message it sent, when it may differ from ours; nil if unknown.
    func storedMessageID(of providerMessageID: String, in mailbox: Mailbox) async throws(SendFailure) -> String?

    /// Where the mailbox's history stands now (Gmail's history id), recorded with an intent so a lookup can read
    /// what was sent since; nil where the provider has no history.
    func historyPosition(of mailbox: Mailbox) async throws(SendFailure) -> String?
}

extension MailSender {
    public func recheckDelay(for mailbox: Mailbox) -> TimeInterval { 0 }
    public func storedMessageID(of providerMessageID: String, in mailbox: Mailbox) async throws(SendFailure) -> String? { nil }
    public func historyPosition(of mailbox: Mailbox) async throws(SendFailure) -> String? { nil }
}

/// One send as the provider needs it: the recorded bytes, their identity, the thread to join, and what a lookup
/// needs to find it again.
public struct SendRequest: Sendable, Equatable {
    public var bytes: [UInt8]
    public var key: SendKey
    /// The provider's thread this message continues (Gmail's `threadId`), nil for a new thread.
    public var threadID: String?
    /// The recipient's address, for lookups by recipient.
    public var recipient: String
    /// When the intent was recorded: the message cannot have been sent before.
    public var recordedAt: Date
    /// The mailbox's latest history position Cadence knew when the intent was recorded (Gmail's history id), so
    /// a lookup can read what the mailbox sent since; nil when none is known.
    public var historyCursor: String?

    public init(bytes: [UInt8], key: SendKey, threadID: String? = nil, recipient: String, recordedAt: Date, historyCursor: String? = nil) {
        self.bytes = bytes
        self.key = key
        self.threadID = threadID
        self.recipient = recipient
        self.recordedAt = recordedAt
        self.historyCursor = historyCursor
    }
}

/// Why a send did not (certainly) go out.
public enum SendFailure: Error, Sendable, Equatable {
    /// Not sent; try again after `retryAfter` (a 429 or the provider's own pacing).
    case rateLimited(retryAfterSeconds: Int?)
    /// Not sent; the mailbox's authorisation is gone and a person must renew it.
    case authRevoked
    /// Not sent; the provider stopped this mailbox from sending until `until` (Gmail's daily sending limit).
    case mailboxPaused(until: Date, reason: String)
    /// Not sent, and sending again will not help: the provider refused this message.
    case rejected(reason: String)
    /// Certainly not sent (it failed before the provider had it): safe to retry.
    case notSent(reason: String)
    /// Certainly not sent: the call stopped before an attempt that could send, because the runner's lease would
    /// have run out first (or the runner is stopping). The step waits for the next pass of whoever holds the lease.
    case deadlineReached(reason: String)
    /// May or may not have been sent (a timeout, a reset, a 5xx after the request left): look it up before any retry.
    case outcomeUnknown(reason: String)
}

/// What the provider says about a message it has.
public struct SentMessage: Sendable, Equatable {
    /// The provider's id (Gmail's message id; the outbox file's name).
    public var providerMessageID: String
    /// The provider's thread id, where it has one.
    public var threadID: String?
    /// The Message-ID the provider stored, where it may differ from the one Cadence wrote; nil if not known yet.
    public var storedMessageID: String?
    /// The provider's position in the mailbox's history for this message (Gmail's history id), if known.
    public var historyID: String?
    /// When the provider took the message, where it says (Gmail's `internalDate`). A send confirmed long after it
    /// went out is dated by this, so the replies that came back in between count for it.
    public var sentAt: Date?

    public init(providerMessageID: String, threadID: String?, storedMessageID: String? = nil, historyID: String? = nil, sentAt: Date? = nil) {
        self.providerMessageID = providerMessageID
        self.threadID = threadID
        self.storedMessageID = storedMessageID
        self.historyID = historyID
        self.sentAt = sentAt
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

    /// The hash that ends the send id, which tracking tokens carry (`SendIdentity.trackingID`).
    public var trackingID: String { sendID.split(separator: ".").last.map(String.init) ?? sendID }
}

extension SendIdentity {
    public func key(domain: String) -> SendKey {
        SendKey(sendID: sendID, messageID: messageID(domain: domain))
    }
}
