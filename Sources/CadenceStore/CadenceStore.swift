import CadenceCore
import Foundation

/// What a runner needs to claim a due step, send it exactly once and record what became of it, under the runner
/// lease: the part of the store every backend implements first, since nothing may be sent without it.
///
/// Each method is one transaction that keeps an invariant (a step is sent at most once; a runner that lost the
/// lease can record nothing), so an implementation may not split them. The SQLite store (`CadenceDatabase`) and the
/// PostgreSQL store (`PostgresStore`) pass the same contract tests.
public protocol SendingStore: Sendable {
    // MARK: Claiming and sending

    /// The active enrolments due by `now`, oldest first, at most `limit`; only from `mailboxes` when given (the
    /// ones this runner holds).
    func dueSteps(now: Date, limit: Int, mailboxes: [String]?) async throws(StoreError) -> [DueStep]
    /// Records the intent to send `bytes` for `step` (re-checking the enrolment, the suppression list and the
    /// campaign's own `limits`, which span runners), stamped with the lease's `fence`; refused with `.leaseLost`
    /// once another runner holds the lease.
    func recordIntent(
        _ step: DueStep, key: SendKey, bytes: [UInt8], links: [String], trackingKeyID: UInt8?, historyCursor: String?, limits: CampaignLimits,
        fence: Int64, now: Date
    ) async throws(StoreError) -> IntentOutcome
    /// The provider has the message: mark it sent, count it in the ledger and move the enrolment on to `next`.
    func recordSent(_ recordID: Int64, sent: SentMessage, next: EnrollmentState, recipientDomain: String, fence: Int64, now: Date) async throws(StoreError)
    /// The send may or may not have gone out: kept for reconciliation before any retry.
    func recordOutcomeUnknown(_ recordID: Int64, reason: String, fence: Int64) async throws(StoreError)
    /// Certainly not sent: the intent is forgotten and the step is due again at `retryAt`.
    func discardIntent(_ recordID: Int64, retryAt: Date, reason: String, fence: Int64, now: Date) async throws(StoreError)
    /// Refused for good: the record fails and the enrolment is held for a person.
    func recordRejected(_ recordID: Int64, reason: String, fence: Int64, now: Date) async throws(StoreError)
    /// Intents and unknown outcomes: what reconciliation asks the provider about.
    func unfinishedSends() async throws(StoreError) -> [PendingSend]
    /// Before a resend of recorded bytes: whether the enrolment still wants them; stamps the record with `fence`.
    func beginResend(_ recordID: Int64, fence: Int64, now: Date) async throws(StoreError) -> ResendDecision
    /// A lookup that found nothing, counted.
    func recordLookupMiss(_ recordID: Int64, fence: Int64, now: Date) async throws(StoreError)
    /// The mailbox's latest history position learned from a send.
    func latestHistoryID(mailbox: String) async throws(StoreError) -> String?
    /// The messages sent to an enrolment, oldest first.
    func sentRecords(enrollment: Int64) async throws(StoreError) -> [SentRecord]
    /// The provider's Message-ID for a sent record, learned after the send.
    func setStoredMessageID(_ recordID: Int64, _ messageID: String) async throws(StoreError)
    /// Moves a due step to `time`, with the reason `status` shows.
    func postpone(_ enrollmentID: Int64, step: String, until time: Date, reason: String, now: Date) async throws(StoreError)
    /// Holds an active enrolment at `step` for a person to fix.
    func hold(_ enrollmentID: Int64, step: String, reason: HoldReason, now: Date) async throws(StoreError)
    /// The provider stopped `mailbox` from sending until `until`.
    func pauseMailbox(_ mailbox: String, until: Date, reason: String) async throws(StoreError)
    /// The pause on `mailbox` still in force at `now`, if any.
    func mailboxPause(_ mailbox: String, now: Date) async throws(StoreError) -> (until: Date, reason: String)?
    /// Send times from the ledger since `since`, oldest first: for a mailbox, a campaign, or a campaign and domain.
    func sendTimes(mailbox: String?, campaign: String?, domain: String?, since: Date) async throws(StoreError) -> [Date]

    // MARK: The runner lease

    /// Takes or renews the one runner lease.
    func acquireLease(owner: String, now: Date, seconds: TimeInterval) async throws(StoreError) -> LeaseAnswer
    /// Takes the lease from `previous`, known to be gone; nil when it changed hands meanwhile.
    func takeOverLease(from previous: String, owner: String, now: Date, seconds: TimeInterval) async throws(StoreError) -> RunnerLease?
    /// Ends `owner`'s lease at once; the fence stays.
    func releaseLease(owner: String) async throws(StoreError)
    /// The lease as it stands.
    func currentLease() async throws(StoreError) -> RunnerLease?

    // MARK: Mailbox leases

    /// Takes or renews `owner`'s share of `mailboxes` for `seconds`: the mailboxes whose steps it sends and whose
    /// mail it reads, each with the fence every write about it carries. A store that one runner holds whole (a
    /// SQLite file) gives every mailbox under its one lease; a store several runners share gives each a fair share,
    /// hands back what is over it when another runner joins, and takes expired ones. `callBound` is the longest a
    /// provider call may last, with a margin for clocks that disagree: an earlier holder's sends in doubt are
    /// reconciled only once its calls must be over.
    func shareMailboxes(owner: String, mailboxes: [String], now: Date, seconds: TimeInterval, callBound: TimeInterval) async throws(StoreError) -> MailboxShare
    /// Ends `owner`'s mailbox leases at once (a clean stop), so other runners need not wait for them to run out.
    func releaseMailboxes(owner: String) async throws(StoreError)
}

/// What the runner, reply watching and the push endpoint need from Cadence's memory, and nothing more.
///
/// Every method is `async`: the PostgreSQL store (postgres-nio has no synchronous API) must fit behind the same
/// protocol and pass the same behaviour tests as `CadenceDatabase`, the SQLite store.
///
/// Commands that only read or steer from the command line (`status`, `stats`, `show`, pause, resume, tasks,
/// suppression) still call `CadenceDatabase`'s synchronous API directly; a launch goes through `LaunchEnrolling`.
public protocol CadenceStore: SendingStore {
    // MARK: The runner's other reads

    /// Opens a task for every due task step; returns how many it opened.
    func openDueTasks(actor: String, now: Date) async throws(StoreError) -> Int
    /// The campaign with its current version's files, or nil if it was never launched.
    func storedCampaign(_ id: String) async throws(StoreError) -> StoredCampaign?
    /// The people in progress and the last day's sends, for `status --forecast`, from one read.
    func forecastSnapshot(now: Date) async throws(StoreError) -> ForecastSnapshot

    // MARK: Incoming mail

    /// The mailbox's processed history position, if it has one.
    func syncCheckpoint(_ mailbox: String) async throws(StoreError) -> String?
    /// Where the first sync of a mailbox starts: the position before its first send.
    func firstSyncStart(_ mailbox: String) async throws(StoreError) -> String?
    /// Moves the mailbox's position forward (never back). A runner gives the fence of its lease on the mailbox, and
    /// the move is refused with `.leaseLost` once another runner holds it; nil for a command outside any runner
    /// (`cadence watch` setting the first position).
    func advanceCheckpoint(_ mailbox: String, to historyID: String, fence: Int64?, now: Date) async throws(StoreError)
    /// A mailbox's expired history position was replaced by a read of its recent mail.
    func recordResync(_ mailbox: String, now: Date) async throws(StoreError)
    /// Records an incoming message once and carries out what `policy` decides it does.
    func applyIncoming(_ message: IncomingMessage, policy: IncomingPolicy, now: Date) async throws(StoreError) -> IncomingOutcome
    /// The bytes of the last messages Cadence sent the person an incoming message would be matched to (by thread,
    /// Message-ID, then address, as `applyIncoming` matches), newest first; empty when it matches nobody.
    func sentToMatch(mailbox: String, thread: String?, messageIDs: [String], addresses: [String]) async throws(StoreError) -> [[UInt8]]
    /// Who an incoming message would be matched to (by Message-ID, then address, as `applyIncoming` matches),
    /// without recording anything: for `cadence classify`.
    func personMatching(messageIDs: [String], addresses: [String]) async throws(StoreError) -> (address: String, campaign: String)?
    /// The send a tracking token names, or nil.
    func trackedSend(trackingID: String) async throws(StoreError) -> TrackedSend?
    /// Whether the send `trackingID` belonged to a person erased with `forget`.
    func isErased(trackingID: String) async throws(StoreError) -> Bool
    /// How many sends' tracking ids `forget` has erased: it changes when someone is erased, so a server that keeps
    /// click targets in memory knows to drop them.
    func erasedTrackingCount() async throws(StoreError) -> Int
    /// The send a click token names and where its link goes, in one read.
    func clickTarget(trackingID: String, link: Int) async throws(StoreError) -> (send: TrackedSend, url: String?)?
    /// Records a batch of pixel fetches and clicks in one transaction.
    func recordTrackingEvents(_ events: [TrackingEventRecord]) async throws(StoreError)
    /// The one-click unsubscribe of the send `trackingID`, committed before it returns.
    func unsubscribe(trackingID: String, reason: String?, policy: IncomingPolicy, now: Date) async throws(StoreError) -> LinkUnsubscribeOutcome
    /// The unsubscribe of a link whose key was rotated out: only for a send signed with `keyID`, and on the page
    /// only for the address it was sent to.
    func unsubscribeRotated(
        trackingID: String, keyID: UInt8, address: EmailAddress?, reason: String?, policy: IncomingPolicy, now: Date
    ) async throws(StoreError) -> LinkUnsubscribeOutcome
    /// The incoming messages recorded for `mailbox`, in the order they were processed.
    func recordedIncoming(mailbox: String) async throws(StoreError) -> [RecordedIncoming]
    /// People back from out of office resume; returns how many.
    func resumeReturned(now: Date) async throws(StoreError) -> Int
    /// Permanent bounces and sends of a campaign, for its hard-bounce rate.
    func bounceCounts(campaign: String) async throws(StoreError) -> (bounced: Int, sent: Int)
    /// Pauses the selected in-progress enrolments (a campaign whose bounce rate is too high).
    func pause(_ selection: EnrollmentSelection, note: String?, actor: String, now: Date) async throws(StoreError) -> Int
    /// Resumes paused enrolments where they were (a person named by hand is released from a hold too); a whole
    /// campaign is marked active again. Returns how many changed.
    func resume(_ selection: EnrollmentSelection, note: String?, actor: String, now: Date) async throws(StoreError) -> Int
    /// Stops the selected in-progress enrolments for good (a whole campaign is closed to launches too).
    func stop(_ selection: EnrollmentSelection, reason: StopReason, actor: String, now: Date) async throws(StoreError) -> Int

    // MARK: Push notifications and watches

    /// Queues a push for the runner, once per Pub/Sub messageId, unless its position is already processed.
    func enqueuePush(messageID: String, mailbox: String, historyID: String, now: Date) async throws(StoreError) -> PushOutcome
    /// Mailboxes with pushes waiting, and the newest queued row of each.
    func queuedPushes() async throws(StoreError) -> [(mailbox: String, upTo: Int64)]
    /// The pushes of `mailbox` up to `upTo` are answered.
    func markPushesHandled(mailbox: String, upTo: Int64, now: Date) async throws(StoreError)
    /// When the mailbox was last read, and the newest push waiting for it.
    func freshness(_ mailbox: String) async throws(StoreError) -> (syncedAt: Date?, queuedUpTo: Int64?)
    /// Every `users.watch` registration.
    func watchRegistrations() async throws(StoreError) -> [WatchRegistration]
    /// Records (or renews) a mailbox's watch.
    func recordWatch(_ mailbox: String, topic: String, expiresAt: Date, now: Date) async throws(StoreError)
    /// Forgets a mailbox's watch.
    func removeWatch(_ mailbox: String) async throws(StoreError)
    // MARK: Erasure

    /// Erases a person (an erasure request): their candidate, enrolments, events, tasks and sends, their tracked
    /// links, opens and clicks, the snippets of what they sent back; only a hash of the address stays, on the
    /// suppression list. What the storage itself keeps afterwards differs by backend (`Erasure.storage`).
    func forget(addressKey: String, actor: String, now: Date) async throws(StoreError) -> Erasure

    /// Word that `enqueuePush` queued something, where the store can give it as it happens; nil where the queue
    /// must be read to know (a SQLite file: the runner reads it four times a second, which costs nothing there).
    var pushWakeups: PushWakeups? { get }

    // MARK: What `cadence status` shows

    /// Each campaign's enrolments by step, state and reason, and its sends in doubt (one campaign, or all).
    func status(campaign: String?, now: Date) async throws(StoreError) -> [CampaignStatus]
    /// How fresh a Gmail mailbox's reply watching is: its position, last read, pushes waiting, its watch.
    func syncState(_ mailbox: String) async throws(StoreError) -> MailboxSyncState

    // MARK: The suppression list

    /// Adds entries (address keys, domains, hashes); existing entries keep their first reason. Returns how many
    /// were new.
    func suppress(_ entries: [(kind: Suppression.Kind, value: String)], reason: String, actor: String, now: Date) async throws(StoreError) -> Int
    /// Removes an entry; false if there was none.
    func unsuppress(kind: Suppression.Kind, value: String) async throws(StoreError) -> Bool
    /// The whole list, by kind and value (bytewise).
    func suppressions() async throws(StoreError) -> [Suppression]

    // MARK: Tasks

    /// Opens the tasks now due, then lists the open ones (of one campaign, or all).
    func openTasks(campaign: String?, actor: String, now: Date) async throws(StoreError) -> [OpenTask]
    /// Marks a task done and moves its person to the next step (or, for a hot lead, leaves the sequence where it
    /// was); returns their new state.
    func completeTask(_ id: Int64, note: String?, actor: String, now: Date) async throws(StoreError) -> EnrollmentState

    // MARK: What `stats`, `show` and `report` read

    /// Per step and variant, from the counters (a cohort is recounted from the facts); laid out by `StatsLayout`.
    func stats(_ query: StatsQuery, now: Date) async throws(StoreError) -> [CampaignStats]
    /// Replies by weekday and hour in each person's zone: 7 × 24 counts, Monday 00:00 first.
    func replyHeatmap(campaign: String) async throws(StoreError) -> [Int]
    /// Messages each mailbox sent since `since`, in every campaign.
    func mailboxSends(since: Date) async throws(StoreError) -> [String: Int]
    /// One person across campaigns, with every event; nil when nobody has the address.
    func candidate(_ addressKey: String) async throws(StoreError) -> CandidateDetail?
    /// The open tasks, without opening the ones now due (a report only reads).
    func listOpenTasks(campaign: String?) async throws(StoreError) -> [OpenTask]

    // MARK: Changing what was launched

    /// Labels the person's latest reply (in `campaign`, or in the one campaign they replied in).
    func label(addressKey: String, campaign: String?, as label: ReplyLabel, actor: String, now: Date) async throws(StoreError) -> LabelledReply
    /// Records a new version of a launched campaign in place of version `replacing` (the one `decide` was made
    /// against); `decide` gives each in-progress enrolment its state under it (nil keeps it). One transaction;
    /// returns the version and how many enrolments changed.
    func update(
        _ campaign: CadenceDatabase.LaunchCampaign, replacing version: Int, actor: String, now: Date,
        decide: @escaping @Sendable (UpdatableEnrollment) -> (state: EnrollmentState, variants: [String: String])?
    ) async throws(StoreError) -> (version: Int, changed: Int)

    // MARK: Metrics

    /// Replaces what runner `owner` last reported of its own metrics (Prometheus text).
    func publishMetrics(owner: String, exposition: String, now: Date) async throws(StoreError)
    /// What a metrics endpoint shows of the whole fleet: who holds which mailbox, what waits, and each runner's
    /// report.
    func fleetSnapshot(now: Date) async throws(StoreError) -> FleetSnapshot
}

extension SendingStore {
    /// The due steps of every mailbox.
    public func dueSteps(now: Date, limit: Int) async throws(StoreError) -> [DueStep] {
        try await dueSteps(now: now, limit: limit, mailboxes: nil)
    }

    /// A new intent with no known history position.
    public func recordIntent(_ step: DueStep, key: SendKey, bytes: [UInt8], fence: Int64, now: Date) async throws(StoreError) -> IntentOutcome {
        try await recordIntent(step, key: key, bytes: bytes, links: [], trackingKeyID: nil, historyCursor: nil, limits: CampaignLimits(), fence: fence, now: now)
    }

    /// An intent under no campaign-wide limit.
    public func recordIntent(
        _ step: DueStep, key: SendKey, bytes: [UInt8], links: [String], trackingKeyID: UInt8?, historyCursor: String?, fence: Int64, now: Date
    ) async throws(StoreError) -> IntentOutcome {
        try await recordIntent(
            step, key: key, bytes: bytes, links: links, trackingKeyID: trackingKeyID, historyCursor: historyCursor, limits: CampaignLimits(), fence: fence, now: now)
    }

    /// A mailbox's send times since `since`.
    public func sendTimes(mailbox: String, since: Date) async throws(StoreError) -> [Date] {
        try await sendTimes(mailbox: mailbox, campaign: nil, domain: nil, since: since)
    }

    /// A campaign's send times since `since`, to one domain or all.
    public func sendTimes(campaign: String, domain: String? = nil, since: Date) async throws(StoreError) -> [Date] {
        try await sendTimes(mailbox: nil, campaign: campaign, domain: domain, since: since)
    }
}

extension CadenceStore {
    /// Moves the mailbox's position forward, outside any runner.
    public func advanceCheckpoint(_ mailbox: String, to historyID: String, now: Date) async throws(StoreError) {
        try await advanceCheckpoint(mailbox, to: historyID, fence: nil, now: now)
    }

    /// Applies `message` under the default policy.
    public func applyIncoming(_ message: IncomingMessage, now: Date) async throws(StoreError) -> IncomingOutcome {
        try await applyIncoming(message, policy: IncomingPolicy(), now: now)
    }
}
