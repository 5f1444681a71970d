import CadenceCore
import CadenceStore
import Foundation
import Prometheus

/// The metrics endpoint's page: the fleet as the database sees it (who holds which mailbox and until when, sends
/// in doubt, steps due, mailboxes Gmail paused) and every runner's own report (`RunnerMetrics`), each sample
/// labelled with its runner. One scrape of any `cadence serve` shows every runner, on every host.
public enum FleetMetrics {
    /// A runner that has not reported for this long is left out (`FleetSnapshot.reportsFor`).
    public static var staleAfter: TimeInterval { FleetSnapshot.reportsFor }

    public static func exposition(_ store: any CadenceStore, now: Date) async throws(StoreError) -> String {
        exposition(try await store.fleetSnapshot(now: now), now: now)
    }

    /// Prometheus text for `snapshot` at `now`.
    public static func exposition(_ snapshot: FleetSnapshot, now: Date) -> String {
        let fleet = PrometheusCollectorRegistry()
        var owners = Set<String>()
        for lease in snapshot.leases {
            owners.insert(lease.owner)
            fleet.makeGauge(
                name: "cadence_lease_seconds_left", labels: [("mailbox", lease.mailbox ?? "*"), ("runner", lease.owner)],
                help: "Seconds left on a runner's lease of a mailbox (* the whole database)"
            ).set(lease.expiresAt.timeIntervalSince(now))
        }
        fleet.makeGauge(name: "cadence_runners", help: "Runners holding a lease now").set(Double(owners.count))
        fleet.makeGauge(name: "cadence_sends_in_doubt", help: "Sends begun whose outcome is not yet known").set(Double(snapshot.sendsInDoubt))
        fleet.makeGauge(name: "cadence_steps_due", help: "Steps due now or earlier (those being sent included)").set(Double(snapshot.stepsDue))
        for (mailbox, until) in snapshot.pausedMailboxes.sorted(by: { $0.key < $1.key }) {
            fleet.makeGauge(name: "cadence_mailbox_paused_seconds_left", labels: [("mailbox", mailbox)], help: "Seconds a mailbox still rests, as Gmail asked")
                .set(until.timeIntervalSince(now))
        }
        let fresh = snapshot.runners.filter { now.timeIntervalSince($0.updatedAt) <= staleAfter }.sorted { $0.owner < $1.owner }
        for report in fresh {
            fleet.makeGauge(name: "cadence_runner_report_age_seconds", labels: [("runner", report.owner)], help: "Seconds since the runner last reported")
                .set(max(0, now.timeIntervalSince(report.updatedAt)))
        }
        let text = fleet.emitToString()
        // A family the page already has (a runner of another version naming one alike) is left out: the format
        // allows each family once, and a second would make Prometheus refuse the whole page.
        let taken = Set(text.split(separator: "\n").compactMap { line in line.hasPrefix("# TYPE ") ? line.split(separator: " ").dropFirst(2).first.map(String.init) : nil })
        return text + PrometheusText.merge(fresh.map { (label: ("runner", $0.owner), text: $0.exposition) }, except: taken)
    }
}
