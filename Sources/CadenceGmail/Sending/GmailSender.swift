import CadenceCore
import Foundation
import Logging
import NIOHTTP1

/// The `gmail` provider's sending side: sends through `users.messages.send` exactly as recorded, joins threads,
/// and finds a send again after a crash or an unclear answer.
///
/// Gmail's send is not idempotent. So a timeout, a dropped connection or a 5xx after the request left is an
/// unknown outcome, never a retry: the runner reconciles it with `lookUp` (search by Message-ID, then the
/// mailbox's history, then by recipient and time, each hit confirmed by its `X-Cadence-Send-Id`) before
/// anything is sent again.
public struct GmailSender: MailSender {
    /// Above this many bytes of message, the JSON `raw` body would pass Gmail's 1 MB request limit: upload instead.
    public static let uploadThreshold = 700_000
    /// Above this, even a multipart upload is too large (Google: multipart is for up to 5 MB): resumable upload.
    public static let resumableThreshold = 5 * 1024 * 1024
    /// How long a "not found" must stand before a resend: Gmail's search can lag a just-sent message.
    public static let recheck: TimeInterval = 60

    public let calls: GmailCalls

    public init(calls: GmailCalls) {
        self.calls = calls
    }

    public init(
        http: GoogleHTTP, clock: any WallClock, sleeper: any Sleeper, retry: RetryPolicy = RetryPolicy(), logger: Logger,
        makeTokens: @escaping @Sendable (Mailbox, GmailSettings) throws(AuthError) -> AccessTokenProvider
    ) {
        self.init(calls: GmailCalls(http: http, clock: clock, sleeper: sleeper, retry: retry, logger: logger, makeTokens: makeTokens))
    }

    /// Reading the same mailboxes, with the same clients and quota budgets.
    public var reader: GmailMailboxReader { GmailMailboxReader(calls: calls) }

    public func recheckDelay(for mailbox: Mailbox) -> TimeInterval { Self.recheck }

    /// The quota units this mailbox has spent and the seconds it waited for room (for benchmarks and reports).
    public func budgetUse(_ mailbox: String) async -> (spent: Int, waited: Double)? { await calls.budgetUse(mailbox) }

    // MARK: MailSender

    public func send(_ request: SendRequest, from mailbox: Mailbox) async throws(SendFailure) -> SentMessage {
        let metadata = Self.json(request.threadID.map { ["threadId": $0] } ?? [:])
        let response: GoogleHTTP.Response
        do {
            if request.bytes.count <= Self.uploadThreshold {
                var body = ["raw": Base64.urlEncoded(request.bytes)]
                if let thread = request.threadID { body["threadId"] = thread }
                let json = Self.json(body)
                response = try await calls.call(mailbox, units: 100, sending: true) { client async throws(GmailError) in
                    try await client.call(.POST, "/gmail/v1/users/me/messages/send", json: json, label: "messages.send")
                }
            } else if request.bytes.count > Self.resumableThreshold {
                // Start a session (nothing is sent yet), then PUT the bytes: only the PUT can have sent the message.
                let start = try await calls.call(mailbox, units: 100, sending: false) { client async throws(GmailError) in
                    try await client.call(
                        .POST, "/resumable/upload/gmail/v1/users/me/messages/send?uploadType=resumable", json: metadata, contentType: "application/json; charset=UTF-8",
                        headers: [("X-Upload-Content-Type", "message/rfc822"), ("X-Upload-Content-Length", String(request.bytes.count))],
                        label: "messages.send (resumable start)")
                }
                guard let session = start.header("Location") else { throw SendFailure.notSent(reason: "Gmail started no upload session") }
                response = try await calls.call(mailbox, units: 0, sending: true) { client async throws(GmailError) in
                    try await client.call(.PUT, session, json: request.bytes, contentType: "message/rfc822", label: "messages.send (resumable upload)")
                }
            } else {
                let boundary = "cadence-" + request.key.sendID.filter { $0.isLetter || $0.isNumber }
                var body = Array("--\(boundary)\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n".utf8) + metadata
                body += Array("\r\n--\(boundary)\r\nContent-Type: message/rfc822\r\n\r\n".utf8) + request.bytes + Array("\r\n--\(boundary)--\r\n".utf8)
                response = try await calls.call(mailbox, units: 100, sending: true) { client async throws(GmailError) in
                    try await client.upload(
                        "/upload/gmail/v1/users/me/messages/send?uploadType=multipart", body: body, contentType: "multipart/related; boundary=\(boundary)")
                }
            }
        } catch let failure as GmailCallFailure {
            throw failure.asSendFailure
        } catch let failure as SendFailure {
            throw failure
        } catch {
            throw .outcomeUnknown(reason: "\(error)")
        }
        guard let sent = response.decoded(GmailResponses.MessageRef.self) else {
            throw .outcomeUnknown(reason: "Gmail accepted the send but its answer had no message id")
        }
        // Read back the Message-ID Gmail stored (follow-ups must reference it, and it may not be ours) and the
        // message's history id (where a later lookup starts reading the mailbox's history).
        let readBack = try? await metadataIfPresent(sent.id, in: mailbox, headers: ["Message-ID"])
        calls.logger.info("sent", metadata: ["mailbox": .string(mailbox.name), "send": .string(request.key.sendID), "gmailId": .string(sent.id)])
        return SentMessage(
            providerMessageID: sent.id, threadID: sent.threadId ?? readBack?.threadId, storedMessageID: readBack?.header("Message-ID"),
            historyID: readBack?.historyId?.value)
    }

    public func lookUp(_ request: SendRequest, in mailbox: Mailbox) async throws(SendFailure) -> SentMessage? {
        do {
            // 1. By the Message-ID we wrote (Gmail usually keeps it).
            if let found = try await find(query: "in:sent rfc822msgid:<\(request.key.messageID)>", request, mailbox) { return found }
            // 2. Gmail may have replaced it: the mailbox's history of sent messages since the intent, by send id.
            //    History is not a search index, so a message Gmail stored is there at once.
            if let cursor = request.historyCursor, let found = try await history(since: cursor, request, mailbox) { return found }
            // 3. Without a usable history position: every sent message to the recipient since the intent.
            let after = Int(request.recordedAt.timeIntervalSince1970) - 60
            return try await find(query: "in:sent to:\(request.recipient) after:\(after)", request, mailbox)
        } catch {
            throw .outcomeUnknown(reason: "cannot ask Gmail whether it was sent (\(error.asSendFailure)); will ask again")
        }
    }

    public func storedMessageID(of providerMessageID: String, in mailbox: Mailbox) async throws(SendFailure) -> String? {
        do {
            // Deleted from the mailbox: Gmail cannot thread on it any more, so the reply references ours.
            return try await metadataIfPresent(providerMessageID, in: mailbox, headers: ["Message-ID"])?.header("Message-ID")
        } catch {
            throw .notSent(reason: "cannot read the Message-ID Gmail stored (\(error.asSendFailure))")
        }
    }

    public func historyPosition(of mailbox: Mailbox) async throws(SendFailure) -> String? {
        do {
            return try await reader.position(of: mailbox)
        } catch {
            throw error.asSendFailure
        }
    }

    // MARK: Lookups

    private func find(query: String, _ request: SendRequest, _ mailbox: Mailbox) async throws(GmailCallFailure) -> SentMessage? {
        var pageToken: String?
        repeat {
            var parameters = [("q", query), ("maxResults", "100")]
            if let pageToken { parameters.append(("pageToken", pageToken)) }
            let page = try await calls.call(mailbox, units: 5, sending: false) { client async throws(GmailError) in
                try await client.call(.GET, "/gmail/v1/users/me/messages", query: parameters, label: "messages.list")
            }
            let list = page.decoded(GmailResponses.MessageList.self)
            for entry in list?.messages ?? [] {
                if let found = try await confirmed(entry, request, mailbox) { return found }
            }
            pageToken = list?.nextPageToken
        } while pageToken != nil
        return nil
    }

    /// Messages the mailbox sent since history position `cursor`, each checked for this send id; nil when none
    /// matches or the position has expired (Gmail answers 404; the recipient search takes over).
    private func history(since cursor: String, _ request: SendRequest, _ mailbox: Mailbox) async throws(GmailCallFailure) -> SentMessage? {
        var pageToken: String?
        repeat {
            var parameters = [("startHistoryId", cursor), ("historyTypes", "messageAdded"), ("labelId", "SENT"), ("maxResults", "500")]
            if let pageToken { parameters.append(("pageToken", pageToken)) }
            let page: GoogleHTTP.Response
            do {
                page = try await calls.call(mailbox, units: 2, sending: false) { client async throws(GmailError) in
                    try await client.call(.GET, "/gmail/v1/users/me/history", query: parameters, label: "history.list")
                }
            } catch {
                if case .notFound = error { return nil }  // expired position
                throw error
            }
            let list = page.decoded(GmailResponses.HistoryList.self)
            for record in list?.history ?? [] {
                for added in record.messagesAdded ?? [] {
                    if let found = try await confirmed(added.message, request, mailbox) { return found }
                }
            }
            pageToken = list?.nextPageToken
        } while pageToken != nil
        return nil
    }

    /// `entry` as the sent message of `request`, if its `X-Cadence-Send-Id` says so (and it still exists).
    private func confirmed(_ entry: GmailResponses.MessageRef, _ request: SendRequest, _ mailbox: Mailbox) async throws(GmailCallFailure) -> SentMessage? {
        guard let found = try await metadataIfPresent(entry.id, in: mailbox, headers: ["X-Cadence-Send-Id", "Message-ID"]),
            found.header("X-Cadence-Send-Id") == request.key.sendID
        else { return nil }
        return SentMessage(
            providerMessageID: entry.id, threadID: entry.threadId ?? found.threadId, storedMessageID: found.header("Message-ID"), historyID: found.historyId?.value,
            sentAt: found.date)
    }

    /// A message's headers `names`, thread and history id, or nil when it is gone (deleted since it was sent).
    private func metadataIfPresent(_ id: String, in mailbox: Mailbox, headers names: [String]) async throws(GmailCallFailure) -> GmailResponses.Metadata? {
        do {
            let response = try await calls.call(mailbox, units: 5, sending: false) { client async throws(GmailError) in
                try await client.call(.GET, "/gmail/v1/users/me/messages/\(id)", query: [("format", "metadata")] + names.map { ("metadataHeaders", $0) }, label: "messages.get")
            }
            return response.decoded(GmailResponses.Metadata.self)
        } catch {
            if case .notFound = error { return nil }
            throw error
        }
    }

    static func json(_ object: [String: String]) -> [UInt8] {
        Array((try? JSONEncoder().encode(object)) ?? Data("{}".utf8))
    }
}
