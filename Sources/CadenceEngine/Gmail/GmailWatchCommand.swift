import CadenceCore
import CadenceGmail
import CadenceStore
import Foundation

/// `cadence watch`: registers or stops each Gmail mailbox's push notifications.
public enum GmailWatchCommand {
    public struct Line: Sendable, Equatable {
        public var mailbox: String
        public var text: String
        public var failed: Bool
    }

    public static func start(_ configuration: ProjectConfiguration, gmail: GmailSender, store: any CadenceStore, now: Date) async throws(StoreError) -> [Line] {
        guard let topic = configuration.push.topic else {
            return [Line(mailbox: "", text: "no \"push\".\"topic\" in cadence.json; add the Pub/Sub topic Gmail publishes to (see docs/gmail.md), or run with polling alone", failed: true)]
        }
        var lines: [Line] = []
        for (mailbox, _) in configuration.gmailMailboxes {
            do {
                let answer = try await gmail.reader.watch(mailbox, topic: topic)
                let expires = answer.expiresAt ?? now.addingTimeInterval(7 * 86_400)
                try await store.recordWatch(mailbox.name, topic: topic, expiresAt: expires, now: now)
                if try await store.syncCheckpoint(mailbox.name) == nil, try await store.firstSyncStart(mailbox.name) == nil, let start = answer.historyID {
                    // Nothing sent yet: start reading from where the watch starts.
                    try await store.advanceCheckpoint(mailbox.name, to: start, now: now)
                }
                lines.append(
                    Line(
                        mailbox: mailbox.name, text: "\(mailbox.name) (\(mailbox.address)): watching, pushes to \(topic) until \(Timestamps.display(expires)); `cadence run` renews it daily",
                        failed: false))
            } catch let error as StoreError {
                throw error
            } catch {
                lines.append(Line(mailbox: mailbox.name, text: "\(mailbox.name) (\(mailbox.address)): \(error)", failed: true))
            }
        }
        if lines.isEmpty { lines.append(Line(mailbox: "", text: "no mailbox uses the gmail provider; nothing to watch", failed: true)) }
        return lines
    }

    public static func stop(_ configuration: ProjectConfiguration, gmail: GmailSender, store: any CadenceStore) async throws(StoreError) -> [Line] {
        var lines: [Line] = []
        for (mailbox, _) in configuration.gmailMailboxes {
            do {
                try await gmail.reader.stopWatching(mailbox)
                try await store.removeWatch(mailbox.name)
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
