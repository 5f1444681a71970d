import CadenceCore
import CadenceGmail
import Foundation

/// `cadence auth status`: each Gmail mailbox's address, credentials, scopes and token expiry, read from its token
/// file without calling Google. Token values are never shown.
public enum AuthStatus {
    public struct Row: Sendable, Equatable {
        public var mailbox: String
        public var address: String
        public var kind: String
        public var state: String
        public var scopes: String
        public var token: String
        /// Whether the mailbox can send as it is.
        public var healthy: Bool
    }

    public static func rows(_ configuration: ProjectConfiguration, access: GmailAccess) -> [Row] {
        let now = access.clock.now
        return configuration.gmailMailboxes.map { mailbox, settings in
            var row = Row(mailbox: mailbox.name, address: mailbox.address.description, kind: settings.credentials.kind, state: "", scopes: "-", token: "-", healthy: false)
            switch settings.credentials {
            case .serviceAccount(_, let actAs):
                do throws(AuthError) {
                    _ = try access.credentials(for: mailbox, settings)
                    row.state = "key readable; acts as \(actAs)"
                    row.scopes = GmailScope.required.map(GmailScope.shortName).joined(separator: " ")
                    row.token = "signed per use"
                    row.healthy = true
                } catch {
                    row.state = error.description
                }
            case .oauth(_, _, let path):
                do throws(AuthError) {
                    _ = try access.credentials(for: mailbox, settings)  // the client secret must be readable too
                } catch {
                    row.state = error.description
                    return row
                }
                guard FileManager.default.fileExists(atPath: access.store.path(path)) else {
                    row.state = "not authorised: run `cadence auth login \(mailbox.name)`"
                    return row
                }
                let file: TokenFile
                do throws(SecretError) { file = try TokenFile.read(path, from: access.store) } catch {
                    row.state = error.description
                    return row
                }
                row.scopes = file.scopes.map(GmailScope.shortName).joined(separator: " ")
                if let revoked = file.revoked {
                    row.state = "needs re-authorisation since \(Timestamps.display(revoked.at)) (\(revoked.reason)): run `cadence auth login \(mailbox.name)`"
                    return row
                }
                let missing = GmailScope.missing(from: file.scopes)
                if file.address.lowercased() != mailbox.address.description.lowercased() {
                    row.state = "token is for \(file.address), not \(mailbox.address): run `cadence auth login \(mailbox.name)`"
                } else if !missing.isEmpty {
                    row.state = "lacks \(missing.map(GmailScope.shortName).joined(separator: ", ")): run `cadence auth login \(mailbox.name)` and leave every box ticked"
                } else {
                    row.state = "authorised \(Timestamps.display(file.authorizedAt))"
                    row.healthy = true
                }
                if let expires = file.accessTokenExpires {
                    row.token = expires > now ? "access token until \(Timestamps.display(expires))" : "access token expired; refreshed on next use"
                } else {
                    row.token = "refreshed on next use"
                }
            }
            return row
        }
    }
}

extension AuthStatus {
    /// For the runner: why a Gmail mailbox cannot send (with the command that fixes it), or nil. Read from its
    /// files each time it is asked, so a `cadence auth login` in another terminal takes effect at once.
    public static func readiness(access: GmailAccess) -> @Sendable (Mailbox) -> String? {
        { mailbox in
            rows(ProjectConfiguration(mailboxes: [mailbox]), access: access).first.flatMap { $0.healthy ? nil : $0.state }
        }
    }
}

/// `cadence auth logout MAILBOX`: revoke the grant at Google, then delete the token file.
public enum AuthLogout {
    /// When Google cannot be reached to revoke, the token file is kept (it is the only way to revoke later) and
    /// this fails, unless `force` says to delete it anyway.
    public static func run(mailbox: Mailbox, access: GmailAccess, force: Bool = false) async throws(LoginFailure) -> String {
        guard case .gmail(let settings) = mailbox.provider, case .oauth(_, _, let path) = settings.credentials else {
            throw LoginFailure("mailbox \(mailbox.name) has no OAuth login to remove (it is not an OAuth Gmail mailbox)")
        }
        let full = access.store.path(path)
        guard FileManager.default.fileExists(atPath: full) else {
            return "Mailbox \(mailbox.name) was not logged in (no \(path)); nothing to do."
        }
        let file: TokenFile
        do throws(SecretError) { file = try TokenFile.read(path, from: access.store) } catch { throw LoginFailure(error.description) }
        var problem: String?
        do {
            try await GoogleHTTP.with(settings.endpoints, logger: access.logger) { http in
                let endpoint = TokenEndpoint(http: http, endpoints: settings.endpoints, sleeper: access.sleeper, clock: access.clock)
                do throws(TokenEndpoint.Refusal) {
                    try await endpoint.revoke(file.refreshToken)
                } catch {
                    problem = "\(error.code): \(error.description)"
                }
            }
        } catch {
            problem = "\(error)"
        }
        if let problem, !force {
            throw LoginFailure(
                "could not revoke the grant of \(file.address) at Google (\(problem)); \(path) is kept so you can try again later, or run `cadence auth logout \(mailbox.name) --force` to delete it anyway and remove Cadence at https://myaccount.google.com/permissions"
            )
        }
        do { try FileManager.default.removeItem(atPath: full) } catch { throw LoginFailure("cannot delete \(path): \(error.localizedDescription)") }
        try? FileManager.default.removeItem(atPath: full + ".lock")
        if problem != nil {
            return "Could not revoke at Google; deleted \(path) anyway (--force). Remove Cadence at https://myaccount.google.com/permissions."
        }
        return "Revoked Cadence's access to \(file.address) at Google, and deleted \(path)."
    }
}
