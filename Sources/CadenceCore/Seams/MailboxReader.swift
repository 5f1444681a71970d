import Foundation

/// The seam between reply watching and a mailbox's provider: what arrived since a position, each message's
/// bytes, and push registration. Gmail implements it; reply watching knows nothing else of Gmail.
public protocol MailboxReader: Sendable {
    /// Messages added since `position` (nil: none yet; the mailbox's current position becomes the start).
    func changes(in mailbox: Mailbox, since position: String?, resyncDays: Int) async throws(MailboxReadFailure) -> MailboxChanges
    /// A message's bytes, thread and arrival, or nil when it is gone (deleted since it arrived).
    func fetch(_ id: String, in mailbox: Mailbox) async throws(MailboxReadFailure) -> FetchedMessage?
    /// Registers (or renews) push notifications to `topic`.
    func watch(_ mailbox: Mailbox, topic: String) async throws(MailboxReadFailure) -> (historyID: String?, expiresAt: Date?)
    /// Ends push notifications.
    func stopWatching(_ mailbox: Mailbox) async throws(MailboxReadFailure)
}

/// New messages in a mailbox since a position.
public struct MailboxChanges: Sendable {
    /// Messages added since (the mailbox's own and drafts left out), oldest first.
    public var messages: [(id: String, threadID: String?)]
    /// The position to store once they are processed.
    public var position: String
    /// The stored position had expired: the messages are a bounded recent window instead.
    public var resynced: Bool

    public init(messages: [(id: String, threadID: String?)], position: String, resynced: Bool) {
        self.messages = messages
        self.position = position
        self.resynced = resynced
    }
}

/// One incoming message as the provider stores it.
public struct FetchedMessage: Sendable {
    public var raw: [UInt8]
    public var threadID: String?
    public var receivedAt: Date?

    public init(raw: [UInt8], threadID: String?, receivedAt: Date?) {
        self.raw = raw
        self.threadID = threadID
        self.receivedAt = receivedAt
    }
}

/// A mailbox could not be read now; its position stays, and the next read tries again.
public struct MailboxReadFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    /// A person must act (re-authorise the mailbox) before reading can work.
    public var needsPerson: Bool

    public init(_ reason: String, needsPerson: Bool = false) {
        self.reason = reason
        self.needsPerson = needsPerson
    }

    public var description: String { reason }
}
