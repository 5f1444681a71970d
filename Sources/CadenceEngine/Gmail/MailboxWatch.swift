import CadenceCore
import CadenceGmail
import CadenceStore
import Foundation

/// Reply watching by polling (issue 9, first part): each Gmail mailbox's new messages since its stored history
/// position are fetched, read and applied (what each does to enrolments is `IncomingPolicy`'s decision) and only
/// then does the position move forward, so a crash re-reads instead of skipping (each message is applied once; the
/// store remembers it). A message that cannot be fetched keeps the position where it is; one that cannot be parsed
/// is still applied, as `unparsed`.
public struct MailboxWatch: Sendable {
    let reader: any MailboxReader
    let store: any CadenceStore
    /// The out-of-office default, the bounce-rate pause and the resync window (`"replies"` in cadence.json).
    let settings: ReplySettings
    /// A runner's fence on each mailbox, which goes with the mailbox's checkpoint: once another runner holds the
    /// mailbox, this one's read of it records nothing more. Nil for a command outside any runner.
    public var fence: (@Sendable (String) async throws(StoreError) -> Int64?)?

    public init(gmail: GmailSender, store: any CadenceStore, settings: ReplySettings = ReplySettings()) {
        self.init(reader: gmail.reader, store: store, settings: settings)
    }

    public init(reader: any MailboxReader, store: any CadenceStore, settings: ReplySettings = ReplySettings()) {
        self.reader = reader
        self.store = store
        self.settings = settings
    }

    public struct Result: Sendable, Equatable {
        public var processed = 0
        public var stopped = 0
        public var resynced = false
        public var failures: [String] = []
    }

    /// One sync of every Gmail mailbox in `configuration`. A mailbox that cannot be read is reported and left at
    /// its position; the others go on.
    public func sync(_ configuration: ProjectConfiguration, now: Date) async throws(StoreError) -> Result {
        var result = Result()
        _ = try await store.resumeReturned(now: now)
        let gmail = configuration.gmailMailboxes
        guard !gmail.isEmpty else { return result }
        // Pushes already queued are answered by this read too: no second read of the same mailbox right after.
        let queued = Dictionary(try await store.queuedPushes().map { ($0.mailbox, $0.upTo) }, uniquingKeysWith: max)
        for (mailbox, _) in gmail {
            try await read(mailbox, now: now, answering: queued[mailbox.name], into: &result)
        }
        return result
    }

    /// One read of `mailbox`, added to `result`; then the pushes queued up to `upTo` are answered. A mailbox that
    /// cannot be read is reported and keeps its position and its pushes; only the store's errors stop everything.
    private func read(
        _ mailbox: Mailbox, now: Date, readAt: Date? = nil, answering upTo: Int64?, into result: inout Result
    ) async throws(StoreError) {
        do {
            let (processed, stopped, resynced) = try await sync(mailbox, now: now, readAt: readAt)
            result.processed += processed
            result.stopped += stopped
            result.resynced = result.resynced || resynced
            if let upTo { try await store.markPushesHandled(mailbox: mailbox.name, upTo: upTo, now: now) }
        } catch StoreError.leaseLost {
            // Another runner holds the mailbox now: it reads it from here on. Not a failure of this mailbox.
        } catch let error as StoreError {
            throw error
        } catch {
            result.failures.append("mailbox \(mailbox.name): \(error)")
        }
    }

    func pauseIfBouncing(_ campaign: String, now: Date) async throws {
        let (bounced, sent) = try await store.bounceCounts(campaign: campaign)
        guard sent >= settings.bounceMinimumSends, 100 * Double(bounced) / Double(sent) > settings.bouncePercent else { return }
        guard try await store.storedCampaign(campaign)?.paused == false else { return }
        let rate = String(format: "%.1f", 100 * Double(bounced) / Double(sent))
        _ = try await store.pause(
            .campaign(campaign), note: "hard-bounce rate \(rate) % (\(bounced) of \(sent) sends) is above \(settings.bouncePercent.formatted()) %; check the list before resuming",
            actor: "runner", now: now)
    }

    /// `readAt` is when the read happened (the machine's time), for the staleness check before a send; `now` is the
    /// pass's time, for events.
    func sync(_ mailbox: Mailbox, now: Date, readAt: Date? = nil) async throws -> (processed: Int, stopped: Int, resynced: Bool) {
        // The first sync starts where the mailbox stood before Cadence's first send from it, so replies to
        // anything Cadence sent before watching began are still read.
        var checkpoint = try await store.syncCheckpoint(mailbox.name)
        if checkpoint == nil { checkpoint = try await store.firstSyncStart(mailbox.name) }
        let changes = try await reader.changes(in: mailbox, since: checkpoint, resyncDays: settings.resyncDays)
        var processed = 0, stopped = 0
        var unfetched: [String] = []
        let policy = IncomingPolicy(settings)
        let own = AddressKey.normalized(mailbox.address)
        for (id, threadID) in changes.messages {
            // Gone since it arrived (404): nothing to read. A message that cannot be fetched now keeps the position
            // before it (it is read again next time), but the messages after it are still applied.
            let fetched: FetchedMessage?
            do {
                fetched = try await reader.fetch(id, in: mailbox)
            } catch {
                unfetched.append("message \(id): \(error)")
                continue
            }
            guard let fetched else { continue }
            let received = fetched.receivedAt ?? now
            // Reading never fails: bytes that do not parse are `unparsed` and still stop the person they belong to.
            var mail = IncomingMail.read(fetched.raw, receivedAt: received)
            if !mail.from.isEmpty, AddressKey.normalized(text: mail.from) == own { continue }  // the rep's own mail
            // Read again without the lines Cadence sent this person, when the reply carries them along unquoted.
            // Not for a bounce: its verdict comes from the report, and the returned copy is the campaign's text.
            if case .bounce = mail.incomingClass {
            } else {
                let sent = try await store.sentToMatch(
                    mailbox: mailbox.name, thread: fetched.threadID ?? threadID, messageIDs: mail.references, addresses: mail.addresses)
                let ownLines = FreshText.ownLines(ofSent: sent)
                if !ownLines.isEmpty { mail = IncomingMail.read(fetched.raw, receivedAt: received, ownLines: ownLines) }
            }
            let message = IncomingMessage(
                mailbox: mailbox.name, providerMessageID: id, providerThreadID: fetched.threadID ?? threadID, from: mail.from, references: mail.references,
                addresses: mail.addresses, incomingClass: mail.incomingClass, rule: mail.rule, snippet: mail.snippet, receivedAt: received)
            let outcome = try await store.applyIncoming(message, policy: policy, now: now)
            if case .applied(_, let campaign, let count, _, _) = outcome {
                stopped += count
                if case .bounce(true, _, _) = mail.incomingClass { try await pauseIfBouncing(campaign, now: now) }
            }
            processed += 1
        }
        guard unfetched.isEmpty else {
            throw MailboxReadFailure("\(unfetched.count) new message(s) could not be fetched (\(unfetched[0])); read again at the next sync")
        }
        var held: Int64?
        if let fence {
            // This runner no longer holds the mailbox: what it applied stands (each message once), the position is
            // the new holder's to move.
            guard let current = try await fence(mailbox.name) else { throw StoreError.leaseLost }
            held = current
        }
        try await store.advanceCheckpoint(mailbox.name, to: changes.position, fence: held, now: readAt ?? now)
        if changes.resynced { try await store.recordResync(mailbox.name, now: now) }
        return (processed, stopped, changes.resynced)
    }

    /// Syncs the mailboxes that pushes were queued for (by `cadence serve`), then marks those pushes answered.
    /// A push that arrives during the sync stays queued for the next call.
    public func syncQueued(_ configuration: ProjectConfiguration, only: Set<String>? = nil, now: Date) async throws(StoreError) -> Result {
        var result = Result()
        let queued = try await store.queuedPushes()
        guard !queued.isEmpty else { return result }
        for (name, upTo) in queued {
            guard let mailbox = configuration.mailbox(named: name), case .gmail = mailbox.provider else {
                try await store.markPushesHandled(mailbox: name, upTo: upTo, now: now)  // no longer in cadence.json
                continue
            }
            // Another runner's mailbox (runners sharing a database): its pushes wait for it.
            if let only, !only.contains(name) { continue }
            try await read(mailbox, now: now, answering: upTo, into: &result)
        }
        return result
    }

    /// Before a send from `mailbox`: syncs it when it has pushes waiting or was last read longer ago than
    /// `maxSyncAge`, so no email goes out after a reply Gmail already holds. When it cannot be read, the result's
    /// `failures` say why, and the send must wait: a reply may be the very thing that cannot be read.
    public func syncIfStale(_ mailbox: Mailbox, at current: Date, now: Date) async throws(StoreError) -> Result {
        var result = Result()
        // Called before every send: one small read of the store, and Gmail only when needed.
        let (syncedAt, queued) = try await store.freshness(mailbox.name)
        let fresh = syncedAt.map { current.timeIntervalSince($0) <= Double(settings.maxSyncAgeSeconds) } ?? false
        guard !fresh || queued != nil else { return result }
        try await read(mailbox, now: now, readAt: current, answering: queued, into: &result)
        return result
    }

    /// Gmail stops pushing after 7 days unless `users.watch` is called again; Google advises daily. Renews every
    /// registration (made by `cadence watch`) last renewed a day or more before `now`.
    public func renewWatches(_ configuration: ProjectConfiguration, now: Date) async throws(StoreError) -> [String] {
        var failures: [String] = []
        for registration in try await store.watchRegistrations() where now.timeIntervalSince(registration.renewedAt) >= 86_400 {
            guard let mailbox = configuration.mailbox(named: registration.mailbox), case .gmail = mailbox.provider else { continue }
            let topic = configuration.push.topic ?? registration.topic
            do {
                let answer = try await reader.watch(mailbox, topic: topic)
                try await store.recordWatch(mailbox.name, topic: topic, expiresAt: answer.expiresAt ?? now.addingTimeInterval(7 * 86_400), now: now)
            } catch {
                // Tried again in an hour, not every pass: each attempt costs 100 quota units.
                try await store.recordWatch(mailbox.name, topic: registration.topic, expiresAt: registration.expiresAt, now: now.addingTimeInterval(-86_400 + 3_600))
                failures.append("mailbox \(mailbox.name): renewing the Gmail watch failed (tried again in an hour): \(error)")
            }
        }
        return failures
    }
}
