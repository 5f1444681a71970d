import CadenceCore
import CadenceStore
import Foundation

/// One pass of `cadence run`: reconcile sends whose outcome is unknown, open due tasks, then claim due steps and
/// send each within its window and every limit, exactly once.
///
/// Per step: render → record the intent with the exact bytes (one transaction that re-checks the enrolment and the
/// suppression list) → hand the bytes to the provider → record the outcome and schedule the next step. A crash at
/// any point leaves either no intent (nothing happened) or an intent that the next pass reconciles by asking the
/// provider whether that send id went out (see docs/exactly-once.md).
public struct Runner: Sendable {
    public struct Report: Sendable, Equatable {
        public var reconciled = 0
        public var sent = 0
        public var deferred = 0
        public var held = 0
        public var skipped = 0
        public var unknown = 0
        public var tasksOpened = 0
        /// Incoming messages processed by reply watching, and enrolments they stopped.
        public var incoming = 0
        public var stoppedByIncoming = 0
        /// Mailboxes that could not be read or whose watch could not be renewed (each tried again later).
        public var watchProblems: [String] = []
        /// Another runner holds the database now: this pass stopped, and this runner must stop too.
        public var leaseLost = false
        /// A stop was asked for (SIGTERM): the pass ended after the send in flight.
        public var stoppedEarly = false

        public init() {}

        public var text: String {
            "Sent \(sent); reconciled \(reconciled); deferred \(deferred) (window or limits); held \(held); skipped \(skipped); outcome unknown \(unknown); tasks opened \(tasksOpened)."
                + (incoming > 0 ? " Incoming \(incoming), stopping \(stoppedByIncoming)." : "")
                + watchProblems.map { " Watching: \($0)." }.joined()
                + (stoppedEarly ? " Stopped after the send in flight, as asked; the rest waits for the next run." : "")
                + (leaseLost ? " Another runner took this database over; this one stopped." : "")
        }

        mutating func add(_ synced: MailboxWatch.Result) {
            incoming += synced.processed
            stoppedByIncoming += synced.stopped
            watchProblems += synced.failures
        }
    }

    let store: any CadenceStore
    let configuration: ProjectConfiguration
    let sender: any MailSender
    /// At most this many due steps per pass.
    let batch: Int
    /// Why a Gmail mailbox cannot send now (not authorised, needs re-authorisation), or nil: its steps wait with
    /// that reason and the command that fixes it, while every other mailbox goes on.
    let gmailReadiness: @Sendable (Mailbox) -> String?
    /// This runner's hold on its mailboxes (the whole database, on SQLite).
    public let lease: LeaseKeeper
    /// Asked before everything done for a mailbox (reading it, confirming or sending from it): the lease to work
    /// under (its fence goes with every write of the send, its end bounds every provider call), or nil when
    /// another runner holds the mailbox now (on SQLite: has taken the database over, and this pass must stop).
    public var leaseCheck: @Sendable (_ mailbox: String) async throws(StoreError) -> RunnerLease?
    /// Asked between steps: true once the runner should stop (SIGTERM). The send in flight finishes and is
    /// recorded first.
    public var shouldStop: @Sendable () -> Bool = { false }
    /// Reads the Gmail mailboxes for replies before anything is sent, so no email goes out after a reply Cadence
    /// could already have seen (and the send transaction re-checks the enrolment).
    public var watch: MailboxWatch?
    /// The machine's time, for how long ago a mailbox was read before a send (a pass's `now` stands still while
    /// Gmail's pacing can stretch the pass over minutes). Nil: the pass's `now`.
    public var clock: (any WallClock)?
    /// Where this runner counts its work for the metrics endpoint; nil counts nothing.
    public var metrics: RunnerMetrics?
    /// A Gmail mailbox's quota budget so far (units spent, seconds waited), for the metrics; nil where no mailbox
    /// sends through Gmail.
    public var quotaUse: (@Sendable (_ mailbox: String) async -> (spent: Int, waited: Double)?)?
    /// Fixes each send's jitter (see `SendAdmission`).
    let seed: UInt64
    /// The keys that sign tracking links, read from the secrets `tracking` names; nil when cadence.json has no
    /// `tracking` section, and then mail is not rewritten.
    public var tracking: TrackingKeys?
    private var campaigns: [String: SnapshotCampaign] = [:]
    /// Each mailbox's latest known history position, read once and then kept up to date from sends.
    private var historyCursors: [String: String?] = [:]
    /// Each Gmail mailbox's readiness, read once per pass (it reads files), not once per due step.
    private var readiness: [String: String?] = [:]

    public init(
        store: any CadenceStore, configuration: ProjectConfiguration, sender: any MailSender, batch: Int = 100, seed: UInt64, lease: LeaseKeeper,
        gmailReadiness: @escaping @Sendable (Mailbox) -> String? = { _ in nil }
    ) {
        self.gmailReadiness = gmailReadiness
        self.lease = lease
        self.leaseCheck = { (mailbox: String) async throws(StoreError) -> RunnerLease? in try await lease.current(for: mailbox) }
        self.store = store
        self.configuration = configuration
        self.sender = sender
        self.batch = batch
        self.seed = seed
    }

    public mutating func runOnce(now: Date) async throws(StoreError) -> Report {
        var report = Report()
        do {
            try await pass(now: now, report: &report)
        } catch {
            guard case .leaseLost = error else { throw error }
            report.leaseLost = true
        }
        return report
    }

    private mutating func pass(now: Date, report: inout Report) async throws(StoreError) {
        // A runner that lost the database does nothing at all: no mailbox read, no checkpoint, no lookup miss. One
        // that shares it works on the mailboxes it holds, and only on them.
        guard let share = try await lease.share() else { throw .leaseLost }
        metrics?.holding(share.whole != nil ? configuration.mailboxes.count : share.leases.count)
        guard let within = share.whole ?? share.leases.values.min(by: { $0.expiresAt < $1.expiresAt }) else { return }
        readiness = [:]
        if let watch {
            let mine = share.only.map { only in configuration.keeping(mailboxes: Set(only)) } ?? configuration
            let (synced, renewals) = try await reading(under: within) { () async throws(StoreError) in
                (try await watch.sync(mine, now: now), try await watch.renewWatches(mine, now: now))
            }
            report.add(synced)
            report.watchProblems += renewals
        }
        report.tasksOpened = try await store.openDueTasks(actor: "runner", now: now)
        for pending in try await store.unfinishedSends() {
            let known = configuration.mailbox(named: pending.mailbox) != nil
            // A mailbox cadence.json no longer names, where runners share the database: nobody holds it, so nobody
            // may record for it; it stays in doubt until it is added back (`status` on a SQLite file says why).
            if !known, !share.exclusive {
                report.unknown += 1
                continue
            }
            // Another runner's mailbox: its sends in doubt are that runner's to confirm.
            guard share.lease(for: pending.mailbox) != nil || !known else { continue }
            // Taken from a runner that may still have been calling Gmail: confirmed once its calls must be over.
            guard share.mayReconcile(pending.mailbox, at: now) || !known else {
                report.unknown += 1
                continue
            }
            if shouldStop() { report.stoppedEarly = true; return }
            try await forMailbox(pending.mailbox) { () async throws(StoreError) in try await reconcile(pending, now: now, report: &report) }
        }
        let claimStarted = ContinuousClock.now
        let due = try await store.dueSteps(now: now, limit: batch, mailboxes: share.only)
        metrics?.claimed(in: ContinuousClock.now - claimStarted)
        for step in due {
            if shouldStop() { report.stoppedEarly = true; return }
            try await forMailbox(step.mailbox) { () async throws(StoreError) in try await process(step, now: now, report: &report) }
        }
    }

    /// Work for one mailbox: if another runner took the mailbox meanwhile, this runner leaves it and goes on with
    /// the others; if it took the whole database (SQLite), the pass stops.
    private func forMailbox(_ mailbox: String, _ body: () async throws(StoreError) -> Void) async throws(StoreError) {
        do {
            try await body()
        } catch {
            guard case .leaseLost = error, !lease.lost(mailbox) else { throw error }
        }
    }

    /// The lease to work on `mailbox` under now, or `.leaseLost`.
    private func held(_ mailbox: String) async throws(StoreError) -> RunnerLease {
        guard let lease = try await leaseCheck(mailbox) else { throw .leaseLost }
        return lease
    }

    /// A provider call bounded by `lease`: no attempt, and no wait before one, may still be going on when another
    /// runner could take the database over.
    private func bounded<T: Sendable>(by lease: RunnerLease, _ call: () async throws(SendFailure) -> T) async throws(SendFailure) -> T {
        do {
            return try await CallDeadline.$current.withValue(self.lease.deadline(lease)) { try await call() }
        } catch let failure as SendFailure {
            throw failure
        } catch {
            throw .outcomeUnknown(reason: "\(error)")
        }
    }

    /// Before a send or a resend from a Gmail mailbox: a reply that landed since the mailbox was last read must
    /// stop it. Read it first if pushes wait or the last read is older than `maxSyncAge`; the send's transaction
    /// then re-checks the enrolment. Returns why the mailbox could not be read, when it could not: then nothing
    /// may be sent from it, since the unread message may be this person's reply.
    private func readBeforeSending(_ mailbox: Mailbox, now: Date, report: inout Report) async throws(StoreError) -> String? {
        guard let watch, case .gmail = mailbox.provider else { return nil }
        let at = clock?.now ?? now
        let read = try await reading(under: try await held(mailbox.name)) { () async throws(StoreError) in
            try await watch.syncIfStale(mailbox, at: at, now: now)
        }
        report.add(read)
        return read.failures.first
    }

    /// Between passes: syncs the mailboxes `cadence serve` queued pushes for, so a reply stops its enrolment
    /// within a second of the push, not at the next pass.
    public func handlePushes(now: Date) async throws(StoreError) -> Report {
        var report = Report()
        guard let watch, let share = try await lease.share(),
            let within = share.whole ?? share.leases.values.min(by: { $0.expiresAt < $1.expiresAt })
        else { return report }
        // Only the mailboxes this runner holds: another runner's pushes wait for it.
        let configuration = configuration, only = share.only.map(Set.init)
        report.add(try await reading(under: within) { () async throws(StoreError) in try await watch.syncQueued(configuration, only: only, now: now) })
        return report
    }

    /// Reading mailboxes under the lease's deadline too: a 429 storm while reading must not keep this runner busy
    /// past the moment another may take over (a read that runs out of time is a failure, read again later).
    private func reading<T: Sendable>(under lease: RunnerLease, _ body: () async throws(StoreError) -> T) async throws(StoreError) -> T {
        do {
            return try await CallDeadline.$current.withValue(self.lease.deadline(lease)) { try await body() }
        } catch let error as StoreError {
            throw error
        } catch {
            throw .other("\(error)")
        }
    }

    /// A send recorded before a crash or with an unknown outcome: adopt it if the provider has it, else send the
    /// recorded bytes (the same Message-ID and send id) now.
    private mutating func reconcile(_ pending: PendingSend, now: Date, report: inout Report) async throws(StoreError) {
        // A send that cannot be confirmed now stays in doubt, with the reason `status` shows; never dropped silently.
        guard let mailbox = configuration.mailbox(named: pending.mailbox) else {
            let fence = try await held(pending.mailbox).fence
            let reason = "cannot be confirmed: mailbox \(pending.mailbox) is no longer in cadence.json; add it back so Cadence can ask it whether the message went out"
            try await store.recordOutcomeUnknown(pending.recordID, reason: reason, fence: fence)
            report.unknown += 1
            return
        }
        let lease = try await held(pending.mailbox)
        guard let campaign = try await campaign(pending.campaignID) else {
            let reason = "cannot be confirmed: campaign \(pending.campaignID) has no stored snapshot; run `cadence validate`, then `cadence update \(pending.campaignID)`"
            try await store.recordOutcomeUnknown(pending.recordID, reason: reason, fence: lease.fence)
            report.unknown += 1
            return
        }
        let request = SendRequest(
            bytes: pending.bytes, key: pending.key, threadID: try await threadID(for: pending.stepID, enrollment: pending.enrollmentID, in: campaign),
            recipient: pending.recipient, recordedAt: pending.createdAt, historyCursor: pending.historyCursor)
        let found: SentMessage?
        do {
            found = try await bounded(by: lease) { () async throws(SendFailure) in try await sender.lookUp(request, in: mailbox) }
        } catch {
            report.unknown += 1  // the provider cannot be asked: stay in doubt, try again next pass
            return
        }
        let next = NextStep.after(pending.stepID, in: campaign.definition, candidateZone: pending.timeZone, at: now)
        if var found {
            // A provider that cannot say when it took the message: the intent is the closest time known, and dating
            // it at this confirmation would give the replies that came back meanwhile to the step before. The next
            // step waits its delay from then too (the store keeps the date between the intent and now).
            let sentAt = min(max(found.sentAt ?? pending.createdAt, pending.createdAt), now)
            found.sentAt = sentAt
            let next = NextStep.after(pending.stepID, in: campaign.definition, candidateZone: pending.timeZone, at: sentAt)
            try await store.recordSent(pending.recordID, sent: found, next: next, recipientDomain: pending.recipientDomain, fence: lease.fence, now: now)
            report.reconciled += 1
            metrics?.send("confirmed", mailbox: mailbox.name)
            return
        }
        // Not found. Where the provider's search can lag behind its sends, trust that only after a second look
        // at least `recheckDelay` after the first.
        let delay = sender.recheckDelay(for: mailbox)
        if delay > 0 {
            // On the machine's clock: a pass's `now` stands still while a slow pass goes on, and the second look must
            // really come `delay` after the first.
            let lookedAt = clock?.now ?? now
            let settled = pending.lookupMisses > 0 && pending.lookedUpAt.map { lookedAt.timeIntervalSince($0) >= delay } == true
            if !settled {
                if pending.lookupMisses == 0 { try await store.recordLookupMiss(pending.recordID, fence: lease.fence, now: lookedAt) }
                report.unknown += 1
                return
            }
        }
        // Certainly not sent: resend the recorded bytes, but only if the enrolment still wants them (no reply,
        // unsubscribe or stop meanwhile), the address is not suppressed, the mailbox is not paused, and the
        // window is open. The miss count starts over, so the resend's own outcome gets two looks too.
        if try await store.mailboxPause(mailbox.name, now: now) != nil {
            report.unknown += 1
            return
        }
        if let opening = SendSchedule(campaign: campaign.definition, candidateZone: pending.timeZone).nextOpening(atOrAfter: now), opening > now {
            report.unknown += 1
            return
        }
        // Like every new send: a reply that arrived since the mailbox was last read stops the resend.
        let resending = try await held(pending.mailbox)
        if try await readBeforeSending(mailbox, now: now, report: &report) != nil {
            report.unknown += 1  // stays in doubt; the resend waits until the mailbox can be read
            return
        }
        switch try await store.beginResend(pending.recordID, fence: resending.fence, now: now) {
        case .abandoned:
            report.skipped += 1
            return
        case .resend:
            break
        }
        try await deliver(
            pending.recordID, request: request, mailbox: mailbox, next: next, domain: pending.recipientDomain, lease: resending, now: now, report: &report)
    }

    /// The provider's thread a step continues: for a reply, the thread its first email started; nil otherwise.
    private func threadID(for stepID: String, enrollment: Int64, in campaign: SnapshotCampaign) async throws(StoreError) -> String? {
        guard let step = campaign.definition.steps.first(where: { $0.id == stepID }), case .reply(let reply) = step.kind else { return nil }
        return try await store.sentRecords(enrollment: enrollment).first { $0.stepID == reply.inThreadOf }?.providerThreadID
    }

    /// A reply's In-Reply-To and References point at the Message-IDs the provider actually stored (Gmail may
    /// replace ours), or nil when one is not known yet and cannot be learned now (the step waits a little).
    private func threadHeaders(_ message: OutgoingMessage, enrollment: Int64, mailbox: Mailbox) async throws(StoreError) -> OutgoingMessage? {
        guard !message.references.isEmpty else { return message }
        let sent = Dictionary(try await store.sentRecords(enrollment: enrollment).map { ($0.rfcMessageID, $0) }, uniquingKeysWith: { first, _ in first })
        var references: [String] = []
        for ours in message.references {
            guard let record = sent[ours] else { references.append(ours); continue }
            var stored = record.storedMessageID
            if stored == nil, let providerID = record.providerMessageID {
                do {
                    stored = try await sender.storedMessageID(of: providerID, in: mailbox)
                } catch {
                    return nil
                }
                if let stored { try await store.setStoredMessageID(record.recordID, stored) }
            }
            references.append(stored.map(Self.unbracketed) ?? ours)
        }
        var updated = message
        updated.references = references
        updated.inReplyTo = references.last
        return updated
    }

    static func unbracketed(_ id: String) -> String {
        var text = id.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("<") { text.removeFirst() }
        if text.hasSuffix(">") { text.removeLast() }
        return text
    }

    private mutating func process(_ step: DueStep, now: Date, report: inout Report) async throws(StoreError) {
        // Every step that cannot go now is postponed or held with its reason (which `status` shows): a step left
        // due would stay at the front of the queue and, a batch of them, block every step behind.
        guard var campaign = try await campaign(step.campaignID) else {
            try await store.postpone(
                step.enrollmentID, step: step.stepID, until: now.addingTimeInterval(3_600),
                reason: "campaign \(step.campaignID) has no stored snapshot; run `cadence validate`, then `cadence update \(step.campaignID)`", now: now)
            report.deferred += 1
            metrics?.deferred(.configuration)
            return
        }
        guard let mailbox = configuration.mailbox(named: step.mailbox) else {
            try await store.postpone(
                step.enrollmentID, step: step.stepID, until: now.addingTimeInterval(3_600),
                reason: "mailbox \(step.mailbox) is no longer in cadence.json; add it back to send from it", now: now)
            report.deferred += 1
            metrics?.deferred(.configuration)
            return
        }
        guard case .success(let address) = EmailAddress.parse(step.address) else {
            try await store.hold(step.enrollmentID, step: step.stepID, reason: .unsendable("\(step.address) is not an address Cadence can send to"), now: now)
            report.held += 1
            return
        }
        let definition = campaign.definition
        let sendID = SendIdentity(campaignID: definition.id, stepID: step.stepID, address: address).sendID
        // Core's one rule for what stands between a due step and its send; `explain` answers with the same.
        var conditions = try await gateConditions(
            campaign: definition, candidateZone: step.timeZone, mailbox: mailbox, domain: address.domain, sendID: sendID, now: now)
        var hold = SendGate.decide(conditions, now: now)
        if hold == nil || hold?.rule == .limits {
            // The limits are the last rule: read the sends they count only for a step that got this far (a closed
            // window or a paused mailbox defers most due steps, and the answer is the same without them).
            conditions.ledger = try await Self.ledger(store, mailbox: mailbox, campaign: definition, domain: address.domain, now: now)
            hold = SendGate.decide(conditions, now: now)
        }
        if let hold, let until = hold.holdsUntil {
            try await store.postpone(step.enrollmentID, step: step.stepID, until: until, reason: hold.reason, now: now)
            report.deferred += 1
            metrics?.deferred(RunnerMetrics.Deferral(hold.rule))
            return
        }
        let candidate = Candidate(line: 0, email: address, fields: step.fields, timeZone: step.timeZone)
        let plan = tracking.flatMap { keys in configuration.tracking?.plan(campaign: campaign.definition, mailbox: mailbox.name, keys: keys) }
        guard let composed = campaign.composer(for: mailbox, tracking: plan).compose(candidate, date: now, only: step.stepID).first else {
            try await store.hold(
                step.enrollmentID, step: step.stepID, reason: .unsendable("step \(step.stepID) is not in the campaign's stored snapshot; run `cadence update \(step.campaignID)`"),
                now: now)
            report.held += 1
            return
        }
        var message: OutgoingMessage
        switch composed.outcome {
        case .email(let built): message = built
        case .held(let missing):
            try await store.hold(step.enrollmentID, step: step.stepID, reason: .missingFields(missing), now: now)
            report.held += 1
            return
        case .task:
            // Tasks are opened at the start of a pass, for active campaigns; this one waits for that.
            try await store.postpone(step.enrollmentID, step: step.stepID, until: now.addingTimeInterval(3_600), reason: "a task step waits to be opened", now: now)
            report.deferred += 1
            metrics?.deferred(.taskPending)
            return
        }
        guard let threaded = try await threadHeaders(message, enrollment: step.enrollmentID, mailbox: mailbox) else {
            try await store.postpone(
                step.enrollmentID, step: step.stepID, until: now.addingTimeInterval(300), reason: "waiting to learn the Message-ID the provider stored for this thread's earlier email", now: now)
            report.deferred += 1
            metrics?.deferred(.threadPending)
            return
        }
        message = threaded
        let bytes = MIMEWriter.write(message)
        let key = SendKey(sendID: sendID, messageID: message.messageID)
        let thread = try await threadID(for: step.stepID, enrollment: step.enrollmentID, in: campaign)
        let lease = try await held(step.mailbox)
        if let problem = try await readBeforeSending(mailbox, now: now, report: &report) {
            try await store.postpone(
                step.enrollmentID, step: step.stepID, until: now.addingTimeInterval(300),
                reason: "\(problem.hasPrefix("mailbox ") ? "" : "mailbox \(mailbox.name): ")\(problem) (it could not be read for replies, so nothing is sent from it until it can be)", now: now)
            report.deferred += 1
            metrics?.deferred(.mailboxUnreadable)
            return
        }
        var cursor: String?
        if let known = historyCursors[mailbox.name] {
            cursor = known
        } else {
            cursor = try await store.latestHistoryID(mailbox: mailbox.name)
        }
        if cursor == nil {
            // No send read back yet: ask the provider where the mailbox's history stands now, before this send. Not
            // known is fine (a lookup then searches instead); out of time means the send waits for the next pass.
            do {
                cursor = try await bounded(by: lease) { () async throws(SendFailure) in try await sender.historyPosition(of: mailbox) }
            } catch {
                if case .deadlineReached(let reason) = error {
                    try await store.postpone(step.enrollmentID, step: step.stepID, until: now, reason: "not sent: \(reason)", now: now)
                    report.deferred += 1
                    metrics?.deferred(.deadline)
                    return
                }
            }
        }
        historyCursors[mailbox.name] = cursor
        switch try await store.recordIntent(
            step, key: key, bytes: bytes, links: composed.links, trackingKeyID: composed.trackingKeyID, historyCursor: cursor, limits: definition.limits,
            fence: lease.fence, now: now)
        {
        case .deferred(let until, let reason):
            // Another runner took the campaign's last place meanwhile (its send is in flight): wait with the reason.
            try await store.postpone(step.enrollmentID, step: step.stepID, until: until, reason: reason, now: now)
            report.deferred += 1
            metrics?.deferred(.limits)
        case .skipped(let reason):
            // Still due here only while an earlier send of this step is being confirmed: look again in a minute.
            try await store.postpone(step.enrollmentID, step: step.stepID, until: now.addingTimeInterval(60), reason: reason, now: now)
            report.skipped += 1
        case .recorded(let recordID):
            let next = NextStep.after(step.stepID, in: campaign.definition, candidateZone: step.timeZone, at: now)
            let request = SendRequest(bytes: bytes, key: key, threadID: thread, recipient: step.address, recordedAt: now, historyCursor: cursor)
            try await deliver(recordID, request: request, mailbox: mailbox, next: next, domain: address.domain, lease: lease, now: now, report: &report)
        }
        campaigns[step.campaignID] = campaign
    }

    private mutating func deliver(
        _ recordID: Int64, request: SendRequest, mailbox: Mailbox, next: EnrollmentState, domain: String, lease: RunnerLease, now: Date, report: inout Report
    ) async throws(StoreError) {
        let result: Result<SentMessage, SendFailure>
        do {
            result = .success(try await bounded(by: lease) { () async throws(SendFailure) in try await sender.send(request, from: mailbox) })
        } catch {
            result = .failure(error)
        }
        let fence = lease.fence
        switch result {
        case .success(let sent):
            try await store.recordSent(recordID, sent: sent, next: next, recipientDomain: domain, fence: fence, now: now)
            if let position = sent.historyID { historyCursors[mailbox.name] = .some(position) }
            report.sent += 1
            metrics?.send("sent", mailbox: mailbox.name)
        case .failure(let failure):
            switch failure {
            case .outcomeUnknown(let reason):
                try await store.recordOutcomeUnknown(recordID, reason: reason, fence: fence)
                report.unknown += 1
                metrics?.send("unknown", mailbox: mailbox.name)
            case .notSent(let reason):
                try await store.discardIntent(recordID, retryAt: now.addingTimeInterval(300), reason: "not sent, retrying in 5 minutes: \(reason)", fence: fence, now: now)
                report.deferred += 1
                metrics?.deferred(.notSent)
            case .deadlineReached(let reason):
                // Nothing that could send was started. If the lease moved on meanwhile this write is refused and
                // the intent is the new holder's to confirm; otherwise the step is due again at the next pass.
                try await store.discardIntent(recordID, retryAt: now, reason: "not sent: \(reason); trying again at the next pass", fence: fence, now: now)
                report.deferred += 1
                metrics?.deferred(.deadline)
            case .rateLimited(let seconds):
                try await store.discardIntent(recordID, retryAt: now.addingTimeInterval(Double(seconds ?? 60)), reason: "the provider asked to slow down", fence: fence, now: now)
                report.deferred += 1
                metrics?.deferred(.rateLimited)
                metrics?.providerWait(mailbox: mailbox.name, seconds: Double(seconds ?? 60))
            case .authRevoked:
                try await store.discardIntent(
                    recordID, retryAt: now.addingTimeInterval(3600), reason: "mailbox \(mailbox.name) needs re-authorisation: run `cadence auth login \(mailbox.name)`", fence: fence, now: now)
                report.deferred += 1
                metrics?.deferred(.authorisation)
            case .mailboxPaused(let until, let reason):
                // Nothing failed: the mailbox rests until Gmail's retry time, and every one of its steps waits.
                try await store.pauseMailbox(mailbox.name, until: until, reason: reason)
                try await store.discardIntent(recordID, retryAt: until, reason: "mailbox \(mailbox.name) is paused until \(Timestamps.display(until)): \(reason)", fence: fence, now: now)
                report.deferred += 1
                metrics?.deferred(.mailboxPaused)
                metrics?.providerWait(mailbox: mailbox.name, seconds: until.timeIntervalSince(now))
            case .rejected(let reason):
                try await store.recordRejected(recordID, reason: reason, fence: fence, now: now)
                report.held += 1
                metrics?.send("rejected", mailbox: mailbox.name)
            }
        }
    }

    /// What the send gate needs to know about a due step's send now: the mailbox's readiness (read once per pass)
    /// and pause. The ledger is left empty: the caller reads it only when the earlier rules let the step through.
    private mutating func gateConditions(
        campaign: SequenceDefinition, candidateZone: String?, mailbox: Mailbox, domain: String, sendID: String, now: Date
    ) async throws(StoreError) -> SendGate.Conditions {
        var problem: String?
        if case .gmail = mailbox.provider {
            if readiness[mailbox.name] == nil { readiness[mailbox.name] = .some(gmailReadiness(mailbox)) }
            problem = readiness[mailbox.name] ?? nil
        }
        return SendGate.Conditions(
            campaign: campaign, candidateZone: candidateZone, mailbox: mailbox, mailboxProblem: problem,
            mailboxPause: try await store.mailboxPause(mailbox.name, now: now), ledger: SendAdmission.Ledger(mailbox: []), domain: domain, sendID: sendID, seed: seed)
    }

    /// The sends that count against a send at `now`: the mailbox's, the campaign's and the domain's last 24 hours.
    static func ledger(_ store: any CadenceStore, mailbox: Mailbox, campaign: SequenceDefinition, domain: String, now: Date) async throws(StoreError)
        -> SendAdmission.Ledger
    {
        let day = now.addingTimeInterval(-86_400)
        return SendAdmission.Ledger(
            mailbox: try await store.sendTimes(mailbox: mailbox.name, since: day),
            campaign: campaign.limits.dailyCap == nil ? [] : try await store.sendTimes(campaign: campaign.id, since: day),
            domain: campaign.limits.perDomainDailyCap == nil ? [] : try await store.sendTimes(campaign: campaign.id, domain: domain, since: day))
    }

    private mutating func campaign(_ id: String) async throws(StoreError) -> SnapshotCampaign? {
        if let cached = campaigns[id] { return cached }
        guard let stored = try await store.storedCampaign(id), let campaign = SnapshotCampaign(stored) else { return nil }
        campaigns[id] = campaign
        return campaign
    }
}
