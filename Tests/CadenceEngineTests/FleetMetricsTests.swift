import CadenceStore
import Foundation
import Testing

@testable import CadenceEngine

@Suite("The metrics page: the fleet from the database, and every runner's report under its name")
struct FleetMetricsTests {
    static let now = Date(timeIntervalSince1970: 1_796_115_600)

    /// Two runners' pages as `RunnerMetrics` writes them.
    static func report(sent: Int, mailbox: String, claims: Int) -> String {
        let metrics = RunnerMetrics()
        for _ in 0..<sent { metrics.send("sent", mailbox: mailbox) }
        metrics.deferred(.sendWindow)
        for _ in 0..<claims { metrics.claimed(in: .milliseconds(3)) }
        metrics.holding(2)
        return metrics.exposition
    }

    @Test("runners' families merged once each, every sample labelled with its runner; stale runners left out; leases and waits from the database")
    func page() throws {
        var snapshot = FleetSnapshot()
        snapshot.leases = [
            .init(mailbox: "sam", owner: "host-a", expiresAt: Self.now.addingTimeInterval(60)),
            .init(mailbox: "kim", owner: "host-b", expiresAt: Self.now.addingTimeInterval(30)),
        ]
        snapshot.sendsInDoubt = 1
        snapshot.stepsDue = 42
        snapshot.pausedMailboxes = ["kim": Self.now.addingTimeInterval(90)]
        snapshot.runners = [
            .init(owner: "host-a", exposition: Self.report(sent: 3, mailbox: "sam", claims: 2), updatedAt: Self.now.addingTimeInterval(-5)),
            .init(owner: "host-b \"two\"", exposition: Self.report(sent: 1, mailbox: "kim", claims: 1), updatedAt: Self.now.addingTimeInterval(-1)),
            .init(owner: "gone", exposition: Self.report(sent: 9, mailbox: "old", claims: 1), updatedAt: Self.now.addingTimeInterval(-FleetMetrics.staleAfter - 1)),
        ]
        let page = FleetMetrics.exposition(snapshot, now: Self.now)
        let lines = page.split(separator: "\n").map(String.init)
        #expect(lines.contains(#"cadence_sends_total{runner="host-a",mailbox="sam",outcome="sent"} 3"#), "\(page)")
        #expect(lines.contains(#"cadence_sends_total{runner="host-b \"two\"",mailbox="kim",outcome="sent"} 1"#), "\(page)")
        #expect(!page.contains("gone"), "a runner silent for longer than \(FleetMetrics.staleAfter) s is left out")
        #expect(lines.contains(#"cadence_claim_duration_seconds_count{runner="host-a"} 2"#), "\(page)")
        #expect(lines.contains(#"cadence_mailboxes_held{runner="host-a"} 2.0"#), "\(page)")
        #expect(lines.contains(#"cadence_lease_seconds_left{mailbox="sam",runner="host-a"} 60.0"#), "\(page)")
        #expect(lines.contains("cadence_runners 2.0"))
        #expect(lines.contains("cadence_steps_due 42.0"))
        #expect(lines.contains("cadence_sends_in_doubt 1.0"))
        #expect(lines.contains(#"cadence_mailbox_paused_seconds_left{mailbox="kim"} 90.0"#), "\(page)")
        // The format wants each family once, with all its samples after its TYPE line.
        var families: [String] = []
        var current = ""
        for line in lines {
            if line.hasPrefix("# TYPE ") {
                current = String(line.split(separator: " ")[2])
                #expect(!families.contains(current), "\(current) declared twice")
                families.append(current)
            } else if !line.hasPrefix("#") {
                #expect(line.hasPrefix(current), "\(line) is outside its family \(current)")
            }
        }
        #expect(families.contains("cadence_claim_duration_seconds"))
    }

    @Test("a label is put first in a sample with labels, without, and with an empty set")
    func labelling() {
        #expect(PrometheusText.labelled(#"a_total{x="1"} 2"#, name: "a_total", with: ("runner", "r")) == #"a_total{runner="r",x="1"} 2"#)
        #expect(PrometheusText.labelled("a_total 2", name: "a_total", with: ("runner", "r")) == #"a_total{runner="r"} 2"#)
        #expect(PrometheusText.labelled("a_total{} 2", name: "a_total", with: ("runner", "r\\n")) == #"a_total{runner="r\\n"} 2"#)
    }
}
