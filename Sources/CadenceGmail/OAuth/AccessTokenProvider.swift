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
    /// A service account whose grant Google refused: no file records it, so memory does.
    private var dead: AuthError?
    /// A refresh token Google refused, in case its mark could not be written to the token file.
    private var refusedRefreshToken: Secret?
    /// An access token Gmail refused (401): never handed out again, even if the token file still holds it.
    private var refusedAccessToken: Secret?
    private var inFlight: Task<Result<Secret, AuthError>, Never>?
    /// The scopes Google's answer named for a service account (nil until one came).
    private var confirmedScopes: [String]?
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
        case .serviceAccount: confirmedScopes ?? requestedScopes
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
        refusedAccessToken = token
    }

    private func fetch() async -> Result<Secret, AuthError> {
        do throws(AuthError) {
            return .success(try await fetchThrowing())
        } catch {
            // OAuth state lives in the token file, which is read on every fetch (a login elsewhere is seen at once);
            // a service account has no file, so its refusal is remembered here.
            if error.needsPerson, case .serviceAccount = credentials { dead = error }
            return .failure(error)
        }
    }

    private func fetchThrowing() async throws(AuthError) -> Secret {
        let now = clock.now
        switch credentials {
        case .oauth(let clientID, let clientSecret, let path):
            var file: TokenFile
            do throws(SecretError) {
                file = try TokenFile.read(path, from: store)  // every time: `cadence auth login` may have replaced it
            } catch {
                if FileManager.default.fileExists(atPath: store.path(path)) { throw AuthError.secret(error.description) }
                throw AuthError.notAuthorized(mailbox: mailbox)
            }
            tokenFile = file
            if let revoked = file.revoked {
                throw AuthError.needsReauthorization(mailbox: mailbox, reason: revoked.reason, fix: "run `cadence auth login \(mailbox)`")
            }
            if let refused = refusedRefreshToken, refused == file.refreshToken {
                throw AuthError.needsReauthorization(mailbox: mailbox, reason: "Token has been expired or revoked.", fix: "run `cadence auth login \(mailbox)`")
            }
            if let access = file.accessToken, access != refusedAccessToken, let expires = file.accessTokenExpires,
                expires.timeIntervalSince(now) > Self.refreshMargin
            {
                cached = (access, expires)
                return access
            }
            let used = file.refreshToken
            refreshes += 1
            do {
                let grant = try await endpoint.refresh(used, clientID: clientID, clientSecret: clientSecret)
                let expires = now.addingTimeInterval(Double(grant.expiresIn))
                cached = (grant.accessToken, expires)
                try? update(path) { file in
                    // Only the grant that was refreshed is updated: a newer login on disk is left alone.
                    guard file.refreshToken == used else { return false }
                    file.accessToken = grant.accessToken
                    file.accessTokenExpires = expires
                    if let scopes = grant.scopes { file.scopes = scopes }
                    if let rotated = grant.refreshToken { file.refreshToken = rotated }
                    return true
                }
                logger.info("access token refreshed", metadata: ["mailbox": .string(mailbox)])
                return grant.accessToken
            } catch {
                let failure = translate(error, fix: "run `cadence auth login \(mailbox)`")
                if case .needsReauthorization(_, let reason, _) = failure {
                    refusedRefreshToken = used
                    try? update(path) { file in
                        guard file.refreshToken == used else { return false }
                        file.revoked = TokenFile.Revocation(at: now, reason: reason)
                        file.accessToken = nil
                        file.accessTokenExpires = nil
                        return true
                    }
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
                if let scopes = grant.scopes { confirmedScopes = scopes }
                return grant.accessToken
            } catch {
                throw translate(error, fix: "check the service account's key file and this machine's clock, then run `cadence config check --online`")
            }
        }
    }

    /// Re-reads the token file under an exclusive lock, lets `change` edit it (returning false to leave it), and
    /// writes it back: two processes refreshing, or a refresh racing a login, cannot lose each other's work.
    private func update(_ path: String, _ change: (inout TokenFile) -> Bool) throws(SecretError) {
        let lockPath = store.path(path) + ".lock"
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw SecretError("cannot lock \(path)") }
        defer { close(descriptor) }
        flock(descriptor, LOCK_EX)
        defer { flock(descriptor, LOCK_UN) }
        var file = try TokenFile.read(path, from: store)
        guard change(&file) else { return }
        try file.write(path, to: store)
        tokenFile = file
    }

    private func translate(_ refusal: TokenEndpoint.Refusal, fix: String) -> AuthError {
        switch refusal.code {
        case "invalid_grant": .needsReauthorization(mailbox: mailbox, reason: refusal.description, fix: fix)
        case "invalid_client": .invalidClient(mailbox: mailbox, reason: refusal.description)
        case "unauthorized_client": .unauthorizedClient(mailbox: mailbox, reason: refusal.description)
        case "invalid_scope": .invalidScope(mailbox: mailbox, reason: refusal.description)
        // An answer that is not Google's JSON (a proxy's error page) says nothing about the grant: try again later.
        default:
            refusal.retryable || refusal.code.hasPrefix("http_")
                ? .unavailable(mailbox: mailbox, reason: "\(refusal.code): \(refusal.description)") : .rejected(mailbox: mailbox, code: refusal.code, reason: refusal.description)
        }
    }
}
