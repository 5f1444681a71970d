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

/// Step 6 of `cadence demo --sandbox`: the tracking links of the mail the sandbox Gmail holds, answered by a real
/// `cadence serve` on 127.0.0.1. One candidate's pixel is fetched as Gmail's image proxy fetches it, another's
/// as Apple Mail Privacy Protection prefetches it (through Apple's relay, behind a trusted proxy) and its link by a
/// mail-security gateway; a third clicks in a browser and unsubscribes with one click. The stats then show all
/// opens and clicks beside the likely-human ones.
enum SandboxTracking {
    /// What the sandbox's tracking links name: a stand-in, rewritten to the local server when the demo follows them.
    static let baseURL = "https://t.sandbox.example"

    static func show(
        server: FakeGmailServer, mailbox: String, database: CadenceDatabase, keys: TrackingKeys, clock: AdjustableClock, skipping replier: String,
        logger: Logger, output: @escaping @Sendable (String) -> Void
    ) async throws {
        output("\n6. Opens, clicks and one-click unsubscribe (cadence serve, with the \"tracking\" section)\n")
        let endpoint = TrackingEndpoint(
            keys: keys, store: database, recorder: TrackingRecorder(store: database, logger: logger), policy: IncomingPolicy(), clock: clock, logger: logger)
        // The first email of each candidate other than the one who replied, in the order Gmail took them.
        var seen: Set<String> = [replier]
        var firsts: [(to: String, raw: [UInt8])] = []
        for sent in server.gmail.report().allSent {
            guard let to = sent.to.first, !seen.contains(to), let raw = server.gmail.rawMessage(sent.id, in: mailbox) else { continue }
            seen.insert(to)
            firsts.append((to, raw))
        }
        guard firsts.count >= 3 else {
            output("   (fewer than three candidates were mailed; nothing to show)\n")
            return
        }
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: .init(redirectConfiguration: .disallow))
        let mailed = firsts
        do {
            // The demo's requests come from 127.0.0.1, which stands for a TLS proxy on the same host here.
            let proxy = IPRangeSet(networks: IPNetwork("127.0.0.1").map { [$0] } ?? [])
            try await CadenceHTTPServer.whileServing(tracking: endpoint, trustedProxies: proxy, logger: logger) { base in
                output("   cadence serve answers on \(base); the links in the mail name \(baseURL), which stands for it here.\n")
                func link(_ raw: [UInt8], _ route: String) -> String? {
                    guard let html = (try? MailMessage.parse(raw))?.allParts.first(where: { $0.mimeType == "text/html" })?.text,
                        let rest = html.components(separatedBy: baseURL + route).dropFirst().first
                    else { return nil }
                    return base + route + String(rest.prefix { $0 != "\"" })
                }
                func request(_ url: String, method: HTTPMethod = .GET, agent: String, body: String? = nil, from address: String? = nil) async throws -> Int {
                    var request = HTTPClientRequest(url: url)
                    request.method = method
                    request.headers.add(name: "User-Agent", value: agent)
                    if let address { request.headers.add(name: "X-Forwarded-For", value: address) }
                    if let body {
                        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                        request.body = .bytes(ByteBuffer(string: body))
                    }
                    let response = try await client.execute(request, timeout: .seconds(30))
                    _ = try await response.body.collect(upTo: 1 << 20)
                    return Int(response.status.code)
                }
                let gmailProxy = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
                let browser = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
                let scanner = "Mimecast-Security-Scanner/1.0"
                if let pixel = link(mailed[0].raw, "/t/o/") {
                    let status = try await request(pixel, agent: gmailProxy)
                    output("   \(mailed[0].to) opens the email in Gmail: Gmail's image proxy fetches the pixel (\(status)).\n")
                }
                if let pixel = link(mailed[1].raw, "/t/o/"), let click = link(mailed[1].raw, "/t/c/") {
                    // An address in Apple's published relay ranges (the snapshot in the repo).
                    let fetched = try await request(pixel, agent: "Mozilla/5.0", from: "172.225.180.37")
                    output("   \(mailed[1].to) uses Apple Mail: Apple's relay fetches the pixel on arrival, read or not (\(fetched)).\n")
                    let checked = try await request(click, agent: scanner)
                    output("   \(mailed[1].to)'s mail gateway checks the link (\(checked)); nobody clicked it.\n")
                }
                if let click = link(mailed[2].raw, "/t/c/") {
                    let clicked = try await request(click, agent: browser)
                    output("   \(mailed[2].to) clicks the link in a browser (\(clicked): redirected to the address the email linked).\n")
                }
                if let unsubscribe = (try? MailMessage.parse(mailed[2].raw))?.header("List-Unsubscribe").map({ String($0.dropFirst().prefix { $0 != ">" }) }) {
                    let status = try await request(
                        unsubscribe.replacingOccurrences(of: baseURL, with: base), method: .POST, agent: "Mozilla/5.0 (compatible; Gmail)", body: "List-Unsubscribe=One-Click")
                    output("   \(mailed[2].to) then presses Gmail's unsubscribe button: the RFC 8058 one-click POST (\(status)) suppresses the address at once.\n")
                }
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        output("\nPer step (cadence stats): opened and clicked count sends, all/likely human. Apple's and the gateway's fetches count in all only.\n")
        output(StatsOutput.text(try database.stats(campaign: nil, now: clock.now)) + "\n")
    }
}
