import CadenceCore
import CoreMetrics
import Foundation
import Prometheus
import Synchronization

/// What a runner counts of its own work, for an operator's dashboards: its sends by outcome, why due steps waited,
/// how often and how long Gmail made a mailbox wait, how long claiming due steps took, and how many mailboxes it
/// holds. Recorded through swift-metrics into a Prometheus registry of this runner's own (not the process-wide
/// one, so two runners in one test process keep their counts apart); `RunnerService` writes the registry's text to
/// the database after every pass, and any `cadence serve --metrics` shows every runner's (`FleetMetrics`).
public final class RunnerMetrics: Sendable {
    /// Why a due step was put off, as the metric's `reason` label: a handful of values, never free text.
    public enum Deferral: String, Sendable, CaseIterable {
        case sendWindow = "send_window"
        case limits
        case mailboxPaused = "mailbox_paused"
        case authorisation
        case rateLimited = "rate_limited"
        case notSent = "not_sent"
        case deadline
        case mailboxUnreadable = "mailbox_unreadable"
        case threadPending = "thread_pending"
        case taskPending = "task_pending"
        case configuration

        init(_ rule: SendGate.Rule) {
            switch rule {
            case .authorisation: self = .authorisation
            case .mailboxPause: self = .mailboxPaused
            case .sendWindow: self = .sendWindow
            case .limits: self = .limits
            }
        }
    }

    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let lastBudget = Mutex<[String: (spent: Int, waited: Double)]>([:])

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [.milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(2), .seconds(10)]
        self.factory = factory
    }

    /// A send's outcome: sent, confirmed (a send in doubt found at the provider), unknown, rejected.
    func send(_ outcome: String, mailbox: String) {
        Counter(label: "cadence_sends_total", dimensions: [("mailbox", mailbox), ("outcome", outcome)], factory: factory).increment()
    }

    func deferred(_ reason: Deferral) {
        Counter(label: "cadence_deferrals_total", dimensions: [("reason", reason.rawValue)], factory: factory).increment()
    }

    /// Gmail asked `mailbox` to wait (a 429, or a mailbox-wide sending limit): how often, and for how long in all.
    func providerWait(mailbox: String, seconds: Double) {
        Counter(label: "cadence_provider_waits_total", dimensions: [("mailbox", mailbox)], factory: factory).increment()
        FloatingPointCounter(label: "cadence_provider_wait_seconds_total", dimensions: [("mailbox", mailbox)], factory: factory).increment(by: max(0, seconds))
    }

    /// A Gmail mailbox's quota budget so far (the units spent and the seconds Cadence waited so as not to exceed
    /// Gmail's per-user quota), as the sender counts it for the whole run: counted on from the last report.
    func gmailBudget(mailbox: String, spent: Int, waited: Double) {
        let (units, seconds) = lastBudget.withLock { last in
            let before = last[mailbox] ?? (0, 0)
            last[mailbox] = (spent, waited)
            return (max(0, spent - before.spent), max(0, waited - before.waited))
        }
        Counter(label: "cadence_gmail_quota_units_total", dimensions: [("mailbox", mailbox)], factory: factory).increment(by: Int64(units))
        FloatingPointCounter(label: "cadence_gmail_quota_wait_seconds_total", dimensions: [("mailbox", mailbox)], factory: factory).increment(by: seconds)
    }

    /// How long one claim of due steps took (a duration measured, never a decision taken on it).
    func claimed(in duration: Duration) {
        let (seconds, attoseconds) = duration.components
        Timer(label: "cadence_claim_duration_seconds", factory: factory).recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    func holding(_ mailboxes: Int) {
        Gauge(label: "cadence_mailboxes_held", factory: factory).record(mailboxes)
    }

    /// The registry as Prometheus text.
    public var exposition: String { registry.emitToString() }
}
