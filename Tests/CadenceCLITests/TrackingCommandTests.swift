import AsyncHTTPClient
import CadenceCore
import CadenceFakeGmail
import Foundation
import GRDB
import NIOCore
import NIOHTTP1
import Testing

extension ProcessTests {
    /// The README's tracking set-up, as processes: `cadence run` sends rewritten mail through the fake Gmail, and
    /// `cadence serve` answers its pixel and its one-click unsubscribe, then drains on SIGTERM.
    @Suite("cadence run and serve with tracking, as processes")
    struct TrackingCommandTests {
        static func count(_ root: URL, _ sql: String) throws -> Int {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: root.appendingPathComponent("cadence.sqlite").path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in try Int.fetchOne(db, sql: sql) ?? 0 }
        }

        @Test("the pixel is answered and recorded, a one-click POST unsubscribes before its 200, and SIGTERM right after 300 answered pixels drains them all and exits 0")
        func trackingEndToEnd() async throws {
            try await withFakeGmail(options: .unlimited, clock: AdjustableClock()) { server in
                let tracking = #"{ "baseURL": "https://t.example.com", "key": { "file": "secrets/tracking.key" }, "defaults": { "opens": true } }"#
                let root = try PushCommandTests.project(server, push: nil, tracking: tracking)
                defer { try? FileManager.default.removeItem(at: root) }
                #expect(try CadenceBinary.run(["launch", "q", "--candidates", "people.csv"], in: root).status == 0)
                let first = try CadenceBinary.run(["run", "--once"], in: root)
                #expect(first.status == 0, "\(first.stderr)")
                let sent = try #require(server.gmail.report().allSent.first { $0.to == ["ana@example.org"] })
                let message = try MailMessage.parse(try #require(server.gmail.rawMessage(sent.id, in: PushCommandTests.address)))
                let header = try #require(message.header("List-Unsubscribe"))
                #expect(message.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click")
                let html = try #require(message.allParts.first { $0.mimeType == "text/html" }?.text)

                let output = Pipe()
                let serve = try PushCommandTests.start(["serve", "--port", "0"], in: root, output: output)
                defer { if serve.isRunning { serve.terminate(); serve.waitUntilExit() } }
                let line = PushCommandTests.firstLine(output)
                #expect(line.contains("tracking links under /t/"), "\(line)")
                let base = try #require(line.split(separator: " ").dropFirst(2).first.map { String($0.dropLast()) })
                let pixel = base + "/t/o/" + String(try #require(html.components(separatedBy: "https://t.example.com/t/o/").dropFirst().first).prefix(38))
                let unsubscribe = String(header.dropFirst().prefix { $0 != ">" }).replacingOccurrences(of: "https://t.example.com", with: base)

                var fetch = HTTPClientRequest(url: pixel)
                fetch.headers.add(name: "User-Agent", value: "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)")
                let image = try await HTTPClient.shared.execute(fetch, timeout: Patience.request)
                #expect(image.status == .ok && image.headers["Content-Type"].first == "image/gif")
                _ = try await image.body.collect(upTo: 1 << 16)

                var post = HTTPClientRequest(url: unsubscribe)
                post.method = .POST
                post.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                post.body = .bytes(ByteBuffer(string: "List-Unsubscribe=One-Click"))
                let answer = try await HTTPClient.shared.execute(post, timeout: Patience.request)
                #expect(answer.status == .ok)
                _ = try await answer.body.collect(upTo: 1 << 16)
                // Committed before the 200: no waiting needed.
                #expect(try PushCommandTests.state(root, "ana@example.org") == "stopped")
                #expect(try Self.count(root, "SELECT COUNT(*) FROM suppression WHERE value = 'ana@example.org'") == 1)

                // A burst of 300 more, all answered, then SIGTERM at once: whatever the recorder still holds must
                // be written before the process exits.
                let again = fetch
                let answered = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for _ in 0..<300 {
                        group.addTask {
                            let reply = try await HTTPClient.shared.execute(again, timeout: Patience.request)
                            _ = try await reply.body.collect(upTo: 1 << 16)
                            return reply.status == .ok
                        }
                    }
                    return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
                #expect(answered == 300)
                serve.terminate()
                serve.waitUntilExit()
                #expect(serve.terminationStatus == 0)
                // Drained on SIGTERM: every open answered is in the database once the process is gone.
                #expect(try Self.count(root, "SELECT COUNT(*) FROM trackingEvent WHERE kind = 'open' AND class = 'gmail-proxy'") == 301)
            }
        }
    }
}
