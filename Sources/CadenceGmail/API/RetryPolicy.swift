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

    /// Seconds from a `Retry-After` header (seconds or an HTTP date) or a Gmail message's "Retry after <RFC 3339>".
    public static func hint(retryAfter header: String?, message: String?, now: Date) -> Double? {
        if let header {
            if let seconds = Double(header.trimmingCharacters(in: .whitespaces)) { return max(0, seconds) }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            if let date = formatter.date(from: header) { return max(0, date.timeIntervalSince(now)) }
        }
        if let message, let range = message.range(of: "Retry after ") {
            let rest = message[range.upperBound...].split(separator: " ").first.map(String.init) ?? ""
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let date = formatter.date(from: rest) ?? ISO8601DateFormatter().date(from: rest) { return max(0, date.timeIntervalSince(now)) }
        }
        return nil
    }
}
