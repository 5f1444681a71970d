/// A fault the fake injects into chosen calls of one method, so tests can reproduce what Gmail does on a bad day.
public struct FaultRule: Sendable, Codable, Equatable {
    /// `token`, `revoke`, `messages.send`, `messages.get`, `messages.list`, `threads.get`, `history.list`,
    /// `getProfile`, `watch`, `stop`, or `*` for every method.
    public var method: String
    /// Which calls of that method, counted from 1 (every call, faulted or not, counts).
    public var calls: ClosedRange<Int>
    public var fault: Fault

    public init(method: String, calls: ClosedRange<Int>, fault: Fault) {
        self.method = method
        self.calls = calls
        self.fault = fault
    }

    public init(method: String, call: Int, fault: Fault) {
        self.init(method: method, calls: call...call, fault: fault)
    }

    public enum Fault: Sendable, Codable, Equatable {
        /// Wait this long (real time) before answering; combine with a client timeout to get a timeout.
        case latency(seconds: Double)
        /// Answer with this status before doing anything (500, 503, 401, …); nothing is stored.
        case status(Int)
        /// A per-user rate-limit 429 (`rateLimitExceeded`) with this Retry-After; nothing is stored.
        case rateLimited(retryAfterSeconds: Int)
        /// Do the work (store the message), then answer with this status: Gmail's "accepted, then 500".
        case storeThenStatus(Int)
        /// Close the connection without an answer; nothing is stored.
        case drop
        /// Do the work, then close the connection without an answer.
        case storeThenDrop
        /// Answer as usual, but with a `raw` field that is not base64url: a body mangled on the way.
        case garbledRaw
    }
}
