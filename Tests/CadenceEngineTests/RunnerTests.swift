import CadenceCore
import CadenceEngine
import CadenceGmail
import CadenceStore
import Foundation
import Logging
import Synchronization
import Testing

/// A provider that writes through the outbox but can be told to fail, and counts every call it gets.
final class ScriptedSender: MailSender {
    let outbox: OutboxFolderSender
    let calls = Mutex<[String]>([])
    let failNext = Mutex<SendFailure?>(nil)
    /// The next send reaches the outbox, then the call fails with an unknown outcome (a timeout after the provider
    /// took the message).
    let acceptThenLoseNext = Mutex(false)

    init(root: String) { outbox = OutboxFolderSender(root: root) }

    func send(_ request: SendRequest, from mailbox: Mailbox) async throws(SendFailure) -> SentMessage {
        calls.withLock { $0.append(request.key.sendID) }
        if let failure = failNext.withLock({ value -> SendFailure? in
            defer { value = nil }; return value
        }) {
            throw failure
        }
        let sent = try await outbox.send(request, from: mailbox)
        if acceptThenLoseNext.withLock({ value in
            defer { value = false }; return value
        }) {
            throw .outcomeUnknown(reason: "timed out after the provider took it")
        }
        return sent
    }

    func lookUp(_ request: SendRequest, in mailbox: Mailbox) async throws(SendFailure) -> SentMessage? {
        try await outbox.lookUp(request, in: mailbox)
    }
}

@Suite("The runner: windows, limits, exactly once")
struct RunnerTests {
    static let files: [String: String?] = [
        "cadence.json": """
        { "mailboxes": [ { "name": "sam", "address": "sam@example.com", "displayName": "Sam", "timeZone": "UTC",
                           "limits": { "dailyCap": 100, "hourlyCap": 3, "minimumGap": "1s" } } ] }
        """,
        "sequences/q1.json": """
        { "id": "q1", "name": "Q1", "mailboxes": ["sam"], "timeZone": "UTC",
          "steps": [ { "id": "intro", "type": "email", "template": "intro.md" },
                     { "id": "bump", "type": "reply", "delay": "1d", "inThreadOf": "intro", "template": "bump.md" } ] }
        """,
        "templates/intro.md": "Subject: Hello <<candidate.firstName>>\n\nHi <<candidate.firstName>>, see [this](<<candidate.link | \"https://example.com\">>).\n",
        "templates/bump.md": "Bumping.\n",
        "people.csv": "email,firstName,link\nana@example.org,Ana,\nbo@example.org,Bo,\ncy@example.org,Cy,javascript:alert(1)\ndee@example.org,Dee,\n",
    ]
    /// Tuesday 2026-12-01 10:00 UTC, inside office hours.
    static let tuesday = Date(timeIntervalSince1970: 1_796_119_200)

    struct Setup {
        var project: TemporaryProject
        var database: CadenceDatabase
        var configuration: ProjectConfiguration
        var sender: ScriptedSender
        var lease: LeaseKeeper

        func runner(seed: UInt64 = 7) -> Runner {
            Runner(store: database, configuration: configuration, sender: sender, seed: seed, lease: lease)
        }

        /// The fence of the runner's lease, for intents recorded by hand.
        func fence() async throws -> Int64 { try #require(try await lease.current()).fence }

        var outboxFiles: [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: project.root + "/outbox/sam")) ?? []).filter { $0.hasSuffix(".eml") && !$0.hasPrefix(".") }.sorted()
        }
    }

    func withLaunched(_ files: [String: String?] = files, _ body: (Setup) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-run-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let project = TemporaryProject(root: root)
        for (path, content) in files { if let content { try project.write(path, content) } }
        let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: root)
        let loaded = try LoadedCampaign.load("q1", location: location)
        let database = try CadenceDatabase.open(path: root + "/cadence.sqlite", mode: .create)
        _ = try Launcher.launch(loaded, database: database, options: .init(candidatesPath: "people.csv", now: Self.tuesday, actor: "t"))
        try await body(
            Setup(project: project, database: database, configuration: loaded.configuration, sender: ScriptedSender(root: root), lease: Self.lease(database)))
    }

    /// A lease for tests whose passes jump ahead in time: held for years on a clock that stands still.
    static func lease(_ database: CadenceDatabase) -> LeaseKeeper {
        LeaseKeeper(store: database, owner: "tests", seconds: 10 * 365 * 86_400, clock: FixedClock(tuesday))
    }

    @Test("each due step goes out once; passes after that send nothing again; the next step is scheduled")
    func sendsOnce() async throws {
        try await withLaunched { setup in
            var runner = setup.runner()
            var now = Self.tuesday
            var sent = 0
            // Past the hourly cap (3), so every candidate has been composed at least once.
            for _ in 0..<20 {
                sent += try await runner.runOnce(now: now).sent
                now = now.addingTimeInterval(600)
            }
            #expect(sent == 3)  // ana, bo, dee; cy's link is not a web address, so cy is held
            #expect(setup.outboxFiles.count == 3)
            #expect(setup.sender.calls.withLock { $0.count } == 3)
            let ana = try await #require(try setup.database.candidate("ana@example.org")?.enrollments.first)
            guard case .active("bump", let due) = ana.state else { Issue.record("\(ana.state)"); return }
            #expect(due > Self.tuesday.addingTimeInterval(86_000))
            #expect(try await setup.database.candidate("cy@example.org")?.enrollments.first?.state == .held(step: "intro", reason: .missingFields(["candidate.link"])))
        }
    }

    @Test("the hourly cap and minimum gap defer sends, with the reason in the events")
    func limits() async throws {
        var files = Self.files
        files["people.csv"] = "email,firstName\n" + (1...6).map { "p\($0)@example.org,P\($0)" }.joined(separator: "\n") + "\n"
        try await withLaunched(files) { setup in
            var runner = setup.runner()
            let first = try await runner.runOnce(now: Self.tuesday)
            #expect(first.sent == 1)  // the 1 s minimum gap defers the rest of this pass
            var now = Self.tuesday
            var total = first.sent
            for _ in 0..<10 {
                now = now.addingTimeInterval(5)
                total += try await runner.runOnce(now: now).sent
            }
            #expect(total == 3)  // hourly cap 3
            let deferred = try await setup.database.candidate("p6@example.org")?.enrollments.first?.events.map(\.detail) ?? []
            #expect(deferred.contains { $0.contains("reached its hourly cap (3)") })
            // status says why they wait
            let waiting = try await setup.database.status(campaign: "q1", now: now).first?.steps.first?.waiting ?? [:]
            #expect(waiting["mailbox sam reached its hourly cap (3)"] == 3)
        }
    }

    @Test("outside the send window nothing goes; the step waits for the window's opening")
    func window() async throws {
        try await withLaunched { setup in
            var runner = setup.runner()
            let saturday = Date(timeIntervalSince1970: 1_796_493_600)  // 2026-12-05 10:00 UTC
            let report = try await runner.runOnce(now: saturday)
            #expect(report.sent == 0)
            #expect(report.deferred == 4)
            guard case .active(_, let due)? = try await setup.database.candidate("ana@example.org")?.enrollments.first?.state else { return }
            #expect(due == Date(timeIntervalSince1970: 1_796_634_000))  // Monday 09:00 UTC
        }
    }

    @Test("a crash after the intent was recorded, before the provider was called: the next pass sends it, once")
    func crashBeforeSend() async throws {
        try await withLaunched { setup in
            let due = try #require(try await setup.database.dueSteps(now: Self.tuesday, limit: 1).first)
            let key = SendKey(sendID: "q1.intro.crash", messageID: "cadence.q1.intro.crash@example.com")
            guard case .recorded = try await setup.database.recordIntent(due, key: key, bytes: Array("From: x\r\n\r\nhi\r\n".utf8), fence: setup.fence(), now: Self.tuesday) else {
                Issue.record("no intent"); return
            }
            // The process dies here. A new runner starts:
            var runner = setup.runner()
            let report = try await runner.runOnce(now: Self.tuesday.addingTimeInterval(60))
            #expect(report.sent >= 1)
            #expect(setup.outboxFiles.filter { $0.hasPrefix("q1.intro.crash") } == ["q1.intro.crash.eml"])
            // The recorded bytes were sent, not a fresh render.
            #expect(FileManager.default.contents(atPath: setup.project.root + "/outbox/sam/q1.intro.crash.eml") == Data("From: x\r\n\r\nhi\r\n".utf8))
            let again = try await runner.runOnce(now: Self.tuesday.addingTimeInterval(120))
            #expect(again.reconciled == 0)
            #expect(setup.sender.calls.withLock { $0.filter { $0 == "q1.intro.crash" }.count } == 1)
        }
    }

    @Test("a crash after the provider accepted, before the outcome was recorded: the next pass adopts it, sending nothing")
    func crashAfterSend() async throws {
        try await withLaunched { setup in
            let due = try #require(try await setup.database.dueSteps(now: Self.tuesday, limit: 1).first)
            let key = SendKey(sendID: "q1.intro.accepted", messageID: "cadence.q1.intro.accepted@example.com")
            guard case .recorded = try await setup.database.recordIntent(due, key: key, bytes: [65], fence: setup.fence(), now: Self.tuesday) else { Issue.record("no intent"); return }
            let mailbox = try #require(setup.configuration.mailbox(named: "sam"))
            _ = try await setup.sender.outbox.send(SendRequest(bytes: [65], key: key, recipient: due.address, recordedAt: Self.tuesday), from: mailbox)  // the provider has it; the process dies
            var runner = setup.runner()
            let report = try await runner.runOnce(now: Self.tuesday.addingTimeInterval(60))
            #expect(report.reconciled == 1)
            #expect(setup.sender.calls.withLock { $0.contains("q1.intro.accepted") } == false)
            let address = due.address
            let events = try await setup.database.candidate(address)?.enrollments.first?.events.map(\.kind) ?? []
            #expect(events.filter { $0 == "sent" }.count == 1)
        }
    }

    @Test("a send confirmed after its reply came back is dated when it went out, so the reply counts for its step")
    func lateConfirmationKeepsTheSendTime() async throws {
        try await withLaunched { setup in
            let due = try #require(try await setup.database.dueSteps(now: Self.tuesday, limit: 1).first)
            let key = SendKey(sendID: "q1.intro.late", messageID: "cadence.q1.intro.late@example.com")
            guard case .recorded = try await setup.database.recordIntent(due, key: key, bytes: [65], fence: setup.fence(), now: Self.tuesday) else { Issue.record("no intent"); return }
            let mailbox = try #require(setup.configuration.mailbox(named: "sam"))
            _ = try await setup.sender.outbox.send(SendRequest(bytes: [65], key: key, recipient: due.address, recordedAt: Self.tuesday), from: mailbox)
            // The process dies; half an hour later the person answers, and the runner comes back an hour after that.
            _ = try await setup.database.applyIncoming(
                IncomingMessage(
                    mailbox: "sam", providerMessageID: "r1", providerThreadID: nil, from: due.address, references: [], incomingClass: .reply, snippet: "yes",
                    receivedAt: Self.tuesday.addingTimeInterval(1_800)), now: Self.tuesday.addingTimeInterval(1_800))
            var runner = setup.runner()
            #expect(try await runner.runOnce(now: Self.tuesday.addingTimeInterval(5_400)).reconciled == 1)
            let enrollment = try await #require(try setup.database.candidate(due.address)?.enrollments.first?.id)
            #expect(try await setup.database.sentRecords(enrollment: enrollment).first?.sentAt == Self.tuesday)
            let intro = try await #require(try setup.database.stats(StatsQuery(campaign: "q1"), now: Self.tuesday).first?.rows.first { $0.stepID == "intro" && $0.variantID == nil })
            #expect(intro.replied == 1)
            #expect(intro.medianSecondsToReply == 1_800)
        }
    }

    @Test("a send confirmed late schedules the next step from when it went out, as explain and a relaunch count it")
    func lateConfirmationSchedulesFromTheSend() async throws {
        try await withLaunched { setup in
            let due = try #require(try await setup.database.dueSteps(now: Self.tuesday, limit: 1).first)
            let key = SendKey(sendID: "q1.intro.late2", messageID: "cadence.q1.intro.late2@example.com")
            guard case .recorded = try await setup.database.recordIntent(due, key: key, bytes: [65], fence: setup.fence(), now: Self.tuesday) else { Issue.record("no intent"); return }
            let mailbox = try #require(setup.configuration.mailbox(named: "sam"))
            _ = try await setup.sender.outbox.send(SendRequest(bytes: [65], key: key, recipient: due.address, recordedAt: Self.tuesday), from: mailbox)
            var runner = setup.runner()
            #expect(try await runner.runOnce(now: Self.tuesday.addingTimeInterval(5_400)).reconciled == 1)
            // The follow-up is a day after the intro went out (Tuesday 10:00), not a day after it was confirmed.
            #expect(try await setup.database.candidate(due.address)?.enrollments.first?.state == .active(nextStep: "bump", dueAt: Self.tuesday.addingTimeInterval(86_400)))
        }
    }

    @Test("a resend whose outcome is lost, confirmed later, is dated no earlier than the resend, not at the first intent")
    func lateConfirmedResendIsDatedAtTheResend() async throws {
        try await withLaunched { setup in
            let due = try #require(try await setup.database.dueSteps(now: Self.tuesday, limit: 1).first)
            let key = SendKey(sendID: "q1.intro.resent", messageID: "cadence.q1.intro.resent@example.com")
            guard case .recorded = try await setup.database.recordIntent(due, key: key, bytes: [65], fence: setup.fence(), now: Self.tuesday) else { Issue.record("no intent"); return }
            // The process dies before the provider was called. An hour later the runner finds nothing and resends;
            // the provider takes it, but the answer is lost.
            let resentAt = Self.tuesday.addingTimeInterval(3_600)
            setup.sender.acceptThenLoseNext.withLock { $0 = true }
            var runner = setup.runner()
            #expect(try await runner.runOnce(now: resentAt).unknown >= 1)
            #expect(try await runner.runOnce(now: resentAt.addingTimeInterval(300)).reconciled == 1)
            let enrollment = try await #require(try setup.database.candidate(due.address)?.enrollments.first?.id)
            let sentAt = try #require(try await setup.database.sentRecords(enrollment: enrollment).first?.sentAt)
            #expect(sentAt >= resentAt)
            #expect(setup.sender.calls.withLock { $0.filter { $0 == "q1.intro.resent" }.count } == 1)
        }
    }

    @Test("an unknown outcome is kept and reconciled before any retry; a rejection holds the candidate with the reason")
    func failures() async throws {
        try await withLaunched { setup in
            var runner = setup.runner()
            setup.sender.failNext.withLock { $0 = .outcomeUnknown(reason: "timeout") }
            let first = try await runner.runOnce(now: Self.tuesday)
            #expect(first.unknown == 1)
            let second = try await runner.runOnce(now: Self.tuesday.addingTimeInterval(60))
            #expect(second.sent >= 1)  // not in the outbox: sent now, with the same bytes
            setup.sender.failNext.withLock { $0 = .rejected(reason: "Invalid To header") }
            _ = try await runner.runOnce(now: Self.tuesday.addingTimeInterval(120))
            let held = try await setup.database.status(campaign: "q1", now: Self.tuesday).first?.steps.first?.held ?? [:]
            #expect(held["the mailbox refused the message: Invalid To header"] == 1)
        }
    }

    @Test("an address suppressed after launch is stopped before its send")
    func suppressedAfterLaunch() async throws {
        try await withLaunched { setup in
            try await setup.database.suppress([(.address, "ana@example.org")], reason: "asked", actor: "t", now: Self.tuesday)
            var runner = setup.runner()
            for minute in 0..<5 { _ = try await runner.runOnce(now: Self.tuesday.addingTimeInterval(Double(minute) * 60)) }
            #expect(try await setup.database.candidate("ana@example.org")?.enrollments.first?.state == .stopped(.suppressed))
            #expect(!setup.sender.calls.withLock { $0 }.contains { $0.contains(SendIdentity(campaignID: "q1", stepID: "intro", address: try! EmailAddress.parse("ana@example.org").get()).sendID) })
        }
    }

    @Test("one runner per database: a second is refused while the lease is held; the fence grows with every new holder")
    func lease() async throws {
        let database = try CadenceDatabase.inMemory()
        let t = Self.tuesday
        #expect(try await database.acquireLease(owner: "a", now: t, seconds: 60) == .held(RunnerLease(owner: "a", fence: 1, expiresAt: t.addingTimeInterval(60))))
        #expect(try await database.acquireLease(owner: "a", now: t.addingTimeInterval(30), seconds: 60) == .held(RunnerLease(owner: "a", fence: 1, expiresAt: t.addingTimeInterval(90))))
        #expect(try await database.acquireLease(owner: "b", now: t, seconds: 60) == .busy(owner: "a", until: t.addingTimeInterval(90)))
        #expect(try await database.acquireLease(owner: "b", now: t.addingTimeInterval(91), seconds: 60) == .held(RunnerLease(owner: "b", fence: 2, expiresAt: t.addingTimeInterval(151))))
        try await database.releaseLease(owner: "b")
        // Released, the row stays: the next holder's fence is still larger than every earlier one.
        #expect(try await database.acquireLease(owner: "a", now: t.addingTimeInterval(92), seconds: 60) == .held(RunnerLease(owner: "a", fence: 3, expiresAt: t.addingTimeInterval(152))))
    }
}

extension RunnerTests {
    @Test("a send recovered after a crash waits for the candidate's window, then schedules the next step in their zone")
    func reconcileKeepsCandidateZone() async throws {
        var files = Self.files
        files["people.csv"] = "email,firstName,timezone\naki@example.jp,Aki,Asia/Tokyo\n"
        try await withLaunched(files) { setup in
            // Tuesday 09:00 Tokyo is 00:00 UTC: due then, and recorded as an intent before a crash.
            let due = try #require(try await setup.database.dueSteps(now: Self.tuesday, limit: 1).first)
            guard case .recorded = try await setup.database.recordIntent(due, key: SendKey(sendID: "q1.intro.aki", messageID: "m@example.com"), bytes: [65], fence: setup.fence(), now: Self.tuesday)
            else { return }
            var runner = setup.runner()
            // 19:00 in Tokyo, after the window: the unconfirmed send is not resent at night; it stays in doubt.
            #expect(try await runner.runOnce(now: Self.tuesday).unknown == 1)
            // Wednesday 09:00 in Tokyo: resent, once.
            #expect(try await runner.runOnce(now: Date(timeIntervalSince1970: 1_796_169_600)).sent == 1)
            // "1d" later is Thursday 09:00 Tokyo, 00:00 UTC.
            await #expect(
                try setup.database.candidate("aki@example.jp")?.enrollments.first?.state
                    == .active(nextStep: "bump", dueAt: Date(timeIntervalSince1970: 1_796_256_000)))
        }
    }
}

extension RunnerTests {
    @Test("a Gmail mailbox that needs authorising holds only its own steps, with the reason and the command that fixes it")
    func gmailMailboxNeedsAuthorisation() async throws {
        var files = Self.files
        files["cadence.json"] = """
            { "google": { "clientId": "c1", "clientSecret": { "env": "CADENCE_TEST_SECRET" } },
              "mailboxes": [ { "name": "sam", "address": "sam@example.com", "displayName": "Sam", "timeZone": "UTC", "provider": "gmail" },
                             { "name": "alex", "address": "alex@example.com", "displayName": "Alex", "timeZone": "UTC", "limits": { "minimumGap": "1s" } } ] }
            """
        files["sequences/q1.json"] = Self.files["sequences/q1.json"]!!.replacingOccurrences(of: "\"mailboxes\": [\"sam\"]", with: "\"mailboxes\": [\"sam\", \"alex\"]")
        try await withLaunched(files) { setup in
            let access = GmailAccess(
                store: SecretStore(root: setup.project.root, environment: ["CADENCE_TEST_SECRET": "s"]), clock: FixedClock(Self.tuesday),
                sleeper: TaskSleeper(), logger: Logger(label: "test"))
            var runner = Runner(
                store: setup.database, configuration: setup.configuration, sender: setup.sender, seed: 1, lease: setup.lease,
                gmailReadiness: AuthStatus.readiness(access: access))
            var sent = 0
            for minute in 0..<5 { sent += try await runner.runOnce(now: Self.tuesday.addingTimeInterval(Double(minute) * 60)).sent }
            let waiting = try await setup.database.status(campaign: "q1", now: Self.tuesday).first?.steps.first?.waiting ?? [:]
            let samWaiting = try #require(waiting["mailbox sam: not authorised: run `cadence auth login sam`"])
            #expect(samWaiting >= 1)
            #expect(sent >= 1)  // alex's candidates go out
            #expect(setup.sender.calls.withLock { $0.count } == sent)
            let held = try await setup.database.status(campaign: "q1", now: Self.tuesday).first?.steps.first?.held.values.reduce(0, +) ?? 0
            #expect(sent + samWaiting + held == 4)  // nobody lost: sent, waiting for sam's login, or held for a bad link
        }
    }
}
