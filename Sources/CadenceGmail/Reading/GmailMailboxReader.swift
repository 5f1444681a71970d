import CadenceCore
import Foundation
import NIOHTTP1

/// The `gmail` provider's reading side, for reply watching: what arrived since a history position (every page),
/// each message's bytes, and push registration. Shares its clients and quota budgets with sending.
public struct GmailMailboxReader: MailboxReader {
    let calls: GmailCalls

    public init(calls: GmailCalls) {
        self.calls = calls
    }

    /// Where the mailbox's history stands now.
    func position(of mailbox: Mailbox) async throws(GmailCallFailure) -> String? {
        let response = try await calls.call(mailbox, units: 1, sending: false) { client async throws(GmailError) in
            try await client.call(.GET, "/gmail/v1/users/me/profile", label: "getProfile")
        }
        return response.decoded(GmailResponses.Profile.self)?.historyId?.value
    }

    /// Messages added since `position` (Gmail's history, every page). With no position yet, none: the mailbox's
    /// current position becomes the starting point. When Gmail no longer has the position, the mail of the last
    /// `resyncDays` days (every label but sent and drafts) stands in for the history, and the current position
    /// becomes the new starting point.
    public func changes(in mailbox: Mailbox, since position: String?, resyncDays: Int = 7) async throws(MailboxReadFailure) -> MailboxChanges {
        do {
            guard let position else {
                return MailboxChanges(messages: [], position: try await self.position(of: mailbox) ?? "0", resynced: false)
            }
            if let changes = try await history(of: mailbox, since: position) { return changes }
            return try await resync(mailbox, from: position, days: resyncDays)
        } catch {
            throw Self.failure(error)
        }
    }

    /// nil when Gmail no longer has `position` (404).
    private func history(of mailbox: Mailbox, since position: String) async throws(GmailCallFailure) -> MailboxChanges? {
        var messages: [(id: String, threadID: String?)] = []
        var seen = Set<String>()
        var pageToken: String?
        var latest = position
        repeat {
            var parameters = [("startHistoryId", position), ("historyTypes", "messageAdded"), ("maxResults", "500")]
            if let pageToken { parameters.append(("pageToken", pageToken)) }
            let page: GoogleHTTP.Response
            do {
                page = try await calls.call(mailbox, units: 2, sending: false) { client async throws(GmailError) in
                    try await client.call(.GET, "/gmail/v1/users/me/history", query: parameters, label: "history.list")
                }
            } catch {
                if case .notFound = error { return nil }
                throw error
            }
            let list = page.decoded(GmailResponses.HistoryList.self)
            for record in list?.history ?? [] {
                for added in record.messagesAdded ?? [] where !seen.contains(added.message.id) {
                    let labels = added.message.labelIds ?? []
                    if labels.contains("SENT") || labels.contains("DRAFT") { continue }  // ours, or a rep's own message
                    seen.insert(added.message.id)
                    messages.append((added.message.id, added.message.threadId))
                }
            }
            if let top = list?.historyId?.value { latest = top }
            pageToken = list?.nextPageToken
        } while pageToken != nil
        return MailboxChanges(messages: messages, position: latest, resynced: false)
    }

    /// The position expired: note where the mailbox is now, then read the recent mail.
    private func resync(_ mailbox: Mailbox, from position: String, days: Int) async throws(GmailCallFailure) -> MailboxChanges {
        let current = try await self.position(of: mailbox) ?? position
        var recent: [(id: String, threadID: String?)] = []
        var pageToken: String?
        repeat {
            // Every label, as the watch covers (a reply a filter moved out of the inbox still counts), except what
            // the mailbox sent itself; spam and trash are left out by messages.list.
            var parameters = [("q", "newer_than:\(days)d -in:sent -in:drafts"), ("maxResults", "500")]
            if let pageToken { parameters.append(("pageToken", pageToken)) }
            let page = try await calls.call(mailbox, units: 5, sending: false) { client async throws(GmailError) in
                try await client.call(.GET, "/gmail/v1/users/me/messages", query: parameters, label: "messages.list")
            }
            let list = page.decoded(GmailResponses.MessageList.self)
            recent += (list?.messages ?? []).map { ($0.id, $0.threadId) }
            pageToken = list?.nextPageToken
        } while pageToken != nil
        return MailboxChanges(messages: recent.reversed(), position: current, resynced: true)
    }

    /// A message's bytes, thread and arrival time, for classification; nil when it was deleted meanwhile. A body
    /// that cannot be decoded is an error, not a skip, so the mailbox's position stays until it can be read.
    public func fetch(_ id: String, in mailbox: Mailbox) async throws(MailboxReadFailure) -> FetchedMessage? {
        let response: GoogleHTTP.Response
        do {
            response = try await calls.call(mailbox, units: 5, sending: false) { client async throws(GmailError) in
                try await client.call(.GET, "/gmail/v1/users/me/messages/\(id)", query: [("format", "raw")], label: "messages.get")
            }
        } catch {
            if case .notFound = error { return nil }
            throw Self.failure(error)
        }
        let message = response.decoded(GmailResponses.Raw.self)
        guard let raw = message?.raw.flatMap({ Base64.decode(Array($0.utf8)) }) else {
            throw MailboxReadFailure("Gmail's copy of message \(id) could not be decoded; it is read again at the next sync")
        }
        let millis = message?.internalDate.flatMap { Double($0.value) }
        return FetchedMessage(raw: raw, threadID: message?.threadId, receivedAt: millis.map { Date(timeIntervalSince1970: $0 / 1000) })
    }

    /// Registers (or renews) Gmail push notifications for the mailbox to `topic`: every label, so a reply a
    /// filter moved out of the inbox still pushes. Gmail's answer: the position it starts from and when it lapses.
    public func watch(_ mailbox: Mailbox, topic: String) async throws(MailboxReadFailure) -> (historyID: String?, expiresAt: Date?) {
        let body = GmailSender.json(["topicName": topic])
        do {
            let response = try await calls.call(mailbox, units: 100, sending: false) { client async throws(GmailError) in
                try await client.call(.POST, "/gmail/v1/users/me/watch", json: body, label: "watch")
            }
            let answer = response.decoded(GmailResponses.Watch.self)
            let millis = answer?.expiration.flatMap { Double($0.value) }
            return (answer?.historyId?.value, millis.map { Date(timeIntervalSince1970: $0 / 1000) })
        } catch {
            throw Self.failure(error)
        }
    }

    /// Ends the mailbox's push notifications.
    public func stopWatching(_ mailbox: Mailbox) async throws(MailboxReadFailure) {
        do {
            _ = try await calls.call(mailbox, units: 50, sending: false) { client async throws(GmailError) in
                try await client.call(.POST, "/gmail/v1/users/me/stop", label: "stop")
            }
        } catch {
            throw Self.failure(error)
        }
    }

    static func failure(_ error: GmailCallFailure) -> MailboxReadFailure {
        let meaning = error.asSendFailure
        return MailboxReadFailure(Self.describe(meaning), needsPerson: meaning == .authRevoked)
    }

    static func describe(_ failure: SendFailure) -> String {
        switch failure {
        case .authRevoked: "the mailbox needs re-authorisation"
        case .rateLimited(let seconds): "Gmail asked to slow down" + (seconds.map { " for \($0) s" } ?? "")
        case .mailboxPaused(_, let reason), .rejected(let reason), .notSent(let reason), .outcomeUnknown(let reason), .deadlineReached(let reason): reason
        }
    }
}
