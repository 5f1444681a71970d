import CadenceCore
import CadenceFakeGmail
import Foundation
import NIOHTTP1
import Testing

@Suite("fake Gmail: the REST API's shapes, rules and limits")
struct FakeGmailAPITests {
    @Test("getProfile: the address and a string historyId; missing, expired and foreign tokens are refused as Gmail does")
    func profile() async throws {
        try await Scene.withScene { server, wire, clock, token in
            let profile = try await wire.get("/gmail/v1/users/me/profile", token: token)
            #expect(profile.status == 200)
            #expect(profile.json?["emailAddress"] as? String == Scene.sam)
            #expect(profile.json?["historyId"] is String)
            #expect(try await wire.get("/gmail/v1/users/\(Scene.sam)/profile", token: token).status == 200)
            let foreign = try await wire.get("/gmail/v1/users/other@example.com/profile", token: token)
            #expect(foreign.status == 403)
            let missing = try await wire.get("/gmail/v1/users/me/profile")
            #expect(missing.status == 401)
            #expect(missing.errorReason == "required")
            clock.advance(by: 3_600)
            let expired = try await wire.get("/gmail/v1/users/me/profile", token: token)
            #expect(expired.status == 401)
            #expect(expired.errorReason == "authError")
            #expect(expired.errorMessage == "Invalid Credentials")
            #expect((expired.json?["error"] as? [String: Any])?["status"] as? String == "UNAUTHENTICATED")
        }
    }

    @Test("scopes are enforced per method: gmail.send alone cannot read, metadata cannot search or read bodies")
    func scopes() async throws {
        try await Scene.withScene(scopes: [GmailScope.send]) { server, wire, _, token in
            let profile = try await wire.get("/gmail/v1/users/me/profile", token: token)
            #expect(profile.status == 403)
            #expect(profile.errorReason == "insufficientPermissions")
            #expect(profile.errorMessage == "Request had insufficient authentication scopes.")
            #expect(try await wire.send(Scene.message(), token: token).status == 200)
            #expect(try await wire.get("/gmail/v1/users/me/messages", token: token).status == 403)
        }
        try await Scene.withScene(scopes: [GmailScope.metadata]) { server, wire, _, token in
            #expect(try await wire.send(Scene.message(), token: token).errorReason == "insufficientPermissions")
            #expect(try await wire.get("/gmail/v1/users/me/messages", token: token).status == 200)
            let search = try await wire.get("/gmail/v1/users/me/messages?q=in%3Asent", token: token)
            #expect(search.status == 403)
            #expect(search.errorMessage == "Metadata scope does not support 'q' parameter")
            #expect(try await wire.get("/gmail/v1/users/me/history?startHistoryId=1", token: token).status != 403)
        }
    }

    @Test("messages.send takes strict base64url raw, checks recipients and size, and answers id == threadId for a new thread")
    func send() async throws {
        var options = FakeGmailOptions.unlimited
        options.jsonPayloadLimit = 4_000
        try await Scene.withScene(options: options) { server, wire, _, token in
            let sent = try await wire.send(Scene.message(), token: token)
            #expect(sent.status == 200)
            let id = try #require(sent.json?["id"] as? String)
            #expect(sent.json?["threadId"] as? String == id)
            #expect(sent.json?["labelIds"] as? [String] == ["SENT"])
            // The standard alphabet's + and / are not base64url.
            let standard = Base64.encodedString(Array((Scene.message(body: "???>>>") + "~~~~").utf8))
            #expect(standard.contains("+") || standard.contains("/"))
            let refused = try await wire.json("/gmail/v1/users/me/messages/send", ["raw": standard], token: token)
            #expect(refused.status == 400)
            #expect(refused.errorReason == "invalidArgument")
            let padded = Base64.urlEncoded(Array(Scene.message().utf8)) + "=="
            #expect(try await wire.json("/gmail/v1/users/me/messages/send", ["raw": padded], token: token).status != 400 || padded.count % 4 != 0)
            let noRaw = try await wire.json("/gmail/v1/users/me/messages/send", ["threadId": id], token: token)
            #expect(noRaw.errorMessage == "'raw' RFC822 payload message string or uploading message via /upload/* URL required")
            let noRecipient = try await wire.send("From: \(Scene.sam)\r\nSubject: x\r\n\r\nbody\r\n", token: token)
            #expect(noRecipient.status == 400)
            #expect(noRecipient.errorMessage == "Recipient address required")
            let tooMany = (0..<101).map { "r\($0)@example.org" }.joined(separator: ", ")
            #expect(try await wire.send(Scene.message(to: "a@example.org", extra: "Cc: \(tooMany)\r\n"), token: token).status == 400)
            let big = try await wire.send(Scene.message(body: String(repeating: "x", count: 5_000)), token: token)
            #expect(big.status == 400)
            #expect(big.errorMessage == "Request payload size exceeds the limit: 4000 bytes.")
            let notJSON = try await wire.request(.POST, "/gmail/v1/users/me/messages/send", token: token, contentType: "application/json", body: Array("{".utf8))
            #expect(notJSON.errorReason == "parseError")
            // From someone else: Gmail sends it as the mailbox's own address.
            let spoof = try await wire.send(Scene.message().replacingOccurrences(of: "From: Sam <\(Scene.sam)>", with: "From: boss@example.com"), token: token)
            let spoofID = try #require(spoof.json?["id"] as? String)
            let stored = try #require(server.gmail.rawMessage(spoofID, in: Scene.sam))
            #expect(String(decoding: stored, as: UTF8.self).contains("From: \(Scene.sam)\r\n"))
        }
    }

    @Test("the upload endpoint takes large messages as media or multipart/related with a threadId")
    func upload() async throws {
        try await Scene.withScene(options: .unlimited) { server, wire, _, token in
            let large = Scene.message(body: String(repeating: "y", count: 1_500_000))
            let media = try await wire.request(.POST, "/upload/gmail/v1/users/me/messages/send?uploadType=media", token: token, contentType: "message/rfc822", body: Array(large.utf8))
            #expect(media.status == 200)
            let thread = try #require(media.json?["threadId"] as? String)
            let stored = try #require(server.gmail.rawMessage(thread, in: Scene.sam))
            let messageID = try #require(try MailMessage.parse(stored).header("Message-ID"))
            let reply = Scene.message(subject: "Re: Quick question", extra: "In-Reply-To: \(messageID)\r\nReferences: \(messageID)\r\n")
            let multipart = "--ZZ\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{\"threadId\":\"\(thread)\"}\r\n--ZZ\r\nContent-Type: message/rfc822\r\n\r\n\(reply)\r\n--ZZ--\r\n"
            let answer = try await wire.request(
                .POST, "/upload/gmail/v1/users/me/messages/send?uploadType=multipart", token: token, contentType: "multipart/related; boundary=ZZ", body: Array(multipart.utf8))
            #expect(answer.status == 200)
            #expect(answer.json?["threadId"] as? String == thread)
            let wrongType = try await wire.request(.POST, "/upload/gmail/v1/users/me/messages/send?uploadType=media", token: token, contentType: "text/plain", body: Array(large.utf8))
            #expect(wrongType.status == 400)
            // Over 5 MB, multipart is refused; a resumable session takes it.
            let huge = Scene.message(body: String(repeating: "h", count: 5_300_000))
            let tooBig = "--ZZ\r\nContent-Type: application/json\r\n\r\n{}\r\n--ZZ\r\nContent-Type: message/rfc822\r\n\r\n\(huge)\r\n--ZZ--\r\n"
            #expect(
                try await wire.request(.POST, "/upload/gmail/v1/users/me/messages/send?uploadType=multipart", token: token, contentType: "multipart/related; boundary=ZZ", body: Array(tooBig.utf8))
                    .status == 413)
            let start = try await wire.request(.POST, "/resumable/upload/gmail/v1/users/me/messages/send?uploadType=resumable", token: token, contentType: "application/json", body: Array("{}".utf8))
            #expect(start.status == 200)
            let session = try #require(start.header("Location"))
            let put = try await wire.request(.PUT, session, token: token, contentType: "message/rfc822", body: Array(huge.utf8))
            #expect(put.status == 200)
            #expect(put.json?["id"] is String)
            #expect(try await wire.request(.PUT, session, token: token, contentType: "message/rfc822", body: Array(huge.utf8)).status == 404)  // used once
        }
    }

    @Test("threading: a follow-up joins only with the threadId, the thread's subject and a reference to its messages")
    func threading() async throws {
        try await Scene.withScene(options: .unlimited) { server, wire, _, token in
            let first = try await wire.send(Scene.message(subject: "Quick question"), token: token)
            let thread = try #require(first.json?["threadId"] as? String)
            let parentBytes = try #require(server.gmail.rawMessage(thread, in: Scene.sam))
            let parent = try #require(try MailMessage.parse(parentBytes).header("Message-ID"))
            let headers = "In-Reply-To: \(parent)\r\nReferences: \(parent)\r\n"
            let joined = try await wire.send(Scene.message(subject: "Re: Quick question", extra: headers), token: token, threadID: thread)
            #expect(joined.json?["threadId"] as? String == thread)
            let otherSubject = try await wire.send(Scene.message(subject: "Something else", extra: headers), token: token, threadID: thread)
            #expect(otherSubject.json?["threadId"] as? String != thread)
            let noReferences = try await wire.send(Scene.message(subject: "Re: Quick question"), token: token, threadID: thread)
            #expect(noReferences.json?["threadId"] as? String != thread)
            let unknownThread = try await wire.send(Scene.message(subject: "Re: Quick question", extra: headers), token: token, threadID: "18f0000000000000")
            #expect(unknownThread.status == 200)
            #expect(unknownThread.json?["threadId"] as? String != "18f0000000000000")
            let threadView = try await wire.get("/gmail/v1/users/me/threads/\(thread)?format=minimal", token: token)
            #expect((threadView.json?["messages"] as? [Any])?.count == 2)
            #expect(threadView.json?["historyId"] is String)
            #expect(try await wire.get("/gmail/v1/users/me/threads/\(thread)?format=raw", token: token).status == 400)
        }
    }

    @Test("messages.get in four formats; Message-IDs replaced when Gmail does; rfc822msgid finds only the stored one")
    func getFormatsAndReplacedIDs() async throws {
        var options = FakeGmailOptions()
        options.replaceMessageIDs = true
        try await Scene.withScene(options: options) { server, wire, _, token in
            let text =
                "From: \(Scene.sam)\r\nTo: ana@example.org\r\nSubject: Hello\r\nMessage-ID: <ours-1@northwind.example.com>\r\nX-Cadence-Send-Id: s1\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi Ana, plain\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hi Ana</p>\r\n--b1--\r\n"
            let id = try #require(try await wire.send(text, token: token).json?["id"] as? String)
            let minimal = try #require(try await wire.get("/gmail/v1/users/me/messages/\(id)?format=minimal", token: token).json)
            #expect(minimal["payload"] == nil)
            #expect(minimal["internalDate"] is String)
            #expect(minimal["snippet"] as? String == "Hi Ana, plain")
            let metadata = try #require(try await wire.get("/gmail/v1/users/me/messages/\(id)?format=metadata&metadataHeaders=Message-ID&metadataHeaders=X-Cadence-Send-Id", token: token).json)
            let headers = try #require((metadata["payload"] as? [String: Any])?["headers"] as? [[String: String]])
            #expect(headers.map { $0["name"]! } == ["Message-ID", "X-Cadence-Send-Id"])
            let stored = try #require(headers.first?["value"])
            #expect(stored != "<ours-1@northwind.example.com>")
            #expect(stored.hasSuffix("@mail.gmail.com>"))
            let full = try #require(try await wire.get("/gmail/v1/users/me/messages/\(id)?format=full", token: token).json)
            let parts = try #require((full["payload"] as? [String: Any])?["parts"] as? [[String: Any]])
            #expect(parts.map { $0["mimeType"] as? String } == ["text/plain", "text/html"])
            #expect(parts.map { $0["partId"] as? String } == ["0", "1"])
            let data = try #require((parts[0]["body"] as? [String: Any])?["data"] as? String)
            #expect(String(decoding: Base64.decode(Array(data.utf8)) ?? [], as: UTF8.self) == "Hi Ana, plain")
            let raw = try #require(try await wire.get("/gmail/v1/users/me/messages/\(id)?format=raw", token: token).json?["raw"] as? String)
            #expect(!raw.contains("+") && !raw.contains("/"))
            #expect(try await wire.get("/gmail/v1/users/me/messages/nope?format=minimal", token: token).status == 404)
            #expect(try await wire.get("/gmail/v1/users/me/messages/\(id)?format=weird", token: token).status == 400)
            let ours = try await wire.get("/gmail/v1/users/me/messages?q=" + FormEncoding.escape("in:sent rfc822msgid:<ours-1@northwind.example.com>"), token: token)
            #expect(ours.json?["messages"] == nil)
            #expect(ours.json?["resultSizeEstimate"] as? Int == 0)
            let theirs = try await wire.get("/gmail/v1/users/me/messages?q=" + FormEncoding.escape("in:sent rfc822msgid:\(stored)"), token: token)
            #expect((theirs.json?["messages"] as? [[String: String]])?.first?["id"] == id)
            #expect(server.gmail.report().allSent.first?.originalMessageID == "<ours-1@northwind.example.com>")
        }
    }

    @Test("messages.list: in:, to:, from:, after: and labelIds; paging; an unknown operator is an error, not a silent miss")
    func list() async throws {
        try await Scene.withScene(options: .unlimited) { server, wire, clock, token in
            for recipient in ["ana@example.org", "bo@example.org", "cy@example.org"] {
                _ = try await wire.send(Scene.message(to: recipient), token: token)
                clock.advance(by: 60)
            }
            try server.gmail.deliver(Array("From: Ana <ana@example.org>\r\nTo: \(Scene.sam)\r\nSubject: Re: Quick question\r\n\r\nYes!\r\n".utf8), to: Scene.sam)
            func ids(_ query: String, extra: String = "") async throws -> Int {
                let answer = try await wire.get("/gmail/v1/users/me/messages?q=" + FormEncoding.escape(query) + extra, token: token)
                #expect(answer.status == 200)
                return (answer.json?["messages"] as? [Any])?.count ?? 0
            }
            #expect(try await ids("in:sent") == 3)
            #expect(try await ids("in:inbox") == 1)
            #expect(try await ids("in:sent to:bo@example.org") == 1)
            #expect(try await ids("from:ana@example.org") == 1)
            let after = Int(Scene.start.timeIntervalSince1970) + 30
            #expect(try await ids("in:sent after:\(after)") == 2)
            #expect(try await wire.get("/gmail/v1/users/me/messages?labelIds=SENT&labelIds=INBOX", token: token).json?["messages"] == nil)
            let page = try #require(try await wire.get("/gmail/v1/users/me/messages?labelIds=SENT&maxResults=2", token: token).json)
            #expect((page["messages"] as? [Any])?.count == 2)
            let next = try #require(page["nextPageToken"] as? String)
            let rest = try #require(try await wire.get("/gmail/v1/users/me/messages?labelIds=SENT&maxResults=2&pageToken=\(next)", token: token).json)
            #expect((rest["messages"] as? [Any])?.count == 1)
            #expect(rest["nextPageToken"] == nil)
            let unknown = try await wire.get("/gmail/v1/users/me/messages?q=" + FormEncoding.escape("has:attachment"), token: token)
            #expect(unknown.status == 400)
        }
    }

    @Test("history.list: string ids rising with gaps, messagesAdded, paging to the end, 404 once expired")
    func history() async throws {
        try await Scene.withScene(options: .unlimited) { server, wire, _, token in
            let start = try #require(try await wire.get("/gmail/v1/users/me/profile", token: token).json?["historyId"] as? String)
            for _ in 0..<3 { _ = try await wire.send(Scene.message(), token: token) }
            try server.gmail.deliver(Array("From: ana@example.org\r\nTo: \(Scene.sam)\r\nSubject: hi\r\n\r\nhello\r\n".utf8), to: Scene.sam)
            let all = try #require(try await wire.get("/gmail/v1/users/me/history?startHistoryId=\(start)&historyTypes=messageAdded", token: token).json)
            let records = try #require(all["history"] as? [[String: Any]])
            #expect(records.count == 4)
            let ids = records.compactMap { ($0["id"] as? String).flatMap(UInt64.init) }
            #expect(ids == ids.sorted() && Set(ids).count == 4)
            #expect((records[0]["messagesAdded"] as? [[String: Any]])?.first?["message"] != nil)
            #expect(all["historyId"] as? String == String(ids.last!))
            let inbox = try #require(try await wire.get("/gmail/v1/users/me/history?startHistoryId=\(start)&labelId=INBOX", token: token).json?["history"] as? [Any])
            #expect(inbox.count == 1)
            let first = try #require(try await wire.get("/gmail/v1/users/me/history?startHistoryId=\(start)&maxResults=3", token: token).json)
            #expect((first["history"] as? [Any])?.count == 3)
            let token2 = try #require(first["nextPageToken"] as? String)
            #expect((try await wire.get("/gmail/v1/users/me/history?startHistoryId=\(start)&maxResults=3&pageToken=\(token2)", token: token).json?["history"] as? [Any])?.count == 1)
            let none = try #require(try await wire.get("/gmail/v1/users/me/history?startHistoryId=\(ids.last!)", token: token).json)
            #expect(none["history"] == nil)
            server.gmail.expireHistory(of: Scene.sam, before: ids[1])
            let expired = try await wire.get("/gmail/v1/users/me/history?startHistoryId=\(start)", token: token)
            #expect(expired.status == 404)
            #expect(expired.errorReason == "notFound")
            #expect(try await wire.get("/gmail/v1/users/me/history", token: token).status == 400)
        }
    }

    @Test("watch and stop: the topic name is checked; historyId and expiration come back as strings")
    func watch() async throws {
        try await Scene.withScene { server, wire, clock, token in
            let bad = try await wire.json("/gmail/v1/users/me/watch", ["topicName": "gmail-inbox"], token: token)
            #expect(bad.status == 400)
            let ok = try await wire.json("/gmail/v1/users/me/watch", ["topicName": "projects/acme-seq/topics/gmail-inbox", "labelFilterBehavior": "include"], token: token)
            #expect(ok.status == 200)
            #expect(ok.json?["historyId"] is String)
            let expiration = try #require((ok.json?["expiration"] as? String).flatMap { Int64($0) })
            #expect(expiration == Int64((clock.now.timeIntervalSince1970 + 7 * 86_400) * 1000))
            #expect(try await wire.request(.POST, "/gmail/v1/users/me/stop", token: token).status == 204)
        }
    }

    @Test("quota units per user: a burst past the per-minute budget gets 429 userRateLimitExceeded until the window moves")
    func quota() async throws {
        var options = FakeGmailOptions()
        options.unitsPerMinute = 250
        try await Scene.withScene(options: options) { server, wire, clock, token in
            #expect(try await wire.send(Scene.message(), token: token).status == 200)
            #expect(try await wire.send(Scene.message(), token: token).status == 200)
            let limited = try await wire.send(Scene.message(), token: token)
            #expect(limited.status == 429)
            #expect(limited.errorReason == "userRateLimitExceeded")
            #expect(limited.header("Retry-After") == "60")
            #expect(try await wire.get("/gmail/v1/users/me/profile", token: token).status == 200)  // 1 unit still fits
            clock.advance(by: 60)
            #expect(try await wire.send(Scene.message(), token: token).status == 200)
            #expect(server.gmail.report().allSent.count == 3)
        }
        try await Scene.withScene { server, wire, clock, token in
            // 250 units a second: two sends fit in one second, the third does not.
            let first = try await wire.send(Scene.message(), token: token)
            #expect(first.status == 200)
            #expect(try await wire.send(Scene.message(), token: token).status == 200)
            #expect(try await wire.send(Scene.message(), token: token).errorReason == "userRateLimitExceeded")
            clock.advance(by: 1)
            #expect(try await wire.send(Scene.message(), token: token).status == 200)
        }
    }

    @Test("the rolling daily sending limit answers Gmail's (Mail sending) 429 with a retry time, and lifts 24 hours after the oldest send")
    func dailyLimit() async throws {
        var options = FakeGmailOptions.unlimited
        options.dailySendLimit = 2
        options.accessTokenLifetime = 3 * 86_400
        try await Scene.withScene(options: options) { server, wire, clock, token in
            #expect(try await wire.send(Scene.message(), token: token).status == 200)
            clock.advance(by: 3_600)
            #expect(try await wire.send(Scene.message(), token: token).status == 200)
            let limited = try await wire.send(Scene.message(), token: token)
            #expect(limited.status == 429)
            #expect(limited.errorReason == "rateLimitExceeded")
            #expect(limited.errorMessage == "User-rate limit exceeded.  Retry after 2026-12-01T00:53:20.000Z (Mail sending)")
            clock.advance(by: 86_400 - 3_600)
            #expect(try await wire.send(Scene.message(), token: token).status == 200)
        }
    }

    @Test("faults: store-then-500 keeps the message and the report flags the resend; drops and statuses hit the chosen calls only")
    func faults() async throws {
        try await Scene.withScene { server, wire, clock, token in
            server.gmail.addFault(FaultRule(method: "messages.send", call: 1, fault: .storeThenStatus(500)))
            server.gmail.addFault(FaultRule(method: "messages.send", call: 3, fault: .drop))
            server.gmail.addFault(FaultRule(method: "getProfile", calls: 1...2, fault: .status(503)))
            let message = Scene.message(extra: "X-Cadence-Send-Id: s42-1\r\n")
            let first = try await wire.send(message, token: token)
            #expect(first.status == 500)
            #expect(first.errorReason == "backendError")
            clock.advance(by: 1)
            #expect(try await wire.send(message, token: token).status == 200)  // the "retry" that a careless client would do
            await #expect(throws: (any Error).self) { _ = try await wire.send(Scene.message(), token: token) }
            clock.advance(by: 1)
            #expect(try await wire.send(Scene.message(), token: token).status == 200)
            #expect(try await wire.get("/gmail/v1/users/me/profile", token: token).status == 503)
            #expect(try await wire.get("/gmail/v1/users/me/profile", token: token).status == 503)
            #expect(try await wire.get("/gmail/v1/users/me/profile", token: token).status == 200)
            let report = server.gmail.report()
            #expect(report.allSent.count == 3)
            #expect(report.duplicates == ["s42-1": 2])
            #expect(server.gmail.calls(of: "messages.send") == 4)
            server.gmail.clearFaults()
            server.gmail.addFault(FaultRule(method: "messages.send", call: 5, fault: .storeThenDrop))
            await #expect(throws: (any Error).self) { _ = try await wire.send(Scene.message(), token: token) }
            #expect(server.gmail.report().allSent.count == 4)
        }
    }

    @Test("the control API does over HTTP what tests do in-process, and --state keeps everything across restarts")
    func controlAndState() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fake-state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let clock = AdjustableClock(Scene.start)
        try await FakeGmailServer.run(FakeGmail(clock: clock, stateDirectory: folder)) { server in
            let wire = Wire(base: server.baseURL)
            #expect(try await wire.json("/control/mailboxes", ["address": Scene.sam], token: nil).status == 200)
            #expect(try await wire.json("/control/clients", ["clientId": Scene.clientID, "clientSecret": Scene.clientSecret], token: nil).status == 200)
            #expect(try await wire.json("/control/consent", ["scopes": [GmailScope.send]], token: nil).status == 200)
            let code = try #require(try FakeOAuthTests.redirectQuery(try await wire.get(FakeOAuthTests.consentURL()))["code"])
            let grant = try await FakeOAuthTests.exchange(wire, code: code)
            #expect(grant.json?["scope"] as? String == GmailScope.send)
            let token = try #require(grant.json?["access_token"] as? String)
            #expect(try await wire.json("/control/faults", ["method": "messages.send", "calls": [1, 1], "fault": ["status": ["_0": 503]]], token: nil).status == 200)
            #expect(try await wire.send(Scene.message(), token: token).status == 503)
            #expect(try await wire.request(.DELETE, "/control/faults").status == 200)
            #expect(try await wire.send(Scene.message(), token: token).status == 200)
            let delivered = try await wire.json("/control/deliver", ["mailbox": Scene.sam, "raw": "From: ana@example.org\r\nTo: \(Scene.sam)\r\nSubject: hi\r\n\r\nhello\r\n"], token: nil)
            #expect(delivered.json?["id"] is String)
            #expect(try await wire.json("/control/clock", ["advance": 3600], token: nil).json?["now"] as? String == "2026-11-30T01:53:20Z")
            let report = try #require(try await wire.get("/control/report").json)
            #expect(((report["mailboxes"] as? [[String: Any]])?.first?["sent"] as? [Any])?.count == 1)
            #expect(try await wire.json("/control/unknown", [:], token: nil).status == 404)
        }
        // A new fake on the same folder remembers the mailbox, the client and the sent mail.
        try await FakeGmailServer.run(FakeGmail(clock: clock, stateDirectory: folder)) { server in
            #expect(server.gmail.report().allSent.count == 1)
            #expect(server.gmail.report().mailboxes.first?.received == 1)
        }
    }
}
