import CadenceCore
import CadenceStore
import Foundation
import Logging

/// The Pub/Sub push endpoint's logic: authenticate, decode, queue durably, answer. It never reads Gmail — the
/// runner alone syncs a mailbox — so it answers within milliseconds, well inside Pub/Sub's ack deadline, and a
/// burst of pushes costs no Gmail quota.
public struct PushEndpoint: Sendable {
    let authenticator: PushAuthenticator
    /// Queues the push; only the runner reads Gmail.
    let store: any CadenceStore
    /// Watched mailbox addresses (lower-cased) to their names in `cadence.json`.
    let mailboxes: [String: String]
    let clock: any WallClock
    let logger: Logger

    public init(authenticator: PushAuthenticator, store: any CadenceStore, mailboxes: [String: String], clock: any WallClock, logger: Logger) {
        self.authenticator = authenticator
        self.store = store
        self.mailboxes = mailboxes
        self.clock = clock
        self.logger = logger
    }

    public struct Answer: Sendable, Equatable {
        public var status: Int
        /// A short plain-text explanation; never a secret.
        public var text: String
    }

    /// What happened to one push. Anything but 2xx changed nothing.
    public func handle(queryToken: String?, authorization: String?, body: [UInt8]) async -> Answer {
        if case .failure(let rejection) = await authenticator.authenticate(queryToken: queryToken, authorization: authorization) {
            logger.warning("push rejected", metadata: ["why": .string(rejection.description)])
            return Answer(status: rejection.status, text: rejection.description)
        }
        let envelope: PushEnvelope
        switch PushEnvelope.decode(body) {
        case .success(let decoded): envelope = decoded
        case .failure(let rejection):
            logger.warning("push rejected", metadata: ["why": .string(rejection.description)])
            return Answer(status: rejection.status, text: rejection.description)
        }
        guard let mailbox = mailboxes[envelope.emailAddress.lowercased()] else {
            // Acknowledged, or Pub/Sub would retry it for a week: it is for a mailbox this project does not watch.
            logger.notice("push for a mailbox not in cadence.json ignored", metadata: ["address": .string(envelope.emailAddress)])
            return Answer(status: 204, text: "")
        }
        do {
            let outcome = try await store.enqueuePush(messageID: envelope.messageID, mailbox: mailbox, historyID: envelope.historyID, now: clock.now)
            logger.info("push", metadata: ["mailbox": .string(mailbox), "historyId": .string(envelope.historyID), "outcome": .string("\(outcome)")])
            return Answer(status: 204, text: "")
        } catch {
            // Not acknowledged: Pub/Sub delivers it again later.
            logger.error("push could not be queued", metadata: ["error": .string(error.description)])
            return Answer(status: 503, text: "the push could not be queued; Pub/Sub will retry")
        }
    }
}
