import AsyncHTTPClient
import CadenceCore
import CadenceFakeGmail
import Foundation
import NIOCore
import NIOHTTP1
import Testing

extension ProcessTests.PushCommandTests {
    @Test(
        "cadence serve --metrics-port shows every runner's sends, deferrals and quota waits, labelled with the runner, and the fleet's leases and due steps; only on its own listener"
    )
    func metricsEndpoint() async throws {
        try await withFakeGmail(options: .unlimited, clock: AdjustableClock()) { server in
            let root = try Self.project(server, push: nil)
            defer { try? FileManager.default.removeItem(at: root) }
            try "email,firstName\nana@example.org,Ana\nbo@example.org,Bo\ncy@example.org,Cy\n".write(
                to: root.appendingPathComponent("people.csv"), atomically: true, encoding: .utf8)
            #expect(try CadenceBinary.run(["launch", "q", "--candidates", "people.csv"], in: root).status == 0)
            // Gmail asks the first send to wait two minutes: that step is put off, the other two go.
            server.gmail.addFault(FaultRule(method: "messages.send", call: 1, fault: .rateLimited(retryAfterSeconds: 120)))
            let run = try CadenceBinary.run(["run", "--once"], in: root)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(server.gmail.report().allSent.count == 2, "\(run.stdout)")

            let output = Pipe()
            let serve = try Self.start(["serve", "--port", "0", "--metrics-port", "0"], in: root, output: output)
            defer {
                if serve.isRunning {
                    serve.terminate()
                    serve.waitUntilExit()
                }
            }
            // The metrics listener and the main one come up in either order.
            let announced = [Self.firstLine(output), Self.firstLine(output)]
            let metricsLine = try #require(announced.first { $0.hasPrefix("Metrics on http://127.0.0.1:") }, "\(announced)")
            let listening = try #require(announced.first { $0.hasPrefix("Listening on http://127.0.0.1:") }, "\(announced)")
            let metricsURL = String(metricsLine.dropFirst("Metrics on ".count).dropLast())
            let base = try #require(listening.split(separator: " ").dropFirst(2).first.map { String($0.dropLast()) })
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: metricsURL), timeout: Patience.request)
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
            let page = String(buffer: try await response.body.collect(upTo: 1 << 20))
            let runner = try #require(
                page.split(separator: "\n").first { $0.hasPrefix("cadence_sends_total{") }.flatMap { line in
                    line.firstRange(of: "runner=\"").map { line[$0.upperBound...].prefix { $0 != "\"" } }
                }.map(String.init), "\(page)")
            #expect(!runner.isEmpty)
            let lines = Set(page.split(separator: "\n").map(String.init))
            #expect(lines.contains(#"cadence_sends_total{runner="\#(runner)",mailbox="sam",outcome="sent"} 2"#), "\(page)")
            #expect(lines.contains(#"cadence_provider_waits_total{runner="\#(runner)",mailbox="sam"} 1"#), "\(page)")
            #expect(lines.contains(#"cadence_provider_wait_seconds_total{runner="\#(runner)",mailbox="sam"} 120.0"#), "\(page)")
            #expect(lines.contains(#"cadence_deferrals_total{runner="\#(runner)",reason="rate_limited"} 1"#), "\(page)")
            #expect(lines.contains(#"cadence_claim_duration_seconds_count{runner="\#(runner)"} 1"#), "\(page)")
            // Stopped cleanly, it holds nothing; no runner holds a lease now.
            #expect(lines.contains(#"cadence_mailboxes_held{runner="\#(runner)"} 0.0"#), "\(page)")
            #expect(lines.contains("cadence_runners 0.0"), "\(page)")
            #expect(lines.contains { $0.hasPrefix(#"cadence_gmail_quota_units_total{runner="\#(runner)",mailbox="sam"} "#) }, "\(page)")
            #expect(lines.contains("# TYPE cadence_sends_total counter"), "\(page)")
            #expect(lines.contains("cadence_sends_in_doubt 0.0"), "\(page)")
            // Steps due: whatever the count when the page is read (the put-off step is due again two minutes on).
            #expect(lines.contains { $0.hasPrefix("cadence_steps_due ") }, "\(page)")
            // Each family declared once, however many runners reported.
            let families = page.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
            #expect(Set(families).count == families.count, "\(families)")
            // The public listener has no metrics.
            let hidden = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/metrics"), timeout: Patience.request)
            #expect(hidden.status == .notFound)
        }
    }
}
