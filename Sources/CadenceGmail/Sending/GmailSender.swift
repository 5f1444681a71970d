import CadenceCore
import Foundation
import Logging
import NIOHTTP1
import Synchronization

/// The `gmail` provider: sends through `users.messages.send` exactly as recorded, joins threads, paces itself to
/// Gmail's quota, backs off on rate limits, and finds a send again after a crash or an unclear answer.
///
/// Gmail's send is not idempotent. So a timeout, a dropped connection or a 5xx after the request left is an
/// unknown outcome, never a retry: the runner reconciles it with `lookUp` (search by Message-ID, then by
/// recipient and time, each hit confirmed by its `X-Cadence-Send-Id`) before anything is sent again.
public final class GmailSender: MailSender, Sendable {
    /// Above this many bytes of message, the JSON `raw` body would pass Gmail's 1 MB request limit: upload instead.
    public static let uploadThreshold = 700_000
    /// Above this, even a multipart upload is too large (Google: multipart is for up to 5 MB): resumable upload.
    public static let resumableThreshold = 5 * 1024 * 1024
    /// How long a "not found" must stand before a resend: Gmail's search can lag a just-sent message.
    public static let recheck: TimeInterval = 60

    let http: GoogleHTTP
    let clock: any WallClock
    let sleeper: any Sleeper
    let retry: RetryPolicy
    let logger: Logger
    let makeTokens: @Sendable (Mailbox, GmailSettings) throws(AuthError) -> AccessTokenProvider
    private let clients = Mutex<[String: (GmailClient, QuotaBudget)]>([:])
    /// How long one attempt of a call to a mailbox can take (connect and request timeouts): an attempt starts only
    /// if it can be over before the call's deadline.
    private let attemptSeconds = Mutex<[String: Double]>([:])

    public init(
        http: GoogleHTTP, clock: any WallClock, sleeper: any Sleeper, retry: RetryPolicy = RetryPolicy(), logger: Logger,
        makeTokens: @escaping @Sendable (Mailbox, GmailSettings) throws(AuthError) -> AccessTokenProvider
    ) {
        self.http = http
        self.clock = clock
        self.sleeper = sleeper
        self.retry = retry
        self.logger = logger
        self.makeTokens = makeTokens
    }

    public func recheckDelay(for mailbox: Mailbox) -> TimeInterval { Self.recheck }

    /// The quota units this mailbox has spent and the seconds it waited for room (for benchmarks and reports).
    public func budgetUse(_ mailbox: String) async -> (spent: Int, waited: Double)? {
        guard let budget = clients.withLock({ $0[mailbox]?.1 }) else { return nil }
        return (await budget.spent, await budget.waited)
    }

    private func client(for mailbox: Mailbox) throws(SendFailure) -> (GmailClient, QuotaBudget) {
        guard case .gmail(let settings) = mailbox.provider else { throw .rejected(reason: "mailbox \(mailbox.name) does not use the gmail provider") }
        if let existing = clients.withLock({ $0[mailbox.name] }) { return existing }
        let tokens: AccessTokenProvider
        do { tokens = try makeTokens(mailbox, settings) } catch { throw error.needsPerson ? .authRevoked : .notSent(reason: error.description) }
        let made = (
            GmailClient(mailbox: mailbox.name, http: http, tokens: tokens, endpoints: settings.endpoints),
            QuotaBudget(perMinute: settings.endpoints.unitsPerMinute, perSecond: settings.endpoints.unitsPerSecond, clock: clock, sleeper: sleeper))
        attemptSeconds.withLock { $0[mailbox.name] = Double(settings.endpoints.connectTimeoutSeconds + settings.endpoints.requestTimeoutSeconds) }
        return clients.withLock { clients in
            if let raced = clients[mailbox.name] { return raced }  // another task made it meanwhile: keep one
            clients[mailbox.name] = made
            return made
        }
    }

    // MARK: MailSender

    public func send(_ request: SendRequest, from mailbox: Mailbox) async throws(SendFailure) -> SentMessage {
        let (client, budget) = try client(for: mailbox)
        let response: GoogleHTTP.Response
        if request.bytes.count <= Self.uploadThreshold {
            var body: [String: Any] = ["raw": Base64.urlEncoded(request.bytes)]
            if let thread = request.threadID { body["threadId"] = thread }
            let json = Array((try? JSONSerialization.data(withJSONObject: body)) ?? Data())
            response = try await calling(client, budget, units: 100, sending: true) { () async throws(GmailError) in
                try await client.call(.POST, "/gmail/v1/users/me/messages/send", json: json, label: "messages.send")
            }
        } else if request.bytes.count > Self.resumableThreshold {
            // Start a session (nothing is sent yet), then PUT the bytes: only the PUT can have sent the message.
            let metadata: [String: Any] = request.threadID.map { ["threadId": $0] } ?? [:]
            let json = Array((try? JSONSerialization.data(withJSONObject: metadata)) ?? Data())
            let start = try await calling(client, budget, units: 100, sending: false) { () async throws(GmailError) in
                try await client.call(
                    .POST, "/resumable/upload/gmail/v1/users/me/messages/send?uploadType=resumable", json: json, contentType: "application/json; charset=UTF-8",
                    headers: [("X-Upload-Content-Type", "message/rfc822"), ("X-Upload-Content-Length", String(request.bytes.count))], label: "messages.send (resumable start)")
            }
            guard let session = start.header("Location") else { throw .notSent(reason: "Gmail started no upload session") }
            response = try await calling(client, budget, units: 0, sending: true) { () async throws(GmailError) in
                try await client.call(.PUT, session, json: request.bytes, contentType: "message/rfc822", label: "messages.send (resumable upload)")
            }
        } else {
            let boundary = "cadence-" + request.key.sendID.filter { $0.isLetter || $0.isNumber }
            var body = Array("--\(boundary)\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n".utf8)
            let metadata: [String: Any] = request.threadID.map { ["threadId": $0] } ?? [:]
            body += Array((try? JSONSerialization.data(withJSONObject: metadata)) ?? Data())
            body += Array("\r\n--\(boundary)\r\nContent-Type: message/rfc822\r\n\r\n".utf8) + request.bytes + Array("\r\n--\(boundary)--\r\n".utf8)
            response = try await calling(client, budget, units: 100, sending: true) { () async throws(GmailError) in
                try await client.upload("/upload/gmail/v1/users/me/messages/send?uploadType=multipart", body: body, contentType: "multipart/related; boundary=\(boundary)")
            }
        }
        guard let json = response.json, let id = json["id"] as? String else {
            throw .outcomeUnknown(reason: "Gmail accepted the send but its answer had no message id")
        }
        var thread = json["threadId"] as? String
        // Read back the Message-ID Gmail stored (follow-ups must reference it, and it may not be ours) and the
        // message's history id (where a later lookup starts reading the mailbox's history).
        let readBack = try? await self.metadata(id, client, budget, headers: ["Message-ID"])
        if thread == nil { thread = readBack?.threadID }
        logger.info("sent", metadata: ["mailbox": .string(mailbox.name), "send": .string(request.key.sendID), "gmailId": .string(id)])
        return SentMessage(providerMessageID: id, threadID: thread, storedMessageID: readBack?.headers["Message-ID"] ?? nil, historyID: readBack?.historyID)
    }

    public func lookUp(_ request: SendRequest, in mailbox: Mailbox) async throws(SendFailure) -> SentMessage? {
        let (client, budget) = try client(for: mailbox)
        do {
            // 1. By the Message-ID we wrote (Gmail usually keeps it).
            if let found = try await find(query: "in:sent rfc822msgid:<\(request.key.messageID)>", request, client, budget) { return found }
            // 2. Gmail may have replaced it: the mailbox's history of sent messages since the intent, by send id.
            //    History is not a search index, so a message Gmail stored is there at once.
            if let cursor = request.historyCursor, let found = try await history(since: cursor, request, client, budget) { return found }
            // 3. Without a usable history position: every sent message to the recipient since the intent.
            let after = Int(request.recordedAt.timeIntervalSince1970) - 60
            return try await find(query: "in:sent to:\(request.recipient) after:\(after)", request, client, budget)
        } catch {
            throw .outcomeUnknown(reason: "cannot ask Gmail whether it was sent (\(error)); will ask again")
        }
    }

    public func storedMessageID(of providerMessageID: String, in mailbox: Mailbox) async throws(SendFailure) -> String? {
        let (client, budget) = try client(for: mailbox)
        do {
            return try await metadata(providerMessageID, client, budget, headers: ["Message-ID"]).headers["Message-ID"] ?? nil
        } catch {
            // Deleted from the mailbox: Gmail cannot thread on it any more, so the reply references ours.
            if case .rejected(let reason) = error, reason.hasPrefix("Gmail found no such item") { return nil }
            throw .notSent(reason: "cannot read the Message-ID Gmail stored (\(error))")
        }
    }

    public func historyPosition(of mailbox: Mailbox) async throws(SendFailure) -> String? {
        let (client, budget) = try client(for: mailbox)
        let response = try await calling(client, budget, units: 1, sending: false) { () async throws(GmailError) in
            try await client.call(.GET, "/gmail/v1/users/me/profile", label: "getProfile")
        }
        return response.json?["historyId"] as? String
    }

    // MARK: Watching for replies

    /// New messages in a mailbox since a history position.
    public struct Changes: Sendable {
        /// Messages added since (Cadence's own and drafts left out), oldest first.
        public var messages: [(id: String, threadID: String?)]
        /// The position to store once they are processed.
        public var position: String
        /// The stored position had expired (404): the messages are a bounded recent window instead.
        public var resynced: Bool
    }

    /// Messages added since `position` (Gmail's history, every page). With no position yet, none: the mailbox's
    /// current position becomes the starting point. When Gmail no longer has the position, the
    /// mail of the last `resyncDays` days (every label but sent and drafts) stands in for the history, and the current position becomes the new starting point.
    public func changes(in mailbox: Mailbox, since position: String?, resyncDays: Int = 7) async throws(SendFailure) -> Changes {
        let (client, budget) = try client(for: mailbox)
        guard let position else {
            return Changes(messages: [], position: try await historyPosition(of: mailbox) ?? "0", resynced: false)
        }
        var messages: [(id: String, threadID: String?)] = []
        var seen = Set<String>()
        var pageToken: String?
        var latest = position
        do {
            repeat {
                var parameters = [("startHistoryId", position), ("historyTypes", "messageAdded"), ("maxResults", "500")]
                if let pageToken { parameters.append(("pageToken", pageToken)) }
                let page = try await calling(client, budget, units: 2, sending: false) { () async throws(GmailError) in
                    try await client.call(.GET, "/gmail/v1/users/me/history", query: parameters, label: "history.list")
                }
                for record in page.json?["history"] as? [[String: Any]] ?? [] {
                    for added in record["messagesAdded"] as? [[String: Any]] ?? [] {
                        guard let message = added["message"] as? [String: Any], let id = message["id"] as? String, !seen.contains(id) else { continue }
                        let labels = message["labelIds"] as? [String] ?? []
                        if labels.contains("SENT") || labels.contains("DRAFT") { continue }  // ours, or a rep's own message
                        seen.insert(id)
                        messages.append((id, message["threadId"] as? String))
                    }
                }
                if let top = page.json?["historyId"] as? String { latest = top }
                pageToken = page.json?["nextPageToken"] as? String
            } while pageToken != nil
            return Changes(messages: messages, position: latest, resynced: false)
        } catch {
            guard case .rejected(let reason) = error, reason.hasPrefix("Gmail found no such item") else { throw error }
        }
        // The position expired: note where the mailbox is now, then read the recent mail.
        let current = try await historyPosition(of: mailbox) ?? position
        var recent: [(id: String, threadID: String?)] = []
        pageToken = nil
        repeat {
            // Every label, as the watch covers (a reply a filter moved out of the inbox still counts), except what
            // the mailbox sent itself; spam and trash are left out by messages.list.
            var parameters = [("q", "newer_than:\(resyncDays)d -in:sent -in:drafts"), ("maxResults", "500")]
            if let pageToken { parameters.append(("pageToken", pageToken)) }
            let page = try await calling(client, budget, units: 5, sending: false) { () async throws(GmailError) in
                try await client.call(.GET, "/gmail/v1/users/me/messages", query: parameters, label: "messages.list")
            }
            for entry in page.json?["messages"] as? [[String: Any]] ?? [] {
                if let id = entry["id"] as? String { recent.append((id, entry["threadId"] as? String)) }
            }
            pageToken = page.json?["nextPageToken"] as? String
        } while pageToken != nil
        return Changes(messages: recent.reversed(), position: current, resynced: true)
    }

    /// Registers (or renews) Gmail push notifications for the mailbox to `topic`: every label, so a reply a
    /// filter moved out of the inbox still pushes. Gmail's answer: the position it starts from and when it lapses.
    public func watch(_ mailbox: Mailbox, topic: String) async throws(SendFailure) -> (historyID: String?, expiresAt: Date?) {
        let (client, budget) = try client(for: mailbox)
        let body = Array(#"{"topicName":"\#(topic)"}"#.utf8)
        let response = try await calling(client, budget, units: 100, sending: false) { () async throws(GmailError) in
            try await client.call(.POST, "/gmail/v1/users/me/watch", json: body, label: "watch")
        }
        let millis = (response.json?["expiration"] as? String).flatMap(Double.init) ?? (response.json?["expiration"] as? NSNumber)?.doubleValue
        return (response.json?["historyId"] as? String, millis.map { Date(timeIntervalSince1970: $0 / 1000) })
    }

    /// Ends the mailbox's push notifications.
    public func stopWatching(_ mailbox: Mailbox) async throws(SendFailure) {
        let (client, budget) = try client(for: mailbox)
        _ = try await calling(client, budget, units: 50, sending: false) { () async throws(GmailError) in
            try await client.call(.POST, "/gmail/v1/users/me/stop", label: "stop")
        }
    }

    /// A message's bytes, thread and arrival time, for classification; nil when Gmail no longer has it (404).
    /// An answer without a `raw` that decodes is a failure, not an absence: the message is read again later.
    public func fetch(_ id: String, in mailbox: Mailbox) async throws(SendFailure) -> (raw: [UInt8], threadID: String?, receivedAt: Date?)? {
        let (client, budget) = try client(for: mailbox)
        do throws(SendFailure) {
            let response = try await calling(client, budget, units: 5, sending: false) { () async throws(GmailError) in
                try await client.call(.GET, "/gmail/v1/users/me/messages/\(id)", query: [("format", "raw")], label: "messages.get")
            }
            guard let raw = (response.json?["raw"] as? String).flatMap({ Base64.decode(Array($0.utf8)) }) else {
                throw SendFailure.notSent(reason: "Gmail's answer for message \(id) has no raw body that decodes as base64url; it is read again on the next pass")
            }
            let millis = (response.json?["internalDate"] as? String).flatMap { Double($0) }
            return (raw, response.json?["threadId"] as? String, millis.map { Date(timeIntervalSince1970: $0 / 1000) })
        } catch {
            if case .rejected(let reason) = error, reason.hasPrefix("Gmail found no such item") { return nil }  // deleted meanwhile
            throw error
        }
    }

    // MARK: Calls

    private func find(query: String, _ request: SendRequest, _ client: GmailClient, _ budget: QuotaBudget) async throws(SendFailure) -> SentMessage? {
        var pageToken: String?
        repeat {
            var parameters = [("q", query), ("maxResults", "100")]
            if let pageToken { parameters.append(("pageToken", pageToken)) }
            let page = try await calling(client, budget, units: 5, sending: false) { () async throws(GmailError) in
                try await client.call(.GET, "/gmail/v1/users/me/messages", query: parameters, label: "messages.list")
            }
            for entry in page.json?["messages"] as? [[String: Any]] ?? [] {
                guard let id = entry["id"] as? String, let found = try await metadataIfPresent(id, client, budget) else { continue }
                if found.headers["X-Cadence-Send-Id"] == request.key.sendID {
                    return SentMessage(providerMessageID: id, threadID: entry["threadId"] as? String, storedMessageID: found.headers["Message-ID"] ?? nil, historyID: found.historyID)
                }
            }
            pageToken = page.json?["nextPageToken"] as? String
        } while pageToken != nil
        return nil
    }

    /// Messages the mailbox sent since history position `cursor`, each checked for this send id; nil when none
    /// matches or the position has expired (Gmail answers 404; the recipient search takes over).
    private func history(since cursor: String, _ request: SendRequest, _ client: GmailClient, _ budget: QuotaBudget) async throws(SendFailure) -> SentMessage? {
        var pageToken: String?
        repeat {
            var parameters = [("startHistoryId", cursor), ("historyTypes", "messageAdded"), ("labelId", "SENT"), ("maxResults", "500")]
            if let pageToken { parameters.append(("pageToken", pageToken)) }
            let page: GoogleHTTP.Response
            do {
                page = try await calling(client, budget, units: 2, sending: false) { () async throws(GmailError) in
                    try await client.call(.GET, "/gmail/v1/users/me/history", query: parameters, label: "history.list")
                }
            } catch {
                if case .rejected(let reason) = error, reason.hasPrefix("Gmail found no such item") { return nil }  // expired position
                throw error
            }
            for record in page.json?["history"] as? [[String: Any]] ?? [] {
                for added in record["messagesAdded"] as? [[String: Any]] ?? [] {
                    guard let message = added["message"] as? [String: Any], let id = message["id"] as? String,
                        let found = try await metadataIfPresent(id, client, budget)
                    else { continue }
                    if found.headers["X-Cadence-Send-Id"] == request.key.sendID {
                        return SentMessage(providerMessageID: id, threadID: message["threadId"] as? String, storedMessageID: found.headers["Message-ID"] ?? nil, historyID: found.historyID)
                    }
                }
            }
            pageToken = page.json?["nextPageToken"] as? String
        } while pageToken != nil
        return nil
    }

    /// A message's send id and Message-ID, or nil when it is gone (deleted since it was sent).
    private func metadataIfPresent(_ id: String, _ client: GmailClient, _ budget: QuotaBudget) async throws(SendFailure) -> (headers: [String: String?], historyID: String?, threadID: String?)? {
        do {
            return try await metadata(id, client, budget, headers: ["X-Cadence-Send-Id", "Message-ID"])
        } catch {
            if case .rejected(let reason) = error, reason.hasPrefix("Gmail found no such item") { return nil }
            throw error
        }
    }

    private func metadata(_ id: String, _ client: GmailClient, _ budget: QuotaBudget, headers names: [String]) async throws(SendFailure) -> (headers: [String: String?], historyID: String?, threadID: String?) {
        let response = try await calling(client, budget, units: 5, sending: false) { () async throws(GmailError) in
            try await client.call(.GET, "/gmail/v1/users/me/messages/\(id)", query: [("format", "metadata")] + names.map { ("metadataHeaders", $0) }, label: "messages.get")
        }
        let found = ((response.json?["payload"] as? [String: Any])?["headers"] as? [[String: String]]) ?? []
        var result: [String: String?] = [:]
        for name in names {
            result[name] = found.first { $0["name"]?.lowercased() == name.lowercased() }?["value"]
        }
        return (result, response.json?["historyId"] as? String, response.json?["threadId"] as? String)
    }

    /// One call within the quota, with Gmail's rate-limit rules: 429 and 403 rate limits back off (full jitter,
    /// at least the hint) and retry; the "(Mail sending)" limit pauses the mailbox; everything else is mapped to
    /// what it means for the send.
    private func calling(
        _ client: GmailClient, _ budget: QuotaBudget, units: Int, sending: Bool, _ call: () async throws(GmailError) -> GoogleHTTP.Response
    ) async throws(SendFailure) -> GoogleHTTP.Response {
        var generator = SystemRandomNumberGenerator()
        var lastHint: Double?
        let attemptLimit = attemptSeconds.withLock { $0[client.mailbox] } ?? 70
        for attempt in 0..<max(1, retry.attempts) {
            do {
                try await budget.reserve(units, attemptSeconds: attemptLimit)
                try RetryPolicy.checkAttempt(lasting: attemptLimit, clock: clock)
            } catch {
                throw .deadlineReached(reason: error.description)
            }
            do {
                return try await call()
            } catch {
                switch error {
                case .api(let failure) where Self.isRateLimit(failure):
                    let hint = RetryPolicy.hint(retryAfter: failure.retryAfter, message: failure.message, now: clock.now)
                    if failure.message.contains("(Mail sending)") {
                        let until = clock.now.addingTimeInterval(hint ?? 900)
                        throw .mailboxPaused(until: until, reason: "Gmail's sending limit: \(failure.message)")
                    }
                    lastHint = hint
                    // A hint longer than the backoff cap is not waited out inside a pass (another runner could take
                    // over meanwhile): the step is deferred until then instead.
                    if let hint, hint > retry.cap { throw .rateLimited(retryAfterSeconds: Int(hint.rounded(.up))) }
                    guard attempt + 1 < retry.attempts else { throw .rateLimited(retryAfterSeconds: hint.map { Int($0.rounded(.up)) }) }
                    logger.notice("rate limited; backing off", metadata: ["mailbox": .string(client.mailbox)])
                    do {
                        try await retry.wait(beforeRetry: attempt, hint: hint, attemptSeconds: attemptLimit, clock: clock, sleeper: sleeper, using: &generator)
                    } catch {
                        throw .deadlineReached(reason: error.description)
                    }
                    continue
                case .api(let failure) where failure.status >= 500:
                    throw sending ? .outcomeUnknown(reason: "Gmail answered \(failure.status) \(failure.reason)") : .notSent(reason: "Gmail answered \(failure)")
                case .api(let failure) where failure.status == 401:
                    // One refresh and one retry already happened (GmailClient): the grant is not usable.
                    throw .authRevoked
                case .api(let failure) where failure.status == 404:
                    throw .rejected(reason: "Gmail found no such item (404 \(failure.reason))")
                case .api(let failure) where Self.isFinal(failure) || !sending:
                    throw .rejected(reason: "Gmail refused: \(failure.message) (\(failure.status) \(failure.reason))")
                case .api(let failure):
                    // Any other 4xx on a send (408, 409, a proxy's page…) says nothing certain: look before resending.
                    throw .outcomeUnknown(reason: "Gmail answered \(failure.status) \(failure.reason)")
                case .transport(.notSent(let reason)):
                    throw .notSent(reason: "could not reach Gmail: \(reason)")
                case .transport(.noAnswer(let reason)):
                    throw sending ? .outcomeUnknown(reason: "no answer from Gmail: \(reason)") : .notSent(reason: "no answer from Gmail: \(reason)")
                case .auth(let auth):
                    throw auth.needsPerson ? .authRevoked : .notSent(reason: auth.description)
                case .malformed(let text):
                    throw sending ? .outcomeUnknown(reason: text) : .notSent(reason: text)
                }
            }
        }
        throw .rateLimited(retryAfterSeconds: lastHint.map { Int($0.rounded(.up)) })
    }

    /// Answers that mean Gmail did not take the message and never will (`../shared/docs/gmail-api.md` §5).
    static func isFinal(_ failure: GmailAPIFailure) -> Bool {
        switch failure.status {
        case 400, 413: true
        case 403: ["insufficientPermissions", "domainPolicy", "dailyLimitExceeded", "forbidden"].contains(failure.reason)
        default: false
        }
    }

    static func isRateLimit(_ failure: GmailAPIFailure) -> Bool {
        failure.status == 429 || (failure.status == 403 && ["rateLimitExceeded", "userRateLimitExceeded"].contains(failure.reason))
    }
}
