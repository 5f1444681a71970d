import CadenceCore
import CadencePostgres
import CadenceStore
import Foundation

/// `cadence launch`: enrols a candidates file in a campaign, in one transaction, by the same rules for every row.
public enum Launcher {
    public struct Options: Sendable {
        public var candidatesPath: String
        /// When the launch happens (the event log's time).
        public var now: Date
        /// When the first step may go.
        public var start: Date
        public var dryRun: Bool
        public var strict: Bool
        public var allowConcurrent: Bool
        /// Who launched, for the event log.
        public var actor: String
        /// Called every 10,000 rows with the number read so far.
        public var progress: (@Sendable (Int) -> Void)?
        /// The launch's id, which its enrolments and counters carry (a new UUID unless a test gives one).
        public var launchID = UUID().uuidString

        public init(candidatesPath: String, now: Date, start: Date? = nil, dryRun: Bool = false, strict: Bool = false, allowConcurrent: Bool = false, actor: String) {
            self.candidatesPath = candidatesPath
            self.now = now
            self.start = start ?? now
            self.dryRun = dryRun
            self.strict = strict
            self.allowConcurrent = allowConcurrent
            self.actor = actor
        }
    }

    public enum Failure: Error, Equatable {
        /// Rows that cannot be read; nothing was written.
        case rows([Diagnostic], report: LaunchReport)
        /// `--strict` and some candidates lack data; nothing was written.
        case strict(LaunchReport)
        /// The campaign's files differ from the launched version.
        case changed(campaign: String, version: Int, differences: [String])
        case file([Diagnostic])
        case store(StoreError)
        /// An option that makes no sense (a start in the past or years ahead).
        case usage(String)
    }

    /// How far ahead a launch may be scheduled.
    public static let latestStart: TimeInterval = 366 * 86_400
    /// Rows placed per look-up of their people.
    static let batchSize = 2_000

    public static func launch(_ campaign: LoadedCampaign, database: CadenceDatabase, options: Options) throws(Failure) -> LaunchReport {
        let stored: StoredCampaign?
        let assigned: [String: Int]
        do {
            stored = try database.storedCampaign(campaign.definition.id)
            assigned = try database.enrollmentsInProgress()
        } catch { throw .store(error) }
        var plan = try LaunchPlacement(campaign, stored: stored, assigned: assigned, options: options)
        let file = plan.file
        // A row's missing fields and variants, worked out on the reading thread when every mailbox checks alike.
        var check: (@Sendable (Candidate) -> LaunchPlacement.Checked)?
        if let composer = plan.sharedChecks {
            check = { candidate in (composer.missingFields(for: candidate), composer.variants(for: candidate)) }
        }
        do {
            plan.report = try database.launch(
                plan.launchCampaign, actor: options.actor, now: options.now, allowConcurrent: options.allowConcurrent, launchID: options.launchID
            ) { session in
                // The file is read on a second thread, a batch ahead. A batch's people are looked up in one query
                // before its rows are placed (new people then go in many per statement).
                let reading = RowPrefetch(file, batchSize: batchSize, check: check)
                defer { reading.finish() }
                var rows = 0
                while let batch = try reading.next() {
                    let written = try session.prepare(batch.candidates)
                    for (index, row) in batch.rows.enumerated() {
                        rows += 1
                        if rows % 10_000 == 0 { options.progress?(rows) }
                        try plan.take(row, session, checked: batch.checked[index])
                    }
                    reading.recycle(batch.rows, written)
                }
                return (plan.report, plan.commits)
            }
        } catch {
            throw failure(error)
        }
        return try plan.finish()
    }

    /// The launch on whichever store `--db` names.
    public static func launch(_ campaign: LoadedCampaign, store: any CadenceStore, options: Options) async throws(Failure) -> LaunchReport {
        switch store {
        case let database as CadenceDatabase: return try launch(campaign, database: database, options: options)
        case let postgres as PostgresStore: return try await launch(campaign, postgres: postgres, options: options)
        default: throw .store(.other("this store cannot launch campaigns"))
        }
    }

    /// The same launch on PostgreSQL, in one transaction: rows are read a batch at a time, each batch's people
    /// looked up in one query and its new rows written with `COPY`.
    public static func launch(_ campaign: LoadedCampaign, postgres store: PostgresStore, options: Options) async throws(Failure) -> LaunchReport {
        let path = ProjectLocation.absolute(options.candidatesPath, base: campaign.location.displayBase)
        return try await retryingConflicts(rereadable: CandidateFile.isRegularFile(path)) { try await launchOnce(campaign, postgres: store, options: options) }
    }

    /// How many times a launch that lost a deadlock is tried in all.
    static let attempts = 3

    /// Runs `attempt` again when it lost a deadlock (it wrote nothing), from the first row, up to `attempts` times in
    /// all, when the file can be read again (not a pipe); otherwise says to launch again.
    static func retryingConflicts(rereadable: Bool, _ attempt: () async throws -> LaunchReport) async throws(Failure) -> LaunchReport {
        var tried = 0
        while true {
            tried += 1
            do {
                return try await attempt()
            } catch let conflict as PostgresStore.LaunchConflict {
                guard tried < attempts, rereadable else { throw .store(.other("\(conflict); launch again")) }
            } catch let failure as Failure {
                throw failure
            } catch {
                throw .store(.other("\(error)"))
            }
        }
    }

    /// One attempt; throws `Failure`, or `PostgresStore.LaunchConflict` for the caller to try again.
    private static func launchOnce(_ campaign: LoadedCampaign, postgres store: PostgresStore, options: Options) async throws -> LaunchReport {
        let stored: StoredCampaign?
        let assigned: [String: Int]
        do {
            stored = try await store.storedCampaign(campaign.definition.id)
            assigned = try await store.enrollmentsInProgress()
        } catch { throw Failure.store(error) }
        var plan = try LaunchPlacement(campaign, stored: stored, assigned: assigned, options: options)
        let file = plan.file
        let firstStep = campaign.definition.steps[0].id
        do {
            plan.report = try await store.launch(
                plan.launchCampaign, actor: options.actor, now: options.now, allowConcurrent: options.allowConcurrent, launchID: options.launchID,
                firstStep: firstStep
            ) { session in
                var rows = 0
                try await file.forEachBatch { batch in
                    try await session.prepare(batch.compactMap { if case .candidate(let candidate) = $0 { candidate } else { nil } })
                    for row in batch {
                        rows += 1
                        if rows % 10_000 == 0 { options.progress?(rows) }
                        try plan.take(row, session)
                    }
                    try await session.flush()
                }
                return (plan.report, plan.commits)
            }
        } catch let conflict as PostgresStore.LaunchConflict {
            throw conflict
        } catch {
            throw failure(error)
        }
        return try plan.finish()
    }

    private static func failure(_ error: any Error) -> Failure {
        switch error {
        case let error as CandidateFile.OpenError:
            guard case .problems(let diagnostics) = error else { return .file([]) }
            return .file(diagnostics)
        case let error as StoreError: return .store(error)
        default: return .store(.other("\(error)"))
        }
    }
}
