import CadenceCore
import Foundation
import Logging

/// Access tokens for one mailbox. Cached until shortly before they expire; refreshed once however many sends ask
/// at the same moment; after `invalid_grant` the mailbox is dead until a person re-authorises it, and asking again
/// fails at once without calling Google, so a revoked grant never becomes a retry storm.
public actor AccessTokenProvider {
    public enum Credentials: Sendable {
        case oauth(clientID: String, clientSecret: Secret, tokenFile: String)
        case serviceAccount(ServiceAccountKey, actAs: String)
    }

    /// Refresh this long before expiry (google-auth's margin: 3 min 45 s).
    public static let refreshMargin: TimeInterval = 225

    public let mailbox: String
    let credentials: Credentials
    let endpoint: TokenEndpoint
    let store: SecretStore
    let clock: any WallClock
    let requestedScopes: [String]
    let logger: Logger
    private var cached: (token: Secret, expires: Date)?
    private var tokenFile: TokenFile?
    private var dead: AuthError?
    private var inFlight: Task<Result<Secret, AuthError>, Never>?
    /// How many times this provider went to the token endpoint: what tests count to prove single-flight.
    public private(set) var refreshes = 0

    public init(
        mailbox: String, credentials: Credentials, endpoint: TokenEndpoint, store: SecretStore, clock: any WallClock,
        scopes: [String] = GmailScope.required, logger: Logger
    ) {
        self.mailbox = mailbox
        self.credentials = credentials
        self.endpoint = endpoint
        self.store = store
        self.clock = clock
        self.requestedScopes = scopes
        self.logger = logger
    }

    /// The scopes the current grant holds, as Google last said.
    public var grantedScopes: [String] {
        switch credentials {
        case .oauth: tokenFile?.scopes ?? []
        case .serviceAccount: requestedScopes
        }
    }

    public var expiry: Date? { cached?.expires }

    public func token() async throws(AuthError) -> Secret {
        if let dead { throw dead }
        if let cached, cached.expires.timeIntervalSince(clock.now) > Self.refreshMargin { return cached.token }
        let task: Task<Result<Secret, AuthError>, Never>
        if let running = inFlight {
            task = running
        } else {
            task = Task { await self.fetch() }
            inFlight = task
        }
        let result = await task.value
        if inFlight == task { inFlight = nil }
        return try result.get()
    }

    /// After a 401: forget `token` (if it is still the cached one) so the next `token()` fetches a new one.
    public func invalidate(_ token: Secret) {
        if cached?.token == token { cached = nil }
        if tokenFile?.accessToken == token {
            tokenFile?.accessToken = nil
            tokenFile?.accessTokenExpires = nil
        }
    }

    private func fetch() async -> Result<Secret, AuthError> {
        do throws(AuthError) {
            return .success(try await fetchThrowing())
        } catch {
            if error.needsPerson { dead = error }
            return .failure(error)
        }
    }

    private func fetchThrowing() async throws(AuthError) -> Secret {
        let now = clock.now
        switch credentials {
        case .oauth(let clientID, let clientSecret, let path):
            var file: TokenFile
            do throws(SecretError) {
                if let loaded = tokenFile { file = loaded } else { file = try TokenFile.read(path, from: store) }
            } catch {
                if FileManager.default.fileExists(atPath: store.path(path)) { throw AuthError.secret(error.description) }
                throw AuthError.notAuthorized(mailbox: mailbox)
            }
            tokenFile = file
            if let revoked = file.revoked {
                throw AuthError.needsReauthorization(mailbox: mailbox, reason: revoked.reason, fix: "run `cadence auth login \(mailbox)`")
            }
            if let access = file.accessToken, let expires = file.accessTokenExpires, expires.timeIntervalSince(now) > Self.refreshMargin {
                cached = (access, expires)
                return access
            }
            refreshes += 1
            do {
                let grant = try await endpoint.refresh(file.refreshToken, clientID: clientID, clientSecret: clientSecret)
                let expires = now.addingTimeInterval(Double(grant.expiresIn))
                cached = (grant.accessToken, expires)
                file.accessToken = grant.accessToken
                file.accessTokenExpires = expires
                if let scopes = grant.scopes { file.scopes = scopes }
                if let rotated = grant.refreshToken { file.refreshToken = rotated }
                tokenFile = file
                do { try file.write(path, to: store) } catch { logger.warning("could not save the access token", metadata: ["mailbox": .string(mailbox), "error": .string(error.description)]) }
                logger.info("access token refreshed", metadata: ["mailbox": .string(mailbox)])
                return grant.accessToken
            } catch {
                let failure = translate(error, fix: "run `cadence auth login \(mailbox)`")
                if case .needsReauthorization(_, let reason, _) = failure {
                    file.revoked = TokenFile.Revocation(at: now, reason: reason)
                    file.accessToken = nil
                    file.accessTokenExpires = nil
                    tokenFile = file
                    try? file.write(path, to: store)
                    logger.error("mailbox needs re-authorisation", metadata: ["mailbox": .string(mailbox)])
                }
                throw failure
            }
        case .serviceAccount(let key, let actAs):
            refreshes += 1
            let assertion: Secret
            do {
                assertion = try await key.assertion(subject: actAs, scopes: requestedScopes, audience: endpoint.endpoints.tokenURL, now: now)
            } catch {
                throw AuthError.secret(error.description)
            }
            do {
                let grant = try await endpoint.assertion(assertion)
                cached = (grant.accessToken, now.addingTimeInterval(Double(grant.expiresIn)))
                return grant.accessToken
            } catch {
                throw translate(error, fix: "check the service account's key file and this machine's clock, then run `cadence config check --online`")
            }
        }
    }

    private func translate(_ refusal: TokenEndpoint.Refusal, fix: String) -> AuthError {
        switch refusal.code {
        case "invalid_grant": .needsReauthorization(mailbox: mailbox, reason: refusal.description, fix: fix)
        case "invalid_client": .invalidClient(mailbox: mailbox, reason: refusal.description)
        case "unauthorized_client": .unauthorizedClient(mailbox: mailbox, reason: refusal.description)
        case "invalid_scope": .invalidScope(mailbox: mailbox, reason: refusal.description)
        default: refusal.retryable ? .unavailable(mailbox: mailbox, reason: "\(refusal.code): \(refusal.description)") : .rejected(mailbox: mailbox, code: refusal.code, reason: refusal.description)
        }
    }
}
