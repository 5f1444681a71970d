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
        configuration: ProjectConfiguration, database: CadenceDatabase, store: SecretStore, http: GoogleHTTP, clock: any WallClock, logger: Logger
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
            authenticator: PushAuthenticator(token: token, oidc: push.oidc, keySet: keySet, clock: clock), database: database,
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

/// `cadence watch`: registers or stops each Gmail mailbox's push notifications.
public enum GmailWatchCommand {
    public struct Line: Sendable, Equatable {
        public var mailbox: String
        public var text: String
        public var failed: Bool
    }

    public static func start(_ configuration: ProjectConfiguration, gmail: GmailSender, database: CadenceDatabase, now: Date) async throws(StoreError) -> [Line] {
        guard let topic = configuration.push.topic else {
            return [Line(mailbox: "", text: "no \"push\".\"topic\" in cadence.json; add the Pub/Sub topic Gmail publishes to (see docs/gmail.md), or run with polling alone", failed: true)]
        }
        var lines: [Line] = []
        for (mailbox, _) in configuration.gmailMailboxes {
            do {
                let answer = try await gmail.watch(mailbox, topic: topic)
                let expires = answer.expiresAt ?? now.addingTimeInterval(7 * 86_400)
                try database.recordWatch(mailbox.name, topic: topic, expiresAt: expires, now: now)
                if try database.syncCheckpoint(mailbox.name) == nil, try database.firstSyncStart(mailbox.name) == nil, let start = answer.historyID {
                    // Nothing sent yet: start reading from where the watch starts.
                    try database.advanceCheckpoint(mailbox.name, to: start, now: now)
                }
                lines.append(Line(mailbox: mailbox.name, text: "\(mailbox.name) (\(mailbox.address)): watching, pushes to \(topic) until \(Timestamps.display(expires)); `cadence run` renews it daily", failed: false))
            } catch let error as StoreError {
                throw error
            } catch {
                lines.append(Line(mailbox: mailbox.name, text: "\(mailbox.name) (\(mailbox.address)): \(error)", failed: true))
            }
        }
        if lines.isEmpty { lines.append(Line(mailbox: "", text: "no mailbox uses the gmail provider; nothing to watch", failed: true)) }
        return lines
    }

    public static func stop(_ configuration: ProjectConfiguration, gmail: GmailSender, database: CadenceDatabase) async throws(StoreError) -> [Line] {
        var lines: [Line] = []
        for (mailbox, _) in configuration.gmailMailboxes {
            do {
                try await gmail.stopWatching(mailbox)
                try database.removeWatch(mailbox.name)
                lines.append(Line(mailbox: mailbox.name, text: "\(mailbox.name) (\(mailbox.address)): push notifications stopped; replies are still read by polling", failed: false))
            } catch let error as StoreError {
                throw error
            } catch {
                lines.append(Line(mailbox: mailbox.name, text: "\(mailbox.name) (\(mailbox.address)): \(error)", failed: true))
            }
        }
        return lines
    }
}
