import CadenceCore
import Foundation

/// The Gmail REST methods Cadence uses, with Gmail's rules: bearer tokens that expire, scopes per method, quota
/// units per user, the rolling daily sending limit, strict base64url `raw`, the threading rule, string history ids.
extension FakeStorage {
    /// Quota units per method (`../shared/docs/gmail-api.md` §5).
    static let units: [String: Int] = [
        "messages.send": 100, "watch": 100, "stop": 50, "threads.get": 10, "messages.get": 5, "messages.list": 5,
        "history.list": 2, "getProfile": 1, "upload.put": 0,
    ]

    static let readScopes: Set<String> = [GmailScope.metadata, GmailScope.readonly, GmailScope.modify, GmailScope.full]
    static let bodyScopes: Set<String> = [GmailScope.readonly, GmailScope.modify, GmailScope.full]
    static let sendScopes: Set<String> = [GmailScope.send, GmailScope.compose, GmailScope.modify, GmailScope.full]
    static let profileScopes: Set<String> = readScopes.union([GmailScope.compose])

    /// Who is calling: the mailbox and scopes of a live access token for `userId`, or Gmail's error.
    func caller(_ request: FakeRequest, userID: String, now: Date) -> Result<(String, Set<String>), FakeErrorResponse> {
        guard let token = request.bearerToken else {
            return .failure(
                FakeErrorResponse(
                    .apiError(401, "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.", reason: "required")))
        }
        guard let grant = accessTokens[token], grant.expires > now else {
            return .failure(
                FakeErrorResponse(
                    .apiError(401, "Invalid Credentials", reason: "authError", extraHeaders: [("WWW-Authenticate", "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"")])))
        }
        if let refresh = grant.refreshToken, refreshTokens[refresh]?.revoked == true {
            return .failure(FakeErrorResponse(.apiError(401, "Invalid Credentials", reason: "authError")))
        }
        guard userID == "me" || userID.lowercased() == grant.user else {
            return .failure(FakeErrorResponse(.apiError(403, "Delegation denied for \(grant.user)", reason: "forbidden")))
        }
        return .success((grant.user, Set(grant.scopes)))
    }

    static func insufficientScopes() -> FakeResponse {
        .apiError(403, "Request had insufficient authentication scopes.", reason: "insufficientPermissions")
    }

    /// Charges `method`'s units to `user`, or the per-user rate-limit 429 when the rolling windows are full.
    mutating func charge(_ method: String, user: String, now: Date) -> FakeResponse? {
        let cost = Self.units[method] ?? 1
        guard var mailbox = mailboxes[user] else { return nil }
        mailbox.charges.removeAll { now.timeIntervalSince($0.at) >= 60 }
        let minute = mailbox.charges.reduce(0) { $0 + $1.units }
        let second = mailbox.charges.filter { now.timeIntervalSince($0.at) < 1 }.reduce(0) { $0 + $1.units }
        var wait: Double?
        if let limit = options.unitsPerMinute, minute + cost > limit {
            // The window frees up as the oldest charges turn a minute old.
            var freed = 0
            for charge in mailbox.charges where minute - freed + cost > limit {
                freed += charge.units
                wait = charge.at.addingTimeInterval(60).timeIntervalSince(now)
            }
        } else if let limit = options.unitsPerSecond, second + cost > limit {
            wait = 1
        }
        if let wait {
            rateLimitedAnswers += 1
            let seconds = max(1, Int(wait.rounded(.up)))
            return .apiError(429, "User-rate limit exceeded.", reason: "userRateLimitExceeded", domain: "usageLimits", extraHeaders: [("Retry-After", String(seconds))])
        }
        mailbox.charges.append(QuotaCharge(at: now, units: cost))
        mailboxes[user] = mailbox
        unitsCharged[user, default: 0] += cost
        return nil
    }

    // MARK: Methods

    mutating func profile(user: String, scopes: Set<String>) -> FakeResponse {
        guard !scopes.isDisjoint(with: Self.profileScopes) else { return Self.insufficientScopes() }
        let mailbox = mailboxes[user]!
        return .json(
            200,
            [
                "emailAddress": mailbox.address, "messagesTotal": mailbox.messages.count,
                "threadsTotal": Set(mailbox.messages.map(\.threadID)).count, "historyId": String(mailbox.historyID),
            ])
    }

    /// `messages.send` and its upload twin: `raw` is the exact message; `threadId` asks to join a thread.
    mutating func send(raw: [UInt8], threadID: String?, user: String, now: Date) -> FakeResponse {
        guard raw.count <= options.maxMessageBytes else {
            return .apiError(413, "Request Entity Too Large: the message is \(raw.count) bytes; Gmail takes at most \(options.maxMessageBytes)", reason: "uploadTooLarge")
        }
        let parsed: MailMessage
        do {
            parsed = try MailMessage.parse(raw)
        } catch {
            return .apiError(400, "Invalid RFC822 message: \(error)", reason: "invalidArgument")
        }
        let recipients = ["To", "Cc", "Bcc"].flatMap { parsed.headers(named: $0) }.flatMap(AddressList.addresses)
        guard !recipients.isEmpty else { return .apiError(400, "Recipient address required", reason: "invalidArgument") }
        guard recipients.count <= options.maxRecipients else {
            return .apiError(400, "Too many recipients: \(recipients.count); at most \(options.maxRecipients) per message", reason: "invalidArgument")
        }
        for address in recipients where !address.contains("@") || address.hasPrefix("@") || address.hasSuffix("@") {
            return .apiError(400, "Invalid To header", reason: "invalidArgument")
        }
        var mailbox = mailboxes[user]!
        let day = now.addingTimeInterval(-86_400)
        let sentToday = mailbox.messages.filter { $0.isSent && $0.internalDate > day }
        if sentToday.count >= options.dailySendLimit {
            let retry = sentToday[sentToday.count - options.dailySendLimit].internalDate.addingTimeInterval(86_400)
            rateLimitedAnswers += 1
            let message = "User-rate limit exceeded.  Retry after \(Self.rfc3339(retry)) (Mail sending)"
            return .apiError(429, message, reason: "rateLimitExceeded", domain: "usageLimits")
        }
        var bytes = raw
        let written = parsed.header("Message-ID")
        var messageID = written
        var originalMessageID: String?
        if options.replaceMessageIDs || written == nil {
            let replacement = "<CAfake\(nextToken(""))@mail.gmail.com>"
            bytes = Self.settingHeader("Message-ID", to: replacement, in: bytes)
            originalMessageID = written
            messageID = replacement
        }
        let from = parsed.header("From").flatMap { AddressList.addresses(in: $0).first } ?? ""
        var fromRewritten = false
        let own = [mailbox.address] + mailbox.aliases
        if !own.contains(where: { $0.lowercased() == from.lowercased() }) {
            bytes = Self.settingHeader("From", to: mailbox.address, in: bytes)  // Gmail sends as the primary address
            fromRewritten = true
        }
        let subject = HeaderEncoding.decode(parsed.header("Subject") ?? "")
        let references = ((parsed.header("In-Reply-To") ?? "") + " " + (parsed.header("References") ?? "")).split(separator: " ").map(String.init)
        let id = nextMessageID()
        var thread = id
        if let threadID, let first = mailbox.messages.first(where: { $0.threadID == threadID }) {
            let threadIDs = Set(mailbox.messages.filter { $0.threadID == threadID }.compactMap(\.messageID))
            if Self.normalizedSubject(subject) == Self.normalizedSubject(first.subject), references.contains(where: threadIDs.contains) {
                thread = threadID
            }
        }
        let historyID = mailbox.historyID + 1 + (sequence % 3)  // ids rise with gaps, as Gmail's do
        mailbox.historyID = historyID
        let message = FakeMessage(
            id: id, threadID: thread, labelIDs: ["SENT"], raw: bytes, internalDate: now, historyID: historyID, messageID: messageID,
            originalMessageID: originalMessageID, sendID: parsed.header("X-Cadence-Send-Id"), subject: subject, from: from,
            recipients: recipients, references: references, fromRewritten: fromRewritten)
        mailbox.messages.append(message)
        mailbox.history.append(HistoryRecord(id: historyID, messageID: id, threadID: thread, labelIDs: message.labelIDs))
        mailboxes[user] = mailbox
        return .json(200, ["id": id, "threadId": thread, "labelIds": message.labelIDs])
    }

    /// Adds a received message to `user`'s mailbox as Gmail's delivery would, threading it on its references and
    /// subject unless `threadID` says where it goes.
    mutating func deliver(_ raw: [UInt8], to user: String, labelIDs: [String], threadID: String?, now: Date) throws(MailParseError) -> (id: String, threadID: String) {
        // Gmail stores whatever arrives, readable or not: a broken message is delivered, only its headers are unknown.
        let parsed = try? MailMessage.parse(raw)
        var mailbox = mailboxes[user]!
        let subject = HeaderEncoding.decode(parsed?.header("Subject") ?? "")
        let references = ((parsed?.header("In-Reply-To") ?? "") + " " + (parsed?.header("References") ?? "")).split(separator: " ").map(String.init)
        let id = nextMessageID()
        var thread = id
        if let threadID {
            thread = threadID
        } else if let parent = mailbox.messages.last(where: { $0.messageID.map(references.contains) == true }),
            Self.normalizedSubject(subject) == Self.normalizedSubject(parent.subject)
        {
            thread = parent.threadID
        }
        let historyID = mailbox.historyID + 1 + (sequence % 3)
        mailbox.historyID = historyID
        let recipients = ["To", "Cc"].flatMap { parsed?.headers(named: $0) ?? [] }.flatMap(AddressList.addresses)
        let message = FakeMessage(
            id: id, threadID: thread, labelIDs: labelIDs, raw: raw, internalDate: now, historyID: historyID, messageID: parsed?.header("Message-ID"),
            originalMessageID: nil, sendID: parsed?.header("X-Cadence-Send-Id"), subject: subject,
            from: parsed?.header("From").flatMap { AddressList.addresses(in: $0).first } ?? "", recipients: recipients, references: references)
        mailbox.messages.append(message)
        mailbox.history.append(HistoryRecord(id: historyID, messageID: id, threadID: thread, labelIDs: labelIDs))
        mailboxes[user] = mailbox
        return (id, thread)
    }

    mutating func getMessage(_ id: String, _ request: FakeRequest, user: String, scopes: Set<String>) -> FakeResponse {
        let format = request.parameter("format") ?? "full"
        guard ["minimal", "metadata", "full", "raw"].contains(format) else {
            return .apiError(400, "Invalid value at 'format' (\(format))", reason: "invalidArgument")
        }
        guard !scopes.isDisjoint(with: ["minimal", "metadata"].contains(format) ? Self.readScopes : Self.bodyScopes) else {
            return scopes.contains(GmailScope.metadata) && scopes.isDisjoint(with: Self.bodyScopes)
                ? .apiError(403, "Metadata scope doesn't allow format \(format.uppercased())", reason: "forbidden")
                : Self.insufficientScopes()
        }
        guard let message = mailboxes[user]!.message(id) else { return .apiError(404, "Requested entity was not found.", reason: "notFound") }
        return .json(200, MessageFormat.render(message, format: format, metadataHeaders: request.parameters("metadataHeaders")))
    }

    mutating func listMessages(_ request: FakeRequest, user: String, scopes: Set<String>, now: Date) -> FakeResponse {
        guard !scopes.isDisjoint(with: Self.readScopes) else { return Self.insufficientScopes() }
        var messages = mailboxes[user]!.messages
        if let q = request.parameter("q"), !q.isEmpty {
            guard !scopes.isDisjoint(with: Self.bodyScopes) else {
                return .apiError(403, "Metadata scope does not support 'q' parameter", reason: "forbidden")
            }
            switch SearchQuery.parse(q) {
            case .failure(let problem): return .apiError(400, problem.description, reason: "invalidArgument")
            case .success(let query):
                let indexed = now.addingTimeInterval(-options.searchIndexLag)
                messages = messages.filter { query.matches($0, now: now) && $0.internalDate <= indexed }
            }
        }
        let labels = request.parameters("labelIds")
        messages = messages.filter { message in labels.allSatisfy(message.labelIDs.contains) }
        messages.sort { ($0.internalDate, $0.id) > ($1.internalDate, $1.id) }
        return page(messages.map { ["id": $0.id, "threadId": $0.threadID] as [String: Any] }, key: "messages", request, extra: ["resultSizeEstimate": messages.count])
    }

    mutating func getThread(_ id: String, _ request: FakeRequest, user: String, scopes: Set<String>) -> FakeResponse {
        let format = request.parameter("format") ?? "full"
        guard ["minimal", "metadata", "full"].contains(format) else { return .apiError(400, "Invalid value at 'format' (\(format))", reason: "invalidArgument") }
        guard !scopes.isDisjoint(with: format == "full" ? Self.bodyScopes : Self.readScopes) else { return Self.insufficientScopes() }
        let messages = mailboxes[user]!.messages.filter { $0.threadID == id }
        guard !messages.isEmpty else { return .apiError(404, "Requested entity was not found.", reason: "notFound") }
        return .json(
            200,
            [
                "id": id, "historyId": String(messages.map(\.historyID).max()!),
                "messages": messages.map { MessageFormat.render($0, format: format, metadataHeaders: request.parameters("metadataHeaders")) },
            ])
    }

    mutating func listHistory(_ request: FakeRequest, user: String, scopes: Set<String>) -> FakeResponse {
        guard !scopes.isDisjoint(with: Self.readScopes) else { return Self.insufficientScopes() }
        guard let text = request.parameter("startHistoryId") else { return .apiError(400, "Required parameter: startHistoryId", reason: "invalidArgument") }
        guard let start = UInt64(text) else { return .apiError(400, "Invalid value for startHistoryId: \(text)", reason: "invalidArgument") }
        let mailbox = mailboxes[user]!
        guard start >= mailbox.oldestHistoryID else { return .apiError(404, "Requested entity was not found.", reason: "notFound") }
        let types = request.parameters("historyTypes")
        for type in types where !["messageAdded", "messageDeleted", "labelAdded", "labelRemoved"].contains(type) {
            return .apiError(400, "Invalid value at 'history_types' (\(type))", reason: "invalidArgument")
        }
        let label = request.parameter("labelId")
        let records = mailbox.history.filter { record in
            record.id > start && (types.isEmpty || types.contains("messageAdded")) && (label.map(record.labelIDs.contains) ?? true)
        }
        let rendered = records.map { record -> [String: Any] in
            let message: [String: Any] = ["id": record.messageID, "threadId": record.threadID]
            var withLabels = message
            withLabels["labelIds"] = record.labelIDs
            return ["id": String(record.id), "messages": [message], "messagesAdded": [["message": withLabels]]]
        }
        return page(rendered, key: "history", request, extra: ["historyId": String(mailbox.historyID)])
    }

    mutating func watch(_ request: FakeRequest, user: String, scopes: Set<String>, now: Date) -> FakeResponse {
        guard !scopes.isDisjoint(with: Self.readScopes) else { return Self.insufficientScopes() }
        guard let body = JSONBody.decodeObject(request.body), let topic = body["topicName"] as? String else {
            return .apiError(400, "Invalid topicName does not match projects/SOME_PROJECT/topics/SOME_TOPIC", reason: "invalidArgument")
        }
        let parts = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "projects", parts[2] == "topics", !parts[1].isEmpty, !parts[3].isEmpty else {
            return .apiError(400, "Invalid topicName does not match projects/SOME_PROJECT/topics/SOME_TOPIC", reason: "invalidArgument")
        }
        if let behavior = body["labelFilterBehavior"] as? String, !["include", "exclude"].contains(behavior) {
            return .apiError(400, "Invalid value at 'label_filter_behavior' (\(behavior))", reason: "invalidArgument")
        }
        let expiration = now.addingTimeInterval(options.watchLifetime)
        mailboxes[user]!.watch = Watch(topicName: topic, expiration: expiration, labelIDs: body["labelIds"] as? [String] ?? [])
        return .json(200, ["historyId": String(mailboxes[user]!.historyID), "expiration": String(Int64(expiration.timeIntervalSince1970 * 1000))])
    }

    mutating func stop(user: String, scopes: Set<String>) -> FakeResponse {
        guard !scopes.isDisjoint(with: Self.readScopes) else { return Self.insufficientScopes() }
        mailboxes[user]!.watch = nil
        return .empty(204)
    }

    /// Gmail's paging: `maxResults` (default 100, at most 500) and an opaque `pageToken`; empty lists are omitted.
    private func page(_ items: [[String: Any]], key: String, _ request: FakeRequest, extra: [String: Any]) -> FakeResponse {
        let size = min(500, max(1, request.parameter("maxResults").flatMap(Int.init) ?? 100))
        let offset = request.parameter("pageToken").flatMap { Base64.decode(Array($0.utf8)) }.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
        if request.parameter("pageToken") != nil, offset == 0 || offset > items.count {
            return .apiError(400, "Invalid pageToken", reason: "invalidArgument")
        }
        var body = extra
        let slice = Array(items.dropFirst(offset).prefix(size))
        if !slice.isEmpty { body[key] = slice }
        if offset + size < items.count { body["nextPageToken"] = Base64.urlEncoded(Array(String(offset + size).utf8)) }
        return .json(200, body)
    }

    static func normalizedSubject(_ subject: String) -> String {
        var text = subject.trimmingCharacters(in: .whitespaces).lowercased()
        while let prefix = ["re:", "fwd:", "fw:", "aw:", "sv:", "tr:"].first(where: text.hasPrefix) {
            text = String(text.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
        }
        return text
    }

    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// `bytes` with the header `name` set to `value` (replaced where present, else added first).
    static func settingHeader(_ name: String, to value: String, in bytes: [UInt8]) -> [UInt8] {
        var lines: [[UInt8]] = []
        var index = 0
        var bodyStart = bytes.count
        while index < bytes.count {
            var end = index
            while end < bytes.count, bytes[end] != 10 { end += 1 }
            let line = Array(bytes[index..<min(end + 1, bytes.count)])
            index = end + 1
            if line == [13, 10] || line == [10] { bodyStart = index - line.count; break }
            lines.append(line)
        }
        var output: [UInt8] = Array("\(name): \(value)\r\n".utf8)
        var skipping = false
        let prefix = Array("\(name.lowercased()):".utf8)
        for line in lines {
            if line.first == 32 || line.first == 9 {
                if !skipping { output += line }
                continue
            }
            skipping = Array(line.prefix(prefix.count)).map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 } == prefix
            if !skipping { output += line }
        }
        return output + bytes[min(bodyStart, bytes.count)...]
    }
}

/// An error answer as a value, so `Result` can carry it.
struct FakeErrorResponse: Error {
    var response: FakeResponse
    init(_ response: FakeResponse) { self.response = response }
}
