import CadenceCore
import CadenceGmail
import Foundation
import Logging

/// Everything needed to reach Gmail for one project run: the secrets store, the clock, the sleeper and the logger,
/// turning a configured mailbox into a token provider and an API client.
public struct GmailAccess: Sendable {
    public let store: SecretStore
    public let clock: any WallClock
    public let sleeper: any Sleeper
    public let logger: Logger

    public init(store: SecretStore, clock: any WallClock, sleeper: any Sleeper, logger: Logger) {
        self.store = store
        self.clock = clock
        self.sleeper = sleeper
        self.logger = logger
    }

    /// The credentials of `settings`, read and checked now (secrets exist, are private, and parse).
    public func credentials(for mailbox: Mailbox, _ settings: GmailSettings) throws(AuthError) -> AccessTokenProvider.Credentials {
        do {
            switch settings.credentials {
            case .oauth(let clientID, let reference, let tokenFile):
                return .oauth(clientID: clientID, clientSecret: try store.clientSecret(reference), tokenFile: tokenFile)
            case .serviceAccount(let reference, let actAs):
                let bytes: [UInt8]
                switch reference {
                case .file(let path): bytes = try store.privateFile(path, what: "the service account key of mailbox \(mailbox.name)")
                case .environment: bytes = Array(try store.text(reference, what: "the service account key of mailbox \(mailbox.name)").revealed.utf8)
                }
                return .serviceAccount(try ServiceAccountKey(json: bytes, what: "the service account key of mailbox \(mailbox.name) (\(reference))"), actAs: actAs.description)
            }
        } catch {
            throw AuthError.secret(error.description)
        }
    }

    public func provider(for mailbox: Mailbox, _ settings: GmailSettings, http: GoogleHTTP) throws(AuthError) -> AccessTokenProvider {
        AccessTokenProvider(
            mailbox: mailbox.name, credentials: try credentials(for: mailbox, settings),
            endpoint: TokenEndpoint(http: http, endpoints: settings.endpoints, sleeper: sleeper, clock: clock), store: store, clock: clock, logger: logger)
    }
}

extension ProjectConfiguration {
    /// The Gmail mailboxes with their settings, in file order.
    public var gmailMailboxes: [(Mailbox, GmailSettings)] {
        mailboxes.compactMap { mailbox in
            if case .gmail(let settings) = mailbox.provider { (mailbox, settings) } else { nil }
        }
    }
}
