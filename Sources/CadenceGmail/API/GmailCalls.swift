import CadenceCore
import Foundation
import Logging
import NIOHTTP1
import Synchronization

/// Every Gmail call of a run goes through here: one API client and one quota budget per mailbox (Gmail's quota is
/// per user, whatever the call, so sending and reading share them), and the one retry loop for API calls.
///
/// The loop: wait for quota room; start an attempt only if it can be over before the call's deadline (the runner's
/// lease); on a rate limit back off (full jitter, at least the hint, each wait checked against the deadline) or,
/// for a hint past the backoff cap, give the wait back to the caller; map every other answer to what it means.
public final class GmailCalls: Sendable {
    let http: GoogleHTTP
    let clock: any WallClock
    let sleeper: any Sleeper
    let retry: RetryPolicy
    let logger: Logger
    let makeTokens: @Sendable (Mailbox, GmailSettings) throws(AuthError) -> AccessTokenProvider
    private let clients = Mutex<[String: Entry]>([:])
    /// The backoff's jitter: seeded when a run asks for reproducible waits, else the system's.
    private let random: Mutex<SplitMix64>

    struct Entry: Sendable {
        var client: GmailClient
        var budget: QuotaBudget
        /// How long one attempt can take (connect and request timeouts): it starts only if it can be over in time.
        var attemptSeconds: Double
    }

    public init(
        http: GoogleHTTP, clock: any WallClock, sleeper: any Sleeper, retry: RetryPolicy = RetryPolicy(), seed: UInt64? = nil, logger: Logger,
        makeTokens: @escaping @Sendable (Mailbox, GmailSettings) throws(AuthError) -> AccessTokenProvider
    ) {
        self.http = http
        self.clock = clock
        self.sleeper = sleeper
        self.retry = retry
        self.logger = logger
        self.makeTokens = makeTokens
        self.random = Mutex(SplitMix64(seed: seed ?? UInt64.random(in: .min ... .max)))
    }

    func entry(for mailbox: Mailbox) throws(GmailCallFailure) -> Entry {
        guard case .gmail(let settings) = mailbox.provider else {
            throw .send(.rejected(reason: "mailbox \(mailbox.name) does not use the gmail provider"))
        }
        if let existing = clients.withLock({ $0[mailbox.name] }) { return existing }
        let tokens: AccessTokenProvider
        do { tokens = try makeTokens(mailbox, settings) } catch { throw .send(error.needsPerson ? .authRevoked : .notSent(reason: error.description)) }
        let made = Entry(
            client: GmailClient(mailbox: mailbox.name, http: http, tokens: tokens, endpoints: settings.endpoints),
            budget: QuotaBudget(perMinute: settings.endpoints.unitsPerMinute, perSecond: settings.endpoints.unitsPerSecond, clock: clock, sleeper: sleeper),
            attemptSeconds: Double(settings.endpoints.connectTimeoutSeconds + settings.endpoints.requestTimeoutSeconds))
        return clients.withLock { clients in
            if let raced = clients[mailbox.name] { return raced }  // another task made it meanwhile: keep one
            clients[mailbox.name] = made
            return made
        }
    }

    /// The quota units this mailbox has spent and the seconds it waited for room (for benchmarks and reports).
    public func budgetUse(_ mailbox: String) async -> (spent: Int, waited: Double)? {
        guard let budget = clients.withLock({ $0[mailbox]?.budget }) else { return nil }
        return (await budget.spent, await budget.waited)
    }

    /// One API call for `mailbox` costing `units`, with Gmail's rate-limit rules. `sending`: the call can send a
    /// message, so an answer that may come after Gmail took it (5xx, no answer, an unclear 4xx) is an unknown
    /// outcome, never a retry.
    func call(
        _ mailbox: Mailbox, units: Int, sending: Bool, _ call: (GmailClient) async throws(GmailError) -> GoogleHTTP.Response
    ) async throws(GmailCallFailure) -> GoogleHTTP.Response {
        let entry = try entry(for: mailbox)
        var lastHint: Double?
        for attempt in 0..<max(1, retry.attempts) {
            do {
                // No quota is spent on an attempt that could not be over in time.
                try RetryPolicy.checkAttempt(lasting: entry.attemptSeconds)
                try await entry.budget.reserve(units, attemptSeconds: entry.attemptSeconds)
            } catch {
                throw .send(.deadlineReached(reason: error.description))
            }
            let error: GmailError
            do {
                return try await call(entry.client)
            } catch let failure {
                error = failure
            }
            switch error {
            case .api(let failure) where Self.isRateLimit(failure):
                let hint = RetryPolicy.hint(retryAfter: failure.retryAfter, message: failure.message, now: clock.now)
                if Self.isSendingLimit(failure) {
                    throw .send(.mailboxPaused(until: clock.now.addingTimeInterval(hint ?? 900), reason: "Gmail's sending limit: \(failure.message)"))
                }
                lastHint = hint
                // A hint longer than the backoff cap is not waited out inside a pass (another runner could take
                // over meanwhile): the caller defers until then instead.
                if let hint, hint > retry.cap { throw .send(.rateLimited(retryAfterSeconds: Int(hint.rounded(.up)))) }
                guard attempt + 1 < retry.attempts else { continue }  // the last attempt: give the wait back below
                logger.notice("rate limited; backing off", metadata: ["mailbox": .string(mailbox.name)])
                do {
                    var generator = random.withLock { SplitMix64(seed: $0.next()) }
                    try await retry.wait(beforeRetry: attempt, hint: hint, attemptSeconds: entry.attemptSeconds, sleeper: sleeper, using: &generator)
                } catch {
                    throw .send(.deadlineReached(reason: error.description))
                }
            case .api(let failure) where failure.status == 404:
                throw .notFound("Gmail found no such item (404 \(failure.reason))")
            default:
                throw .send(Self.meaning(of: error, sending: sending))
            }
        }
        throw .send(.rateLimited(retryAfterSeconds: lastHint.map { Int($0.rounded(.up)) }))
    }

    /// What an answer other than a rate limit or a 404 means for the call.
    static func meaning(of error: GmailError, sending: Bool) -> SendFailure {
        switch error {
        case .api(let failure) where failure.status >= 500:
            sending ? .outcomeUnknown(reason: "Gmail answered \(failure.status) \(failure.reason)") : .notSent(reason: "Gmail answered \(failure)")
        case .api(let failure) where failure.status == 401:
            // One refresh and one retry already happened (GmailClient): the grant is not usable.
            .authRevoked
        case .api(let failure) where isFinal(failure) || !sending:
            .rejected(reason: "Gmail refused: \(failure.message) (\(failure.status) \(failure.reason))")
        case .api(let failure):
            // Any other 4xx on a send (408, 409, a proxy's page…) says nothing certain: look before resending.
            .outcomeUnknown(reason: "Gmail answered \(failure.status) \(failure.reason)")
        case .transport(.notSent(let reason)):
            .notSent(reason: "could not reach Gmail: \(reason)")
        case .transport(.noAnswer(let reason)):
            sending ? .outcomeUnknown(reason: "no answer from Gmail: \(reason)") : .notSent(reason: "no answer from Gmail: \(reason)")
        case .auth(let auth):
            auth.needsPerson ? .authRevoked : .notSent(reason: auth.description)
        case .malformed(let text):
            sending ? .outcomeUnknown(reason: text) : .notSent(reason: text)
        }
    }

    /// Answers that mean Gmail did not take the message and never will (`../shared/docs/gmail-api.md` §5).
    static func isFinal(_ failure: GmailAPIFailure) -> Bool {
        switch failure.status {
        case 400, 413: true
        case 403: ["insufficientPermissions", "domainPolicy", "dailyLimitExceeded", "forbidden"].contains(failure.reason)
        default: false
        }
    }

    /// Gmail's daily sending limit for the mailbox: it says so only in the message's words, "(Mail sending)"
    /// (`../shared/docs/gmail-api.md` §5). Not a retry: the mailbox rests until the time Gmail gives.
    static func isSendingLimit(_ failure: GmailAPIFailure) -> Bool {
        isRateLimit(failure) && failure.message.contains("(Mail sending)")
    }

    static func isRateLimit(_ failure: GmailAPIFailure) -> Bool {
        failure.status == 429 || (failure.status == 403 && ["rateLimitExceeded", "userRateLimitExceeded"].contains(failure.reason))
    }
}
