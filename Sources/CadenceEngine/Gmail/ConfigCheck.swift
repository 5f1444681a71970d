import CadenceCore
import CadenceGmail
import Foundation

/// `cadence config check [--online]`: every mailbox's settings and secrets, and with `--online`, a real
/// `users.getProfile` per Gmail mailbox confirming the address and the scopes Cadence needs.
public enum ConfigCheck {
    public struct Line: Sendable, Equatable {
        public var mailbox: String
        public var ok: Bool
        public var text: String

        public init(mailbox: String, ok: Bool, text: String) {
            self.mailbox = mailbox
            self.ok = ok
            self.text = text
        }
    }

    public static func run(_ configuration: ProjectConfiguration, access: GmailAccess, online: Bool) async -> [Line] {
        var lines: [Line] = []
        for mailbox in configuration.mailboxes {
            switch mailbox.provider {
            case .outbox(let folder):
                lines.append(Line(mailbox: mailbox.name, ok: true, text: "outbox: writes .eml files to \(folder)/"))
            case .gmail(let settings):
                lines.append(await check(mailbox, settings, access: access, online: online))
            }
        }
        if let token = configuration.push.token {
            // `cadence serve` reads it at start; a missing variable or an open file mode should show up here first.
            do {
                let value = try access.store.text(token, what: "the push URL token (\"push\".\"token\")")
                lines.append(
                    Line(
                        mailbox: "push", ok: value.revealed.count >= 16,
                        text: value.revealed.count >= 16
                            ? "URL token readable (\(token))" : "the push URL token (\(token)) is shorter than 16 characters; make one with `openssl rand -hex 32`"))
            } catch {
                lines.append(Line(mailbox: "push", ok: false, text: error.description))
            }
        }
        return lines
    }

    private static func check(_ mailbox: Mailbox, _ settings: GmailSettings, access: GmailAccess, online: Bool) async -> Line {
        let name = mailbox.name
        do {
            _ = try access.credentials(for: mailbox, settings)
        } catch {
            return Line(mailbox: name, ok: false, text: error.description)
        }
        if case .oauth = settings.credentials, let status = AuthStatus.rows(ProjectConfiguration(mailboxes: [mailbox]), access: access).first, !status.healthy {
            return Line(mailbox: name, ok: false, text: status.state)
        }
        guard online else {
            return Line(mailbox: name, ok: true, text: "gmail (\(settings.credentials.kind)): credentials readable; add --online to ask Gmail")
        }
        do {
            return try await GoogleHTTP.with(settings.endpoints, logger: access.logger) { http in
                let tokens = try access.provider(for: mailbox, settings, http: http)
                let client = GmailClient(mailbox: name, http: http, tokens: tokens, endpoints: settings.endpoints)
                let profile: GmailClient.Profile
                do throws(GmailError) {
                    profile = try await client.profile()
                } catch {
                    if case .api(let failure) = error, failure.reason == "insufficientPermissions" {
                        let missing = GmailScope.missing(from: await tokens.grantedScopes)
                        return Line(
                            mailbox: name, ok: false,
                            text: "Gmail refused to read the profile: the grant lacks \(missing.isEmpty ? "a read scope" : missing.map(GmailScope.shortName).joined(separator: " and ")); "
                                + grantAdvice(mailbox, settings))
                    }
                    return Line(mailbox: name, ok: false, text: error.description)
                }
                let scopes = await tokens.grantedScopes
                guard profile.emailAddress.lowercased() == mailbox.address.description.lowercased() else {
                    return Line(mailbox: name, ok: false, text: "Gmail says this grant is for \(profile.emailAddress), not \(mailbox.address); " + grantAdvice(mailbox, settings))
                }
                let missing = GmailScope.missing(from: scopes)
                guard missing.isEmpty else {
                    return Line(
                        mailbox: name, ok: false,
                        text: "\(profile.emailAddress) is reachable but the grant lacks \(missing.map(GmailScope.shortName).joined(separator: " and ")); " + grantAdvice(mailbox, settings))
                }
                return Line(mailbox: name, ok: true, text: "\(profile.emailAddress) reachable; scopes \(scopes.map(GmailScope.shortName).joined(separator: " "))")
            }
        } catch let error as AuthError {
            return Line(mailbox: name, ok: false, text: error.description)
        } catch {
            return Line(mailbox: name, ok: false, text: "\(error)")
        }
    }

    static func grantAdvice(_ mailbox: Mailbox, _ settings: GmailSettings) -> String {
        switch settings.credentials {
        case .oauth: "run `cadence auth login \(mailbox.name)`, sign in as \(mailbox.address) and leave every box ticked"
        case .serviceAccount: "a Workspace super admin must grant the service account's client ID \(GmailScope.required.joined(separator: ",")) under Domain-wide delegation"
        }
    }
}
