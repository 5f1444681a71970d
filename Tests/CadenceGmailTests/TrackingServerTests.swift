import AsyncHTTPClient
import CadenceCore
import CadenceEngine
import CadenceFakeGmail
import CadenceServer
import CadenceStore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Testing

/// `cadence serve`'s tracking routes over real HTTP on 127.0.0.1, against messages the runner really sent (with
/// tracking on) to the fake Gmail.
@Suite("Tracking links served: the pixel, clicks and one-click unsubscribe")
struct TrackingServerTests {
    /// The links of the message the runner sent `address`, pointed at the test server instead of t.example.com.
    struct Links {
        var pixel: String
        var click: String
        var unsubscribe: String
    }

    static func links(_ scene: SendingScene, to address: String, base: String) throws -> Links {
        let sent = try #require(scene.sent.first { $0.to == [address] })
        let message = try MailMessage.parse(try #require(scene.fake.rawMessage(sent.id, in: SendingScene.sam)))
        let html = try #require(message.allParts.first { $0.mimeType == "text/html" }?.text)
        func url(after prefix: String, length: Int) throws -> String {
            let rest = try #require(html.components(separatedBy: "https://t.example.com" + prefix).dropFirst().first)
            return base + prefix + String(rest.prefix(length))
        }
        let header = try #require(message.header("List-Unsubscribe"))
        let unsubscribe = String(header.dropFirst().prefix { $0 != ">" }).replacingOccurrences(of: "https://t.example.com", with: base)
        return Links(pixel: try url(after: "/t/o/", length: 38), click: try url(after: "/t/c/", length: 34), unsubscribe: unsubscribe)
    }

    /// Serves the scene's tracking routes on 127.0.0.1; `keys` replaces the scene's (a rotation), `trustedProxies`
    /// is the server's `"trustedProxies"`.
    static func withServer(
        _ scene: SendingScene, keys: TrackingKeys? = nil, trustedProxies: IPRangeSet = .empty,
        _ body: @escaping @Sendable (_ base: String, _ client: HTTPClient) async throws -> Void
    ) async throws {
        let settings = try #require(scene.configuration.tracking)
        let keys = try keys ?? TrackingKeyLoader.load(settings, secrets: scene.project.store)
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let endpoint = TrackingEndpoint(
            keys: keys, store: scene.database, recorder: TrackingRecorder(store: scene.database, logger: logger), policy: IncomingPolicy(), clock: scene.clock,
            logger: logger)
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            try await CadenceHTTPServer.whileServing(tracking: endpoint, trustedProxies: trustedProxies, logger: logger) { base in
                try await body(base, client)
            }
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static func request(
        _ client: HTTPClient, _ url: String, method: HTTPMethod = .GET, agent: String = "Mozilla/5.0 (Macintosh) AppleWebKit Mail",
        contentType: String? = nil, body: [UInt8]? = nil, headers: [(String, String)] = []
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "User-Agent", value: agent)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(request, timeout: Patience.request)
        let collected = try await response.body.collect(upTo: 1 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Array(buffer: collected))
    }

    @Test("the pixel: always a 1×1 GIF with no-store; recorded once per fetch, a repeat marked, a tampered or unknown token recorded never")
    func pixel() async throws {
        try await SendingScene.with(people: 2, tracking: true) { (scene: SendingScene) async throws -> Void in
            _ = try await scene.passes(from: 0, to: 30)
            scene.clock.advance(by: 3_600)  // an hour after sending: no longer the scanners' first seconds
            try await Self.withServer(scene) { base, client in
                let links = try Self.links(scene, to: "p1@example.org", base: base)
                #expect(links.pixel.hasSuffix(".gif"))
                for _ in 0..<2 {
                    let reply = try await Self.request(client, links.pixel)
                    #expect(reply.status == 200)
                    #expect(reply.body == TrackingEndpoint.gif)
                    #expect(reply.headers["Content-Type"].first == "image/gif")
                    #expect(reply.headers["Cache-Control"].first?.contains("no-store") == true)
                }
                var tampered = Array(links.pixel)
                tampered[tampered.count - 10] = tampered[tampered.count - 10] == "A" ? "B" : "A"
                for url in [String(tampered), base + "/t/o/short.gif", base + "/t/o/" + String(repeating: "A", count: 34) + ".gif"] {
                    let reply = try await Self.request(client, url)
                    #expect(reply.status == 200 && reply.body == TrackingEndpoint.gif, "\(url)")
                }
                #expect(try await Patience.waitUntil { try await scene.database.trackingEventCount() >= 2 })
                let send = try #require(try await scene.database.trackedSend(trackingID: try Self.trackingID(links.pixel, scene)))
                let events = try await scene.database.trackingEvents(sendRecordID: send.recordID)
                #expect(events.map(\.kind) == ["open", "open"])
                #expect(events.map(\.isRepeat) == [false, true])
                #expect(events.allSatisfy { $0.eventClass == "human" })
                #expect(try await scene.database.trackingEventCount() == 2)
                // `cadence show` lists each open with its class.
                let shown = await StatusOutput.text(try #require(try scene.database.candidate("p1@example.org")))
                #expect(shown.contains("opened: step intro, likely human  [tracking]"))
                #expect(shown.contains("opened: step intro, likely human (repeat)  [tracking]"))
                // Opened counts the send once, however often its pixel was fetched.
                let intro = try #require(try scene.database.stats(campaign: "q1", now: scene.clock.now).first?.rows.first { $0.stepID == "intro" && $0.variantID == nil })
                #expect((intro.opened, intro.openedHuman, intro.clicked) == (1, 1, 0))
            }
        }
    }

    @Test("a burst of 300 pixel fetches and clicks at once: every answered request is recorded, once")
    func burst() async throws {
        try await SendingScene.with(people: 2, tracking: true) { (scene: SendingScene) async throws -> Void in
            _ = try await scene.passes(from: 0, to: 30)
            scene.clock.advance(by: 3_600)
            try await Self.withServer(scene) { base, client in
                let links = try Self.links(scene, to: "p1@example.org", base: base)
                let answered = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for index in 0..<300 {
                        group.addTask {
                            let reply = try await Self.request(client, index.isMultiple(of: 3) ? links.click : links.pixel)
                            return reply.status == 200 || reply.status == 302
                        }
                    }
                    return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
                #expect(answered == 300)
                #expect(try await Patience.waitUntil { try await scene.database.trackingEventCount() >= 300 })
                #expect(try await scene.database.trackingEventCount() == 300)
            }
        }
    }

    @Test("forget erases a person who clicked, opened and replied: tracking events, personalised links and reply snippets, in the file and its WAL")
    func forget() async throws {
        try await SendingScene.with(
            people: 2, emails: ["zoe.unique.name@example.org", "p2@example.org"], tracking: true, trackingLink: "https://jobs.example.com/r?for=<<candidate.email>>"
        ) { (scene: SendingScene) async throws -> Void in
            _ = try await scene.passes(from: 0, to: 30)
            scene.clock.advance(by: 3_600)
            try await Self.withServer(scene) { base, client in
                let links = try Self.links(scene, to: "zoe.unique.name@example.org", base: base)
                #expect(try await Self.request(client, links.click).headers["Location"].first == "https://jobs.example.com/r?for=zoe.unique.name%40example.org")
                #expect(try await Self.request(client, links.pixel).status == 200)
                let other = try Self.links(scene, to: "p2@example.org", base: base)
                #expect(try await Self.request(client, other.click).status == 302)
                #expect(try await Patience.waitUntil { try await scene.database.trackingEventCount() >= 3 })
            }
            let intro = try #require(scene.sent.first { $0.to == ["zoe.unique.name@example.org"] })
            try scene.fake.deliver(
                Array("From: zoe.unique.name@example.org\r\nTo: \(SendingScene.sam)\r\nSubject: Re: Quick question\r\n\r\nThe purple-elephant answer: yes.\r\n".utf8),
                to: SendingScene.sam, threadID: intro.threadID)
            _ = try await scene.pass(at: 3_700)
            #expect(try scene.state("zoe.unique.name@example.org") == .stopped(.replied))

            #expect(try await scene.database.forget(addressKey: "zoe.unique.name@example.org", actor: "t", now: scene.clock.now).found)
            #expect(try await scene.database.trackingEventCount() == 1)  // p2's click stays
            // Her links, still in her mailbox, now lead to a neutral page: no redirect, no "unknown link", and no
            // advice to write back (which would bring her data back).
            try await Self.withServer(scene) { base, client in
                let links = try Self.links(scene, to: "zoe.unique.name@example.org", base: base)
                let click = try await Self.request(client, links.click)
                #expect(click.status == 200 && click.headers["Location"].isEmpty && click.text.contains("no longer available"))
                let unsubscribe = try await Self.request(
                    client, links.unsubscribe, method: .POST, contentType: "application/x-www-form-urlencoded", body: Array("List-Unsubscribe=One-Click".utf8))
                #expect(unsubscribe.status == 200 && unsubscribe.text.contains("No more emails") && !unsubscribe.text.contains("Reply"))
            }
            let path = scene.project.root + "/cadence.sqlite"
            for suffix in ["", "-wal"] {
                let bytes = FileManager.default.contents(atPath: path + suffix) ?? Data()
                for trace in ["zoe.unique.name", "purple-elephant"] {
                    #expect(bytes.range(of: Data(trace.utf8)) == nil, "\(trace) found in \(suffix.isEmpty ? "the database" : suffix)")
                }
            }
        }
    }

    @Test("an event whose send is gone by the time its batch is written (erased meanwhile) is dropped alone; the rest of the batch is recorded")
    func batchSurvivesAVanishedSend() async throws {
        try await SendingScene.with(people: 1, tracking: true) { (scene: SendingScene) async throws -> Void in
            _ = try await scene.passes(from: 0, to: 30)
            let sendID = try #require(scene.sent.first?.sendID)
            let trackingID = String(sendID.split(separator: ".").last ?? "")
            let send = try #require(try await scene.database.trackedSend(trackingID: trackingID))
            try await scene.database.recordTrackingEvents([
                TrackingEventRecord(sendRecordID: send.recordID, kind: .open, link: nil, eventClass: .likelyHuman, at: scene.clock.now),
                TrackingEventRecord(sendRecordID: 999_999, kind: .open, link: nil, eventClass: .likelyHuman, at: scene.clock.now),
            ])
            #expect(try await scene.database.trackingEventCount() == 1)
        }
    }

    static func trackingID(_ url: String, _ scene: SendingScene) throws -> String {
        let keys = try TrackingKeyLoader.load(try #require(scene.configuration.tracking), secrets: scene.project.store)
        var token = String(url.split(separator: "/").last ?? "")
        if token.hasSuffix(".gif") { token.removeLast(4) }
        return try TrackingToken.verify(token, keys: keys).get().sendTrackingID
    }

    @Test("a click: 302 to the address the campaign linked and nowhere else; tampered, foreign and open-redirect attempts get a 404 with no Location")
    func click() async throws {
        try await SendingScene.with(people: 2, tracking: true) { (scene: SendingScene) async throws -> Void in
            _ = try await scene.passes(from: 0, to: 30)
            scene.clock.advance(by: 3_600)
            try await Self.withServer(scene) { base, client in
                let links = try Self.links(scene, to: "p1@example.org", base: base)
                let reply = try await Self.request(client, links.click)
                #expect(reply.status == 302)
                #expect(reply.headers["Location"].first == "https://jobs.example.com/r?id=7&src=mail")
                // Extra query parameters, an encoded URL, a path after the token, a pixel token used as a click,
                // another kind's token: none redirects anywhere.
                let other = try Self.links(scene, to: "p2@example.org", base: base)
                for url in [
                    links.click + "?url=https://evil.example.com", links.click + "/https%3A%2F%2Fevil.example.com", links.click + "x",
                    base + "/t/c/" + String(links.pixel.split(separator: "/").last!.dropLast(4)),
                    base + "/t/c/" + String(other.unsubscribe.split(separator: "/").last!), base + "/t/c/https%3A%2F%2Fevil.example.com",
                ] {
                    // At most the campaign's own link (a query after the token is not read); never anything else.
                    let answer = try await Self.request(client, url)
                    #expect(answer.headers["Location"].allSatisfy { $0 == "https://jobs.example.com/r?id=7&src=mail" }, "\(url) redirected elsewhere")
                    #expect(answer.status == 404 || answer.status == 302, "\(url): \(answer.status)")
                }
                // A HEAD (a scanner's check) is answered and recorded as a scanner, never as a person.
                let head = try await Self.request(client, other.click, method: .HEAD)
                #expect(head.status == 302)
                #expect(try await Patience.waitUntil { try await scene.database.trackingEventCount() >= 2 })
                let send = try #require(try await scene.database.trackedSend(trackingID: try Self.trackingID(other.click, scene)))
                #expect(try await scene.database.trackingEvents(sendRecordID: send.recordID).map(\.eventClass) == ["scanner"])
                // Two sends clicked, one of them by a person (p1's GET an hour after sending).
                let intro = try #require(try scene.database.stats(campaign: "q1", now: scene.clock.now).first?.rows.first { $0.stepID == "intro" && $0.variantID == nil })
                #expect((intro.clicked, intro.clickedHuman) == (2, 1))
                #expect(StatsOutput.text(try scene.database.stats(campaign: "q1", now: scene.clock.now)).contains("2/1 (50%)"))
            }
        }
    }

    @Test("unsubscribe: GET shows a page and changes nothing; RFC 8058 one-click POST, form-encoded or multipart, suppresses and stops at once, and again changes nothing")
    func unsubscribe() async throws {
        try await SendingScene.with(people: 3, tracking: true) { (scene: SendingScene) async throws -> Void in
            _ = try await scene.passes(from: 0, to: 120)
            #expect(scene.sent.count == 3)
            try await Self.withServer(scene) { base, client in
                let p1 = try Self.links(scene, to: "p1@example.org", base: base)
                let page = try await Self.request(client, p1.unsubscribe)
                #expect(page.status == 200 && page.text.contains("<form method=\"post\">") && !page.text.contains("<script"))
                #expect(try scene.state("p1@example.org") != .stopped(.unsubscribed))
                #expect(try await !scene.database.suppressions().contains { $0.value == "p1@example.org" })
                // RFC 8058 as Gmail sends it: form-encoded.
                let oneClick = Array("List-Unsubscribe=One-Click".utf8)
                for _ in 0..<2 {
                    let reply = try await Self.request(client, p1.unsubscribe, method: .POST, contentType: "application/x-www-form-urlencoded", body: oneClick)
                    #expect(reply.status == 200 && reply.headers["Location"].isEmpty)
                }
                #expect(try scene.state("p1@example.org") == .stopped(.unsubscribed))
                #expect(try await scene.database.suppressions().contains { $0.value == "p1@example.org" })
                // Multipart, as some receivers send it.
                let p2 = try Self.links(scene, to: "p2@example.org", base: base)
                let multipart = Array("--b1\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--b1--\r\n".utf8)
                let reply = try await Self.request(client, p2.unsubscribe, method: .POST, contentType: "multipart/form-data; boundary=b1", body: multipart)
                #expect(reply.status == 200)
                #expect(try scene.state("p2@example.org") == .stopped(.unsubscribed))
                // The page's button, with the reason the person gave: kept with the suppression.
                let p2Again = try await Self.request(
                    client, p2.unsubscribe, method: .POST, contentType: "application/x-www-form-urlencoded", body: Array("confirm=yes&reason=Too+many+emails%2C+sorry".utf8))
                #expect(p2Again.status == 200)
                #expect(try await scene.database.suppressions().first { $0.value == "p2@example.org" }?.reason == "unsubscribe link: Too many emails, sorry")
                // A POST that is neither, a tampered token, an oversized body: refused, nothing changes for p3.
                let p3 = try Self.links(scene, to: "p3@example.org", base: base)
                #expect(try await Self.request(client, p3.unsubscribe, method: .POST, contentType: "application/x-www-form-urlencoded", body: Array("hello=1".utf8)).status == 400)
                #expect(try await Self.request(client, p3.unsubscribe, method: .POST, contentType: "application/json", body: Array("{}".utf8)).status == 400)
                #expect(try await Self.request(client, p3.unsubscribe + "A", method: .POST, contentType: "application/x-www-form-urlencoded", body: oneClick).status == 404)
                #expect(
                    try await Self.request(client, p3.unsubscribe, method: .POST, contentType: "application/x-www-form-urlencoded", body: Array(repeating: 65, count: 100_000)).status
                        == 413)
                let intro = try #require(try scene.database.stats(campaign: "q1", now: scene.clock.now).first?.rows.first { $0.stepID == "intro" && $0.variantID == nil })
                #expect(intro.unsubscribedByLink == 2)
                guard case .active? = try scene.state("p3@example.org") else {
                    Issue.record("p3 changed: \(String(describing: try scene.state("p3@example.org")))")
                    return
                }
            }
        }
    }
}
