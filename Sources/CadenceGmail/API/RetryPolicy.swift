import CadenceCore
import Foundation

/// Exponential backoff with full jitter (Google's client libraries): wait a random time in [0, min(cap, base·2ⁿ)],
/// and never less than a hint the server gave (`Retry-After`, or "Retry after <time>" in the message).
public struct RetryPolicy: Sendable {
    public var attempts: Int
    public var base: Double
    public var cap: Double

    public init(attempts: Int = 5, base: Double = 1, cap: Double = 64) {
        self.attempts = attempts
        self.base = base
        self.cap = cap
    }

    /// The wait before retry number `retry` (0 for the first retry).
    public func delay(retry: Int, hint: Double?, using random: inout some RandomNumberGenerator) -> Double {
        let ceiling = min(cap, base * pow(2, Double(retry)))
        let jittered = Double.random(in: 0...ceiling, using: &random)
        return max(jittered, hint ?? 0)
    }

    /// The longest a server's hint is taken at its word. `Retry-After: inf`, a number past any sane wait or an
    /// HTTP date in the year 9999 are a broken or hostile answer, not a plan: they wait a day at most, and never
    /// reach a conversion that would trap.
    public static let longestHint: Double = 86_400

    /// Waits before retry number `retry`, unless the wait and one more attempt (`attemptSeconds`) would not be over
    /// before the call's deadline (`CallDeadline`), or the task is cancelled: then gives up without waiting.
    public func wait(
        beforeRetry retry: Int, hint: Double?, attemptSeconds: Double, sleeper: any Sleeper, using random: inout some RandomNumberGenerator
    ) async throws(DeadlineReached) {
        let seconds = delay(retry: retry, hint: hint, using: &random)
        guard CallDeadline.allows(seconds + attemptSeconds) else { throw DeadlineReached(waiting: "a \(Int(seconds.rounded(.up))) s backoff") }
        do { try await sleeper.sleep(seconds: seconds) } catch { throw DeadlineReached(waiting: "a backoff, cancelled") }
    }

    /// Refuses to start an attempt that could still be under way at the call's deadline, or in a cancelled task.
    public static func checkAttempt(lasting seconds: Double) throws(DeadlineReached) {
        if Task.isCancelled { throw DeadlineReached(waiting: "cancelled") }
        guard CallDeadline.allows(seconds) else { throw DeadlineReached(waiting: "no time left for an attempt of up to \(Int(seconds)) s") }
    }

    /// Seconds from a `Retry-After` header (seconds or an HTTP date) or a Gmail message's "Retry after <RFC 3339>".
    public static func hint(retryAfter header: String?, message: String?, now: Date) -> Double? {
        if let header {
            if let seconds = Double(header.trimmingCharacters(in: .whitespaces)) { return bounded(seconds) }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            if let date = formatter.date(from: header) { return bounded(date.timeIntervalSince(now)) }
        }
        if let message, let range = message.range(of: "Retry after ") {
            let rest = message[range.upperBound...].split(separator: " ").first.map(String.init) ?? ""
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let date = formatter.date(from: rest) ?? ISO8601DateFormatter().date(from: rest) { return bounded(date.timeIntervalSince(now)) }
        }
        return nil
    }

    /// A hint in seconds, or nil when it is not a number of seconds at all (NaN).
    static func bounded(_ seconds: Double) -> Double? {
        guard !seconds.isNaN else { return nil }
        return min(max(0, seconds), longestHint)
    }
}
