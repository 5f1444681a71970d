import CadenceCore
import CadenceGmail
import CadenceServer
import CadenceStore
import Foundation
import Logging
import NIOHTTP1

/// Builds `cadence serve`'s push endpoint from `cadence.json`: the URL token read from its secret, Google's
/// keys fetched through Cadence's HTTP client (timeouts, no redirects), and the watched mailboxes' addresses.
public enum PushService {
    public static func endpoint(
        configuration: ProjectConfiguration, database: any CadenceStore, store: SecretStore, http: GoogleHTTP, clock: any WallClock, logger: Logger
    ) throws(SecretError) -> PushEndpoint? {
        let push = configuration.push
        guard push.isAuthenticated else { return nil }
        let token = try push.token.map { reference throws(SecretError) in Array(try store.text(reference, what: "the push URL token (\"push\".\"token\")").revealed.utf8) }
        let keySet = push.oidc.map { oidc in
            GoogleKeySet(clock: clock) {
                let response = try await http.perform(.GET, oidc.certsURL, label: "oidc.certs")
                guard response.status == 200 else { throw SecretError("Google's key set answered HTTP \(response.status)") }
                return (response.body, maxAge(response.header("Cache-Control")))
            }
        }
        let mailboxes = Dictionary(
            configuration.gmailMailboxes.map { ($0.0.address.description.lowercased(), $0.0.name) }, uniquingKeysWith: { first, _ in first })
        return PushEndpoint(
            authenticator: PushAuthenticator(token: token, oidc: push.oidc, keySet: keySet, clock: clock), store: database,
            mailboxes: mailboxes, clock: clock, logger: logger)
    }

    /// `max-age` of a Cache-Control header, in seconds.
    static func maxAge(_ header: String?) -> TimeInterval? {
        guard let header else { return nil }
        for part in header.split(separator: ",") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].lowercased() == "max-age", let seconds = Double(pair[1]) { return seconds }
        }
        return nil
    }
}
