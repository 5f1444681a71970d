import CadenceCore
import CadenceGmail
import CadenceServer
import Foundation
import Logging

/// `cadence auth login MAILBOX`: consent in a browser, the code back on a loopback redirect, the code exchanged
/// with PKCE, the account checked against the configured address, and only then the refresh token saved (0600).
public enum AuthLogin {
    public struct Result: Sendable, Equatable {
        public var address: String
        public var scopes: [String]
        public var tokenFile: String
    }

    public static func run(
        mailbox: Mailbox, access: GmailAccess, timeoutMinutes: Int, random: inout some RandomNumberGenerator,
        show: @escaping @Sendable (String) async -> Void
    ) async throws(LoginFailure) -> Result {
        guard case .gmail(let settings) = mailbox.provider else {
            throw LoginFailure("mailbox \(mailbox.name) uses the \(mailbox.provider.name) provider, which needs no login")
        }
        guard case .oauth(let clientID, _, let tokenFile) = settings.credentials else {
            throw LoginFailure("mailbox \(mailbox.name) acts through a service account, which needs no login; run `cadence config check --online` to test it")
        }
        let credentials: AccessTokenProvider.Credentials
        do { credentials = try access.credentials(for: mailbox, settings) } catch { throw LoginFailure(error.description) }
        guard case .oauth(_, let clientSecret, _) = credentials else { throw LoginFailure("unreachable") }
        let authorization = InstalledAppAuthorization(clientID: clientID, redirectURI: "", using: &random)
        do {
            return try await GoogleHTTP.with(settings.endpoints, logger: access.logger) { http in
                let expected = authorization.state
                let answer = try await LoopbackRedirectListener.receive(
                    timeout: Double(timeoutMinutes) * 60, sleeper: access.sleeper, logger: access.logger,
                    accepts: { query in query.contains { $0.0 == "state" && $0.1 == expected } }
                ) { redirect in
                    var shown = authorization
                    shown.redirectURI = redirect
                    await show(shown.url(authorizationURL: settings.endpoints.authorizationURL, loginHint: mailbox.address.description))
                }
                guard let answer else { throw LoginFailure(LoginError.timedOut(minutes: timeoutMinutes).description) }
                var used = authorization
                used.redirectURI = answer.redirectURI
                let code: Secret
                switch used.code(from: answer.query) {
                case .failure(let error): throw LoginFailure(error.description)
                case .success(let found): code = found.code
                }
                let endpoint = TokenEndpoint(http: http, endpoints: settings.endpoints, sleeper: access.sleeper, clock: access.clock)
                let grant: TokenEndpoint.Grant
                do throws(TokenEndpoint.Refusal) {
                    grant = try await endpoint.exchange(code: code, verifier: used.verifier, redirectURI: used.redirectURI, clientID: clientID, clientSecret: clientSecret)
                } catch {
                    throw LoginFailure("Google refused the code (\(error.code): \(error.description)); nothing was saved; run the command again")
                }
                guard let refreshToken = grant.refreshToken else {
                    throw LoginFailure("Google returned no refresh token; remove Cadence at https://myaccount.google.com/permissions and run the command again")
                }
                let scopes = grant.scopes ?? []
                let missing = GmailScope.missing(from: scopes)
                guard missing.isEmpty else {
                    try? await endpoint.revoke(refreshToken)
                    throw LoginFailure(LoginError.missingScopes(missing).description)
                }
                let profile: GmailClient.Profile
                do {
                    profile = try await GmailClient.profile(token: grant.accessToken, http: http, endpoints: settings.endpoints)
                } catch {
                    try? await endpoint.revoke(refreshToken)
                    throw LoginFailure("could not confirm the account with Gmail (\(error)); nothing was saved")
                }
                guard profile.emailAddress.lowercased() == mailbox.address.description.lowercased() else {
                    try? await endpoint.revoke(refreshToken)
                    throw LoginFailure(LoginError.wrongAccount(expected: mailbox.address.description, got: profile.emailAddress).description)
                }
                let now = access.clock.now
                var file = TokenFile(address: profile.emailAddress, scopes: scopes, refreshToken: refreshToken, authorizedAt: now)
                file.accessToken = grant.accessToken
                file.accessTokenExpires = now.addingTimeInterval(Double(grant.expiresIn))
                do throws(SecretError) { try file.write(tokenFile, to: access.store) } catch { throw LoginFailure(error.description) }
                access.logger.info("mailbox authorised", metadata: ["mailbox": .string(mailbox.name)])
                return Result(address: profile.emailAddress, scopes: scopes, tokenFile: tokenFile)
            }
        } catch let failure as LoginFailure {
            throw failure
        } catch {
            throw LoginFailure("\(error)")
        }
    }
}

/// Why `cadence auth` or `cadence config check` could not do what was asked, in words for the person at the terminal.
public struct LoginFailure: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
