import CadenceCore
import Foundation
import GRDB
import Testing

@testable import CadenceStore

/// Launch sessions, states and steering, on an in-memory database.
@Suite("The store: enrolments, states and steering")
struct SteeringTests {
    static let now = Date(timeIntervalSince1970: 1_796_115_600)
    static let campaignJSON = """
        { "id": "q1", "name": "Q1", "mailboxes": ["sam"], "timeZone": "UTC",
          "steps": [
            { "id": "intro", "type": "email", "template": "intro.md" },
            { "id": "call", "type": "task", "delay": "1d", "title": "Call", "instructions": "Ring them." },
            { "id": "bump", "type": "reply", "delay": "2d", "inThreadOf": "intro", "template": "bump.md" } ] }
        """

    static func campaign(_ id: String = "q1") -> CadenceDatabase.LaunchCampaign {
        let json = campaignJSON.replacingOccurrences(of: "\"q1\"", with: "\"\(id)\"")
        return .init(
            id: id, name: id, sourcePath: "sequences/\(id).json", digest: "d-\(id)",
            files: [SnapshotFile(kind: .campaign, path: "sequences/\(id).json", content: Array(json.utf8), digest: "x")])
    }

    static func candidate(_ email: String, line: Int = 2, _ fields: [String: String] = [:]) -> Candidate {
        Candidate(line: line, email: try! EmailAddress.parse(email).get(), fields: fields.merging(["email": email]) { $1 })
    }

    @discardableResult
    static func launch(_ database: CadenceDatabase, _ rows: [(String, EnrollmentState)], concurrent: Bool = false, commit: Bool = true) throws -> [EnrollOutcome] {
        try launch(database, "q1", rows, concurrent: concurrent, commit: commit)
    }

    /// Launches `rows` (address, state) into campaign `id` and returns the outcomes.
    @discardableResult
    static func launch(_ database: CadenceDatabase, _ id: String, _ rows: [(String, EnrollmentState)], concurrent: Bool = false, commit: Bool = true) throws -> [EnrollOutcome] {
        try database.launch(campaign(id), actor: "test", now: now, allowConcurrent: concurrent) { session in
            let outcomes = try rows.enumerated().map { index, row in
                try session.enroll(candidate(row.0, line: index + 2), mailbox: "sam", variants: [:], initial: row.1)
            }
            return (outcomes, commit)
        }
    }

    static let active = EnrollmentState.active(nextStep: "intro", dueAt: now)

    @Test("each skip reason: duplicate in the file, already enrolled, in progress elsewhere, suppressed address and domain")
    func skips() throws {
        let database = try CadenceDatabase.inMemory()
        try database.suppress([(.address, "no@example.org"), (.domain, "client.com")], reason: "r", actor: "test", now: Self.now)
        let outcomes = try Self.launch(
            database,
            [
                ("ana@example.org", Self.active), ("ANA@example.org", Self.active), ("no@example.org", Self.active),
                ("x@eu.client.com", Self.active),
            ])
        #expect(
            outcomes == [
                .enrolled(Self.active), .skipped(.duplicateInFile(firstLine: 2)), .skipped(.suppressedAddress),
                .skipped(.suppressedDomain("client.com")),
            ])
        #expect(try Self.launch(database, [("ana@example.org", Self.active)]) == [.skipped(.alreadyEnrolled(state: .active))])
        #expect(try Self.launch(database, "q2", [("ana@example.org", Self.active)]) == [.skipped(.inProgressElsewhere(campaign: "q1"))])
        #expect(try Self.launch(database, "q3", [("ana@example.org", Self.active)], concurrent: true) == [.enrolled(Self.active)])
    }

    @Test("gmail dots and +tags are one person; other domains keep their +tags")
    func addressKeys() throws {
        let database = try CadenceDatabase.inMemory()
        let outcomes = try Self.launch(
            database,
            [
                ("ana.ruiz@gmail.com", Self.active), ("AnaRuiz+jobs@googlemail.com", Self.active), ("ana+x@example.org", Self.active),
                ("ana@example.org", Self.active),
            ])
        #expect(outcomes == [.enrolled(Self.active), .skipped(.duplicateInFile(firstLine: 2)), .enrolled(Self.active), .enrolled(Self.active)])
    }

    @Test("a relaunch gives a held candidate its corrected fields; sent-to and active candidates are never touched")
    func relaunchUpdatesHeld() throws {
        let database = try CadenceDatabase.inMemory()
        let held = EnrollmentState.held(step: "intro", reason: .missingFields(["candidate.company"]))
        try Self.launch(database, [("ana@example.org", held), ("bo@example.org", Self.active)])
        let outcomes = try Self.launch(database, [("ana@example.org", Self.active), ("bo@example.org", Self.active), ("cy@example.org", Self.active)])
        #expect(outcomes == [.updated(Self.active), .skipped(.alreadyEnrolled(state: .active)), .enrolled(Self.active)])
        let ana = try #require(try database.candidate("ana@example.org"))
        #expect(ana.enrollments.map(\.state) == [Self.active])
        #expect(ana.enrollments[0].events.map(\.kind) == ["enrolled", "fieldsUpdated"])
    }

    @Test("a launch that does not commit leaves nothing behind, not even the campaign")
    func rollback() throws {
        let database = try CadenceDatabase.inMemory()
        try Self.launch(database, [("ana@example.org", Self.active)], commit: false)
        #expect(try database.storedCampaign("q1") == nil)
        #expect(try database.candidate("ana@example.org") == nil)
        #expect(try database.status(campaign: nil, now: Self.now).isEmpty)
    }

    @Test("pause, resume and stop a candidate or a campaign, each with an event; resume restores the state, due no earlier than now")
    func steering() throws {
        let database = try CadenceDatabase.inMemory()
        let held = EnrollmentState.held(step: "intro", reason: .missingFields(["candidate.company"]))
        try Self.launch(database, [("ana@example.org", Self.active), ("bo@example.org", held)])
        #expect(try database.pause(.candidate(addressKey: "ana@example.org", campaign: nil), note: "on leave", actor: "sam", now: Self.now) == 1)
        #expect(try database.candidate("ana@example.org")?.enrollments[0].state == .paused(step: "intro", reason: .manual(note: "on leave")))
        let later = Self.now.addingTimeInterval(86_400)
        #expect(try database.resume(.candidate(addressKey: "ana@example.org", campaign: "q1"), note: nil, actor: "sam", now: later) == 1)
        #expect(try database.candidate("ana@example.org")?.enrollments[0].state == .active(nextStep: "intro", dueAt: later))
        #expect(try database.pause(.campaign("q1"), note: nil, actor: "sam", now: Self.now) == 2)
        #expect(try database.candidate("bo@example.org")?.enrollments[0].state == .paused(step: "intro", reason: .campaignPaused))
        #expect(try database.status(campaign: "q1", now: Self.now).first?.paused == true)
        #expect(try database.resume(.campaign("q1"), note: nil, actor: "sam", now: Self.now) == 2)
        #expect(try database.candidate("bo@example.org")?.enrollments[0].state == held)
        #expect(try database.stop(.candidate(addressKey: "bo@example.org", campaign: nil), reason: .manual(note: "hired elsewhere"), actor: "sam", now: Self.now) == 1)
        #expect(try database.candidate("bo@example.org")?.enrollments[0].state == .stopped(.manual(note: "hired elsewhere")))
        #expect(try database.resume(.candidate(addressKey: "bo@example.org", campaign: nil), note: nil, actor: "sam", now: Self.now) == 0)
        #expect(try database.candidate("bo@example.org")?.enrollments[0].events.map(\.kind) == ["enrolled", "paused", "resumed", "stopped"])
        #expect(throws: StoreError.refused("no campaign \"q2\" has been launched (launched: q1); did you mean \"q1\"?")) {
            try database.pause(.campaign("q2"), note: nil, actor: "sam", now: Self.now)
        }
        #expect(throws: StoreError.refused("no candidate zed@example.org is enrolled in any campaign")) {
            try database.stop(.candidate(addressKey: "zed@example.org", campaign: nil), reason: .manual(note: nil), actor: "sam", now: Self.now)
        }
    }

    @Test("someone held because the mailbox refused their message is released by resuming them by hand, as status and explain advise")
    func resumeReleasesAHold() throws {
        let database = try CadenceDatabase.inMemory()
        let held = EnrollmentState.held(step: "intro", reason: .sendRejected("Invalid To header"))
        try Self.launch(database, [("ana@example.org", held), ("bo@example.org", held)])
        let later = Self.now.addingTimeInterval(3_600)
        #expect(try database.resume(.candidate(addressKey: "ana@example.org", campaign: nil), note: "address fixed", actor: "sam", now: later) == 1)
        #expect(try database.candidate("ana@example.org")?.enrollments[0].state == .active(nextStep: "intro", dueAt: later))
        #expect(try database.candidate("ana@example.org")?.enrollments[0].events.map(\.kind) == ["enrolled", "resumed"])
        // Resuming a campaign only lifts what pausing it did: holds wait for a person to look at each.
        #expect(try database.resume(.campaign("q1"), note: nil, actor: "sam", now: later) == 0)
        #expect(try database.candidate("bo@example.org")?.enrollments[0].state == held)
        // In a paused campaign, the released person waits for the campaign.
        #expect(try database.pause(.campaign("q1"), note: nil, actor: "sam", now: later) == 2)
        #expect(try database.resume(.campaign("q1"), note: nil, actor: "sam", now: later) == 2)
        #expect(try database.candidate("bo@example.org")?.enrollments[0].state == held)
        _ = try database.pause(.campaign("q1"), note: nil, actor: "sam", now: later)
        #expect(try database.resume(.candidate(addressKey: "bo@example.org", campaign: "q1"), note: nil, actor: "sam", now: later) == 1)
        #expect(try database.candidate("bo@example.org")?.enrollments[0].state == .paused(step: "intro", reason: .campaignPaused))
        #expect(try database.resume(.campaign("q1"), note: nil, actor: "sam", now: later) == 2)
        #expect(try database.candidate("bo@example.org")?.enrollments[0].state == .active(nextStep: "intro", dueAt: later))
    }

    @Test("show reads the first line of history from the enrolment's row, or from the event row an older launch wrote, once either way")
    func enrolledLine() throws {
        let database = try CadenceDatabase.inMemory()
        try Self.launch(database, [("ana@example.org", Self.active), ("bo@example.org", Self.active)])
        _ = try database.pause(.candidate(addressKey: "ana@example.org", campaign: "q1"), note: nil, actor: "sam", now: Self.now)
        let ana = try #require(try database.candidate("ana@example.org")?.enrollments.first)
        #expect(ana.events.map(\.kind) == ["enrolled", "paused"])
        #expect(ana.events.first.map { "\($0.at) \($0.actor) \($0.detail)" } == "\(Self.now) test active: intro due \(Timestamps.display(Self.now))")
        // Bo as a launch before v15 left him: an `enrolled` event, nothing on the row.
        try database.writer.write { db in
            try db.execute(sql: "UPDATE enrollment SET enrolledBy = NULL, enrolledAs = NULL WHERE candidateId = (SELECT id FROM candidate WHERE addressKey = 'bo@example.org')")
            try db.execute(
                sql: """
                    INSERT INTO event (at, campaignId, candidateId, enrollmentId, kind, actor, detail)
                    SELECT createdAt, campaignId, candidateId, id, 'enrolled', 'launch (old)', 'active: intro' FROM enrollment
                    WHERE candidateId = (SELECT id FROM candidate WHERE addressKey = 'bo@example.org')
                    """)
        }
        let bo = try #require(try database.candidate("bo@example.org")?.enrollments.first)
        #expect(bo.events.map { "\($0.kind) \($0.actor)" } == ["enrolled launch (old)"])
    }

    @Test("a launch written in batches: duplicates across and within a batch, people from another campaign, and every enrolment with the first line of its history")
    func batchedLaunch() throws {
        let database = try CadenceDatabase.inMemory()
        try Self.launch(database, "q0", [("p7@example.org", Self.active)], concurrent: true)
        var rows = (0..<450).map { ("p\($0)@example.org", Self.active) }
        rows[300] = ("p10@example.org", Self.active)  // written in the first batch
        rows[420] = ("p410@example.org", Self.active)  // still waiting in the batch
        let outcomes = try Self.launch(database, rows, concurrent: true)
        #expect(outcomes[300] == .skipped(.duplicateInFile(firstLine: 12)))
        #expect(outcomes[420] == .skipped(.duplicateInFile(firstLine: 412)))
        #expect(outcomes.filter { if case .enrolled = $0 { true } else { false } }.count == 448)
        let counts = try database.read { db -> [Int?] in
            [
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM enrollment WHERE campaignId = 'q1'"),
                // Each enrolment carries the first line of its history, and no launch writes an `enrolled` event.
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM enrollment WHERE campaignId = 'q1' AND enrolledBy IS NOT NULL AND enrolledAs LIKE 'active: % due %'"),
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event WHERE kind = 'enrolled'"),
            ]
        }
        #expect(counts == [448, 448, 0])
        #expect(try database.candidate("p7@example.org")?.enrollments.map(\.campaignID) == ["q0", "q1"])
        #expect(try database.candidate("p449@example.org")?.enrollments.first?.csvLine == 451)
    }

    @Test("a launch whose people are all due at different times keeps a bounded cache of formatted dates (memory flat at 1M rows)")
    func dueCacheBounded() throws {
        let database = try CadenceDatabase.inMemory()
        let limit = LaunchSession.dueValueCacheLimit
        let largest = try database.launch(Self.campaign("q1"), actor: "test", now: Self.now, allowConcurrent: false) { session in
            var largest = 0
            for index in 0..<(limit * 2) {
                let due = EnrollmentState.active(nextStep: "intro", dueAt: Self.now.addingTimeInterval(Double(index) * 60))
                _ = try session.enroll(Self.candidate("p\(index)@example.org", line: index + 2), mailbox: "sam", variants: [:], initial: due)
                largest = max(largest, session.cachedDueValues)
            }
            return (largest, false)
        }
        #expect(largest <= limit)
    }

    @Test("people of a looked-up batch and people enrolled outside it get ids of their own, whatever the order")
    func batchAndSingleRowsMix() throws {
        let database = try CadenceDatabase.inMemory()
        let due = EnrollmentState.active(nextStep: "intro", dueAt: Self.now)
        try database.launch(Self.campaign("q1"), actor: "test", now: Self.now, allowConcurrent: false) { session in
            let ana = Self.candidate("ana@example.org", line: 2), bo = Self.candidate("bo@example.org", line: 3)
            let cy = Self.candidate("cy@example.org", line: 4), di = Self.candidate("di@example.org", line: 5)
            try session.prepare(LaunchBatch([ana, cy]))
            #expect(try session.enroll(ana, mailbox: "sam", variants: [:], initial: due) == .enrolled(due))
            // Bo was not in the batch, and Ana is not written yet: Bo must not take her id.
            #expect(try session.enroll(bo, mailbox: "sam", variants: [:], initial: due) == .enrolled(due))
            #expect(try session.enroll(cy, mailbox: "sam", variants: [:], initial: due) == .enrolled(due))
            try session.prepare(LaunchBatch([di]))
            #expect(try session.enroll(di, mailbox: "sam", variants: [:], initial: due) == .enrolled(due))
            // A row whose line was in the last batch's fields, but for someone else: their own fields are stored.
            let other = Candidate(line: 2, email: try EmailAddress.parse("ed@example.org").get(), fields: ["email": "ed@example.org", "firstName": "Ed"])
            #expect(try session.enroll(other, mailbox: "sam", variants: [:], initial: due) == .enrolled(due))
            return ((), true)
        }
        for address in ["ana@example.org", "bo@example.org", "cy@example.org", "di@example.org"] {
            #expect(try database.candidate(address)?.enrollments.count == 1, "\(address)")
        }
        #expect(try database.candidate("ed@example.org")?.fields["firstName"] == "Ed")
    }

    @Test("status counts every state by step with reasons")
    func status() throws {
        let database = try CadenceDatabase.inMemory()
        try Self.launch(
            database,
            [
                ("a@example.org", Self.active), ("b@example.org", .active(nextStep: "intro", dueAt: Self.now.addingTimeInterval(3600))),
                ("c@example.org", .held(step: "intro", reason: .missingFields(["candidate.company"]))),
                ("d@example.org", .held(step: "intro", reason: .missingFields(["candidate.company"]))), ("e@example.org", Self.active),
            ])
        _ = try database.stop(.candidate(addressKey: "e@example.org", campaign: nil), reason: .manual(note: nil), actor: "t", now: Self.now)
        let status = try #require(try database.status(campaign: "q1", now: Self.now).first)
        #expect(status.total == 5)
        #expect(status.steps.map(\.stepID) == ["intro", "call", "bump"])
        #expect(status.steps[0].active == 2)
        #expect(status.steps[0].due == 1)
        #expect(status.steps[0].held == ["missing candidate.company": 2])
        #expect(status.steps[0].nextDue == Self.now)
        #expect(status.stopped == ["by hand": 1])
    }

    @Test("a due task step opens a task; done moves on to the next step after its delay; the last step finishes")
    func tasks() throws {
        let database = try CadenceDatabase.inMemory()
        try Self.launch(database, [("ana@example.org", .active(nextStep: "call", dueAt: Self.now)), ("bo@example.org", .active(nextStep: "call", dueAt: Self.now.addingTimeInterval(3600)))])
        let open = try database.openTasks(campaign: nil, actor: "t", now: Self.now)
        #expect(open.map(\.address) == ["ana@example.org"])
        #expect(open.first?.title == "Call")
        #expect(open.first?.instructions == "Ring them.")
        let id = try #require(open.first?.id)
        #expect(try database.candidate("ana@example.org")?.enrollments[0].state == .waitingOnTask(step: "call", taskID: id))
        let doneAt = Self.now.addingTimeInterval(600)
        #expect(try database.completeTask(id, note: "connected", actor: "sam", now: doneAt) == .active(nextStep: "bump", dueAt: doneAt.addingTimeInterval(2 * 86_400)))
        #expect(throws: StoreError.refused("task \(id) was already done on \(Timestamps.display(doneAt))")) {
            try database.completeTask(id, note: nil, actor: "sam", now: doneAt)
        }
        #expect(throws: StoreError.refused("no task 999; `cadence tasks` lists the open ones")) {
            try database.completeTask(999, note: nil, actor: "sam", now: doneAt)
        }
        #expect(try database.openTasks(campaign: nil, actor: "t", now: Self.now).isEmpty)
    }

    @Test("forget erases the person everywhere and keeps only a hash that still blocks them")
    func forget() throws {
        let database = try CadenceDatabase.inMemory()
        try Self.launch(database, [("ana@example.org", Self.active)])
        try Self.launch(database, "q2", [("ana@example.org", Self.active)], concurrent: true)
        let result = try database.forget(addressKey: "ana@example.org", actor: "dpo", now: Self.now)
        #expect(result.found && result.enrollments == 2)
        #expect(try database.candidate("ana@example.org") == nil)
        let entries = try database.suppressions()
        #expect(entries.map(\.kind) == [.hash])
        #expect(!entries[0].value.contains("ana"))
        #expect(try Self.launch(database, "q3", [("Ana@Example.org", Self.active)]) == [.skipped(.suppressedAddress)])
        let counts = try database.writer.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event WHERE detail LIKE '%ana%'"), try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM enrollment"))
        }
        #expect(counts.0 == 0)
        #expect(counts.1 == 0)
    }

    @Test("suppression entries are added once, listed with their reason, and removed")
    func suppression() throws {
        let database = try CadenceDatabase.inMemory()
        #expect(try database.suppress([(.domain, "acme.com"), (.address, "x@y.org")], reason: "client", actor: "sam", now: Self.now) == 2)
        #expect(try database.suppress([(.domain, "acme.com")], reason: "again", actor: "sam", now: Self.now) == 0)
        #expect(try database.suppressions().map { "\($0.kind.rawValue) \($0.value) \($0.reason)" } == ["address x@y.org client", "domain acme.com client"])
        #expect(try database.unsuppress(kind: .domain, value: "acme.com"))
        #expect(try !database.unsuppress(kind: .domain, value: "acme.com"))
    }
}

extension SteeringTests {
    @Test("candidates launched into a paused campaign start paused and resume with it")
    func launchIntoPausedCampaign() throws {
        let database = try CadenceDatabase.inMemory()
        try Self.launch(database, [("ana@example.org", Self.active)])
        _ = try database.pause(.campaign("q1"), note: nil, actor: "t", now: Self.now)
        try Self.launch(database, [("bo@example.org", Self.active)])
        #expect(try database.candidate("bo@example.org")?.enrollments[0].state == .paused(step: "intro", reason: .campaignPaused))
        #expect(try database.resume(.campaign("q1"), note: nil, actor: "t", now: Self.now) == 2)
        #expect(try database.candidate("bo@example.org")?.enrollments[0].state == Self.active)
    }
}

extension SteeringTests {
    @Test("every state and reason survives the database: stopped for each reason, finished after the last step")
    func everyState() throws {
        let database = try CadenceDatabase.inMemory()
        let reasons: [StopReason] = [.replied, .bounced, .unsubscribed, .manual(note: "hired"), .manual(note: nil)]
        try Self.launch(database, reasons.indices.map { ("p\($0)@example.org", Self.active) })
        for (index, reason) in reasons.enumerated() {
            _ = try database.stop(.candidate(addressKey: "p\(index)@example.org", campaign: "q1"), reason: reason, actor: "t", now: Self.now)
            #expect(try database.candidate("p\(index)@example.org")?.enrollments[0].state == .stopped(reason))
        }
        #expect(try database.status(campaign: "q1", now: Self.now).first?.stopped == ["replied": 1, "bounced": 1, "unsubscribed": 1, "by hand: hired": 1, "by hand": 1])

        // A campaign whose last step is a task: completing it finishes the enrolment.
        let json =
            #"{ "id": "last", "name": "L", "mailboxes": ["sam"], "timeZone": "UTC", "steps": [ { "id": "intro", "type": "email", "template": "i.md" }, { "id": "call", "type": "task", "delay": "1d", "title": "Call", "instructions": "Ring." } ] }"#
        let campaign = CadenceDatabase.LaunchCampaign(
            id: "last", name: "L", sourcePath: "l.json", digest: "d",
            files: [SnapshotFile(kind: .campaign, path: "l.json", content: Array(json.utf8), digest: "x")])
        _ = try database.launch(campaign, actor: "t", now: Self.now, allowConcurrent: true) { session in
            (try session.enroll(Self.candidate("f@example.org"), mailbox: "sam", variants: [:], initial: .active(nextStep: "call", dueAt: Self.now)), true)
        }
        let task = try #require(try database.openTasks(campaign: "last", actor: "t", now: Self.now).first)
        #expect(try database.completeTask(task.id, note: nil, actor: "t", now: Self.now) == .finished)
        #expect(try database.candidate("f@example.org")?.enrollments[0].state == .finished)
        #expect(try database.status(campaign: "last", now: Self.now).first?.finished == 1)
    }
}

extension SteeringTests {
    @Test("resuming a campaign leaves people paused by hand paused; resuming one person in a paused campaign waits for it")
    func campaignAndManualPauses() throws {
        let database = try CadenceDatabase.inMemory()
        try Self.launch(database, [("ana@example.org", Self.active), ("bo@example.org", Self.active)])
        _ = try database.pause(.candidate(addressKey: "ana@example.org", campaign: "q1"), note: "on leave", actor: "t", now: Self.now)
        #expect(try database.pause(.campaign("q1"), note: nil, actor: "t", now: Self.now) == 1)
        #expect(try database.resume(.candidate(addressKey: "ana@example.org", campaign: "q1"), note: nil, actor: "t", now: Self.now) == 1)
        #expect(try database.candidate("ana@example.org")?.enrollments[0].state == .paused(step: "intro", reason: .campaignPaused))
        _ = try database.pause(.candidate(addressKey: "bo@example.org", campaign: "q1"), note: nil, actor: "t", now: Self.now)
        #expect(try database.resume(.campaign("q1"), note: nil, actor: "t", now: Self.now) == 2)
        #expect(try database.candidate("ana@example.org")?.enrollments[0].state == Self.active)
        #expect(try database.candidate("bo@example.org")?.enrollments[0].state == Self.active)
        _ = try database.pause(.candidate(addressKey: "bo@example.org", campaign: "q1"), note: "by hand", actor: "t", now: Self.now)
        _ = try database.pause(.campaign("q1"), note: nil, actor: "t", now: Self.now)
        _ = try database.resume(.campaign("q1"), note: nil, actor: "t", now: Self.now)
        #expect(try database.candidate("bo@example.org")?.enrollments[0].state == .paused(step: "intro", reason: .manual(note: "by hand")))
    }

    @Test("a stopped campaign cannot be paused or resumed; a candidate's own campaign must be named right")
    func stoppedCampaign() throws {
        let database = try CadenceDatabase.inMemory()
        try Self.launch(database, [("ana@example.org", Self.active)])
        try Self.launch(database, "q2", [("bo@example.org", Self.active)])
        #expect(throws: StoreError.refused("ana@example.org is not enrolled in campaign q2")) {
            try database.pause(.candidate(addressKey: "ana@example.org", campaign: "q2"), note: nil, actor: "t", now: Self.now)
        }
        #expect(try database.stop(.campaign("q1"), reason: .manual(note: nil), actor: "t", now: Self.now) == 1)
        #expect(try database.storedCampaign("q1")?.stopped == true)
        #expect(throws: StoreError.refused("campaign \"q1\" was stopped; a stopped campaign cannot be paused or resumed")) {
            try database.resume(.campaign("q1"), note: nil, actor: "t", now: Self.now)
        }
    }

    @Test("forget leaves no copy of the address anywhere in the file")
    func forgetLeavesNoTrace() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let database = try CadenceDatabase.open(path: path, mode: .create)
        try Self.launch(database, [("zoe.unique.name@example.org", Self.active)])
        #expect(try database.forget(addressKey: "zoe.unique.name@example.org", actor: "t", now: Self.now).walCleared)
        for suffix in ["", "-wal"] {
            let bytes = FileManager.default.contents(atPath: path + suffix) ?? Data()
            #expect(bytes.range(of: Data("zoe.unique.name".utf8)) == nil, "found in \(suffix.isEmpty ? "the database" : suffix)")
        }
    }

    @Test("forget says when a reader in another process keeps the log from being cleared, and running it again once the reader is gone clears it")
    func forgetWithAReaderHoldingTheLog() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let database = try CadenceDatabase.open(path: path, mode: .create)
        try Self.launch(database, [("zoe.unique.name@example.org", Self.active)])
        // Another process's read transaction, begun while the log holds the launch.
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true  // a transaction left open across accesses, on purpose
        let reader = try DatabaseQueue(path: path, configuration: configuration)
        try reader.inDatabase { db in
            try db.beginTransaction(.deferred)
            _ = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM candidate")
        }
        let held = try database.forget(addressKey: "zoe.unique.name@example.org", actor: "t", now: Self.now)
        #expect(held.found && !held.walCleared)
        try reader.inDatabase { db in try db.rollback() }
        try reader.close()
        let again = try database.forget(addressKey: "zoe.unique.name@example.org", actor: "t", now: Self.now)
        #expect(!again.found && again.walCleared)
        for suffix in ["", "-wal"] {
            let bytes = FileManager.default.contents(atPath: path + suffix) ?? Data()
            #expect(bytes.range(of: Data("zoe.unique.name".utf8)) == nil, "found in \(suffix.isEmpty ? "the database" : suffix)")
        }
    }

    @Test("read-only opens change not a byte of the file")
    func readOnlyOpen() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let database = try CadenceDatabase.open(path: path, mode: .create)
        try Self.launch(database, [("ana@example.org", Self.active)])
        _ = try database.writer.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        let before = FileManager.default.contents(atPath: path)
        let reader = try CadenceDatabase.open(path: path, mode: .readOnly)
        #expect(try reader.status(campaign: nil, now: Self.now).count == 1)
        #expect(try reader.candidate("ana@example.org") != nil)
        #expect(FileManager.default.contents(atPath: path) == before)
    }
}

extension SteeringTests {
    @Test("a paused candidate's task cannot be marked done until they are resumed")
    func pausedTask() throws {
        let database = try CadenceDatabase.inMemory()
        try Self.launch(database, [("ana@example.org", .active(nextStep: "call", dueAt: Self.now))])
        let task = try #require(try database.openTasks(campaign: nil, actor: "t", now: Self.now).first)
        _ = try database.pause(.candidate(addressKey: "ana@example.org", campaign: nil), note: nil, actor: "t", now: Self.now)
        #expect(throws: StoreError.refused("task \(task.id)'s candidate is paused; resume them (cadence resume --candidate EMAIL) before marking it done")) {
            try database.completeTask(task.id, note: nil, actor: "t", now: Self.now)
        }
        _ = try database.resume(.candidate(addressKey: "ana@example.org", campaign: nil), note: nil, actor: "t", now: Self.now)
        #expect(try database.completeTask(task.id, note: nil, actor: "t", now: Self.now) == .active(nextStep: "bump", dueAt: Self.now.addingTimeInterval(2 * 86_400)))
    }
}
