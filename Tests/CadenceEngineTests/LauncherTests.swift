import CadenceCore
import CadenceEngine
import CadenceStore
import Foundation
import GRDB
import Testing

@Suite("Launch: enrolling a candidates file")
struct LauncherTests {
    static let campaign = """
        {
          "id": "q1", "name": "Q1", "mailboxes": ["sam"], "timeZone": "UTC",
          "limits": { "newEnrollmentsPerDay": 2 },
          "steps": [
            { "id": "intro", "type": "email", "variants": [
              { "id": "a", "template": "a.md", "weight": 50 }, { "id": "b", "template": "b.md", "weight": 50 } ] },
            { "id": "bump", "type": "reply", "delay": "2bd", "inThreadOf": "intro", "template": "bump.md" }
          ]
        }
        """
    static let files: [String: String?] = [
        "sequences/q1.json": campaign,
        "templates/a.md": "Subject: For <<candidate.company>>\n\nHi <<candidate.firstName | \"there\">>.\n",
        "templates/b.md": "Subject: Hello\n\nHi <<candidate.firstName | \"there\">> at <<candidate.company>>.\n",
        "templates/bump.md": "Bumping this.\n",
        "people.csv": "email,firstName,company\nana@example.org,Ana,Acme\ngus@example.org,,Initech\ncy@example.org,Cy,\ndee@example.org,Dee,Umbrella\nana@example.org,Ana,Acme\n",
    ]
    static let start = Date(timeIntervalSince1970: 1_796_115_600)  // Tue 2026-12-01 09:00 UTC

    func launch(_ project: TemporaryProject, csv: String = "people.csv", dryRun: Bool = false, strict: Bool = false) throws(Launcher.Failure) -> LaunchReport {
        let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: project.root)
        let loaded: LoadedCampaign
        do { loaded = try LoadedCampaign.load("q1", location: location) } catch { fatalError("\(error)") }
        let database: CadenceDatabase
        do { database = try CadenceDatabase.open(path: project.root + "/cadence.sqlite", mode: .create) } catch { throw .store(error) }
        return try Launcher.launch(loaded, database: database, options: .init(candidatesPath: csv, now: Self.start, start: Self.start, dryRun: dryRun, strict: strict, actor: "test"))
    }

    /// Every row of every table, to compare a database before and after a command that must change nothing.
    static func dump(_ path: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            var rows: [String] = []
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") {
                rows += try Row.fetchAll(db, sql: "SELECT * FROM \(table)").map { "\(table): \($0)" }
            }
            return rows
        }
    }

    @Test("enrols the ready, holds those lacking data with the fields named, skips duplicates; variants and mailboxes stored; starts staggered")
    func firstLaunch() throws {
        try TemporaryProject.with(Self.files) { project in
            let report = try launch(project)
            #expect(report.enrolledActive == 3)
            #expect(report.held == 1)
            #expect(report.skipped == [.init(line: 6, address: "ana@example.org", reason: .duplicateInFile(firstLine: 2))])
            #expect(
                report.text == """
                    Launched q1 (version 1) from people.csv:
                      3 enrolled, first step due 2026-12-01 09:00 UTC, the last starts 2026-12-02 09:00 UTC
                      1 held (nothing is sent to them until their data is fixed):
                        1 lacks candidate.company (steps intro variant b, bump)
                      1 skipped:
                        people.csv:6 ana@example.org: duplicate of line 2
                    """)
            let database = try CadenceDatabase.open(path: project.root + "/cadence.sqlite", mode: .existing)
            let ana = try #require(try database.candidate("ana@example.org"))
            #expect(ana.enrollments.first?.variants == ["intro": "b"])
            #expect(ana.enrollments.first?.mailbox == "sam")
            #expect(ana.enrollments.first?.state == .active(nextStep: "intro", dueAt: Self.start))
            let cy = try #require(try database.candidate("cy@example.org"))
            #expect(cy.enrollments.first?.state == .held(step: "intro", reason: .missingFields(["candidate.company"])))
            #expect(try database.storedCampaign("q1")?.files.map(\.kind) == [.campaign, .mailbox, .template, .template, .template])
        }
    }

    @Test("newEnrollmentsPerDay staggers the starts a day apart")
    func stagger() throws {
        var files = Self.files
        files["people.csv"] = "email,firstName,company\n" + (1...5).map { "p\($0)@example.org,P,Acme" }.joined(separator: "\n") + "\n"
        try TemporaryProject.with(files) { project in
            let report = try launch(project)
            #expect(report.enrolledActive == 5)
            #expect(report.firstDue == Self.start)
            #expect(report.lastDue == Self.start.addingTimeInterval(2 * 86_400))
        }
    }

    @Test("a dry run prints the same report and writes nothing")
    func dryRun() throws {
        try TemporaryProject.with(Self.files) { project in
            let path = project.root + "/cadence.sqlite"
            _ = try CadenceDatabase.open(path: path, mode: .create)
            let before = try Self.dump(path)
            let report = try launch(project, dryRun: true)
            #expect(report.text.hasPrefix("Would launch q1 (version 1) from people.csv:\n  3 enrolled"))
            #expect(report.text.hasSuffix("Dry run: nothing was written. Run the same command without --dry-run to launch."))
            #expect(try Self.dump(path) == before)
        }
    }

    @Test("a malformed row stops the launch with file:line errors and changes nothing")
    func malformedRow() throws {
        var files = Self.files
        files["bad.csv"] = "email,firstName,company\nana@example.org,Ana,Acme\nnot-an-address,X,Y\nbo@example.org,Bo\n"
        try TemporaryProject.with(files) { project in
            _ = try launch(project)
            let path = project.root + "/cadence.sqlite"
            let before = try Self.dump(path)
            do {
                _ = try launch(project, csv: "bad.csv")
                Issue.record("launched a file with bad rows")
            } catch let error as Launcher.Failure {
                guard case .rows(let problems, _) = error else { Issue.record("\(error)"); return }
                #expect(
                    problems.map(\.description) == [
                        "bad.csv:3: error: \"not-an-address\" is not an email address: it has no @",
                        "bad.csv:4: error: the row has 2 fields but the header has 3; a value with a comma needs double quotes around it",
                    ])
            }
            #expect(try Self.dump(path) == before)
        }
    }

    @Test("a file of bad rows lists the first 100 problems and counts the rest, so a wrong file does not flood the terminal")
    func manyBadRows() throws {
        var files = Self.files
        files["wrong.csv"] = "email,firstName,company\n" + (1...150).map { "person \($0),X,Y\n" }.joined()
        try TemporaryProject.with(files) { project in
            do {
                _ = try launch(project, csv: "wrong.csv")
                Issue.record("launched a file with bad rows")
            } catch let error as Launcher.Failure {
                guard case .rows(let problems, let report) = error else { Issue.record("\(error)"); return }
                #expect(problems.count == 100)
                #expect(problems.first?.description == "wrong.csv:2: error: \"person 1\" is not an email address: it has no @")
                #expect(problems.last?.description == "wrong.csv:101: error: \"person 100\" is not an email address: it has no @")
                #expect(
                    report.text.hasSuffix(
                        "wrong.csv:101: error: \"person 100\" is not an email address: it has no @\n… and 50 more problems, not listed\n150 rows cannot be read; nothing was launched. Fix the file and launch again."
                    ))
                #expect(report.json.contains("\"rowProblemsNotListed\" : 50") || report.json.contains("\"rowProblemsNotListed\":50"))
            }
        }
    }

    @Test("--strict refuses a launch with held candidates and writes nothing")
    func strict() throws {
        try TemporaryProject.with(Self.files) { project in
            do {
                _ = try launch(project, strict: true)
                Issue.record("strict launch went ahead")
            } catch let error as Launcher.Failure {
                guard case .strict(let report) = error else { Issue.record("\(error)"); return }
                #expect(report.held == 1)
            }
            #expect(try Self.dump(project.root + "/cadence.sqlite").filter { !$0.hasPrefix("grdb_migrations") }.isEmpty)
        }
    }

    @Test("relaunching a corrected file updates held candidates and adds new rows; nobody else is touched")
    func relaunch() throws {
        var files = Self.files
        files["fixed.csv"] = "email,firstName,company\nana@example.org,Ana,Acme\ngus@example.org,Gus,Initech\ncy@example.org,Cy,Cyberdyne\neve@example.org,Eve,Acme\n"
        try TemporaryProject.with(files) { project in
            _ = try launch(project)
            let report = try launch(project, csv: "fixed.csv")
            #expect(report.updated == 1)
            #expect(report.enrolledActive == 1)
            #expect(report.skipped.map(\.reason) == [.alreadyEnrolled(state: .active), .alreadyEnrolled(state: .active)])
            let database = try CadenceDatabase.open(path: project.root + "/cadence.sqlite", mode: .existing)
            // Cy now has a company; with two starts a day, Cy's first step waits for a day with room.
            #expect(try database.candidate("cy@example.org")?.enrollments.first?.state == .active(nextStep: "intro", dueAt: Self.start.addingTimeInterval(86_400)))
        }
    }

    @Test("a launch writes nothing its foreign keys reject, and leaves them checked (and its page cache as it was) for every later write, failed launches too")
    func foreignKeys() throws {
        var files = Self.files
        files["fixed.csv"] = "email,firstName,company\nana@example.org,Ana,Acme\ngus@example.org,Gus,Initech\ncy@example.org,Cy,Cyberdyne\neve@example.org,Eve,Acme\n"
        files["bad.csv"] = "email,firstName,company\nfay@example.org,Fay,Acme\nnot an address,X,Y\n"
        try TemporaryProject.with(files) { project in
            _ = try launch(project)
            _ = try launch(project, csv: "fixed.csv")  // an update in place, new people and known ones
            #expect(throws: Launcher.Failure.self) { try launch(project, csv: "bad.csv") }
            let database = try CadenceDatabase.open(path: project.root + "/cadence.sqlite", mode: .existing)
            let (violations, enrolments) = try database.writer.write { db in
                (try Row.fetchAll(db, sql: "PRAGMA foreign_key_check"), try Int.fetchOne(db, sql: "SELECT count(*) FROM enrollment"))
            }
            #expect(violations.isEmpty)
            #expect(enrolments == 5)
            // The launch's own connection: the checks are back on once it returns, whether it committed or failed.
            let writer = try DatabaseQueue(path: project.root + "/cadence.sqlite")
            defer { try? writer.close() }
            let same = try CadenceDatabase(writer, path: project.root + "/cadence.sqlite")
            let cacheBefore = try writer.write { db in try Int.fetchOne(db, sql: "PRAGMA cache_size") }
            _ = try launchInto(same, project, csv: "fixed.csv")
            #expect(try writer.write { db in try Int.fetchOne(db, sql: "PRAGMA foreign_keys") } == 1)
            #expect(throws: Launcher.Failure.self) { try launchInto(same, project, csv: "bad.csv") }
            struct Interrupted: Error {}
            #expect(throws: Interrupted.self) {
                try same.launch(.init(id: "q1", name: "Q1", sourcePath: "sequences/q1.json", digest: "", files: []), actor: "test", now: Self.start, allowConcurrent: false) {
                    (_: LaunchSession) throws -> (result: Int, commit: Bool) in throw Interrupted()
                }
            }
            #expect(try writer.write { db in try Int.fetchOne(db, sql: "PRAGMA foreign_keys") } == 1)
            // Its page cache, made larger for the launch, is back to the size it had.
            #expect(try writer.write { db in try Int.fetchOne(db, sql: "PRAGMA cache_size") } == cacheBefore)
            #expect(throws: DatabaseError.self) {
                try writer.write { db in try db.execute(sql: "UPDATE enrollment SET candidateId = 999 WHERE id = 1") }
            }
        }
    }

    func launchInto(_ database: CadenceDatabase, _ project: TemporaryProject, csv: String) throws(Launcher.Failure) -> LaunchReport {
        let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: project.root)
        let loaded: LoadedCampaign
        do { loaded = try LoadedCampaign.load("q1", location: location) } catch { fatalError("\(error)") }
        return try Launcher.launch(loaded, database: database, options: .init(candidatesPath: csv, now: Self.start, start: Self.start, actor: "test"))
    }

    @Test("a changed campaign file refuses the launch with what changed, until update applies it")
    func changedCampaign() async throws {
        try await TemporaryProject.with(Self.files) { project in
            _ = try launch(project)
            try project.write("templates/bump.md", "Bumping this again.\n")
            try project.write("sequences/q1.json", Self.campaign.replacingOccurrences(of: "\"2bd\"", with: "\"3bd\""))
            do {
                _ = try launch(project)
                Issue.record("launched a changed campaign")
            } catch let error as Launcher.Failure {
                #expect(error == .changed(campaign: "q1", version: 1, differences: ["step bump changed", "template bump.md changed"]))
            }
            let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: project.root)
            let database = try CadenceDatabase.open(path: project.root + "/cadence.sqlite", mode: .existing)
            let result = try await Updater.update(try LoadedCampaign.load("q1", location: location), database: database, actor: "test", now: Self.start)
            #expect(result.version == 2)
            #expect(result.differences == ["step bump changed", "template bump.md changed"])
            #expect(try await Updater.update(try LoadedCampaign.load("q1", location: location), database: database, actor: "test", now: Self.start).version == nil)
            #expect(try launch(project).version == 2)
        }
    }

    @Test("update moves enrolments off a removed step and re-checks fields against new templates")
    func updateMovesAndRechecks() async throws {
        try await TemporaryProject.with(Self.files) { project in
            _ = try launch(project)
            // Remove the intro step: everyone moves on to bump, and bump now needs company.
            try project.write(
                "sequences/q1.json",
                """
                { "id": "q1", "name": "Q1", "mailboxes": ["sam"], "timeZone": "UTC",
                  "steps": [ { "id": "bump", "type": "email", "template": "a.md" } ] }
                """)
            let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: project.root)
            let database = try CadenceDatabase.open(path: project.root + "/cadence.sqlite", mode: .existing)
            let result = try await Updater.update(try LoadedCampaign.load("q1", location: location), database: database, actor: "test", now: Self.start)
            #expect(
                result.differences == [
                    "step intro removed", "step bump changed", "campaign settings changed (name, mailboxes, window, limits, …)", "template b.md no longer used", "template bump.md no longer used",
                ])
            #expect(try await database.candidate("ana@example.org")?.enrollments.first?.state == .active(nextStep: "bump", dueAt: Self.start))
            #expect(try await database.candidate("cy@example.org")?.enrollments.first?.state == .held(step: "bump", reason: .missingFields(["candidate.company"])))
        }
    }
}

extension LauncherTests {
    @Test("someone held at a later step for data an update made necessary is released by launching the file again with it")
    func relaunchReleasesALaterHold() async throws {
        var files = Self.files
        files["fixed.csv"] = "email,firstName,company,title\nana@example.org,Ana,Acme,Engineer\n"
        try await TemporaryProject.with(files) { project in
            _ = try launch(project)
            let database = try CadenceDatabase.open(path: project.root + "/cadence.sqlite", mode: .existing)
            try await sendAnasIntro(database)
            // The follow-up now needs a title nobody gave: the update holds her at it.
            try project.write("templates/bump.md", "Bumping this, <<candidate.title>>.\n")
            let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: project.root)
            _ = try await Updater.update(try LoadedCampaign.load("q1", location: location), database: database, actor: "test", now: Self.start)
            #expect(try await database.candidate("ana@example.org")?.enrollments.first?.state == .held(step: "bump", reason: .missingFields(["candidate.title"])))
            // The recruiter adds the title to her row and launches again, as `explain` and the report advise.
            let report = try launch(project, csv: "fixed.csv")
            #expect(report.updated == 1)
            let enrollment = try await #require(try database.candidate("ana@example.org")?.enrollments.first)
            // Due when the follow-up's delay after her intro ends, not at once: the fix does not shorten the wait.
            #expect(enrollment.state == .active(nextStep: "bump", dueAt: Self.bumpDue))
            #expect(try await database.candidate("ana@example.org")?.fields["title"] == "Engineer")
            #expect(try await database.dueSteps(now: Self.bumpDue, limit: 10).first { $0.address == "ana@example.org" }?.fields["title"] == "Engineer")
            #expect(try await database.sentRecords(enrollment: enrollment.id).count == 1)  // what went out stays
        }
    }

    @Test("someone past a first task step, held at the email after it, is released there by a relaunch, not started over")
    func relaunchAfterATaskStep() async throws {
        var files = Self.files
        files["sequences/q1.json"] = """
            { "id": "q1", "name": "Q1", "mailboxes": ["sam"], "timeZone": "UTC",
              "steps": [ { "id": "connect", "type": "task", "title": "Connect on LinkedIn", "instructions": "Send an invite." },
                         { "id": "intro", "type": "email", "delay": "1d", "template": "a.md" } ] }
            """
        files["fixed.csv"] = "email,firstName,company,title\nana@example.org,Ana,Acme,Engineer\n"
        try await TemporaryProject.with(files) { project in
            _ = try launch(project)
            let database = try CadenceDatabase.open(path: project.root + "/cadence.sqlite", mode: .existing)
            // Ana's task opens and is done; she is due at the intro a day later.
            _ = try await database.openDueTasks(actor: "test", now: Self.start)
            let task = try await #require(try database.openTasks(campaign: "q1", actor: "test", now: Self.start).first { $0.address == "ana@example.org" })
            _ = try await database.completeTask(task.id, note: nil, actor: "test", now: Self.start)
            // The intro now needs a title: the update holds her at it, with nothing sent.
            try project.write("templates/a.md", "Subject: Hello\n\nHello <<candidate.title>>.\n")
            let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: project.root)
            _ = try await Updater.update(try LoadedCampaign.load("q1", location: location), database: database, actor: "test", now: Self.start)
            #expect(try await database.candidate("ana@example.org")?.enrollments.first?.state == .held(step: "intro", reason: .missingFields(["candidate.title"])))
            let report = try launch(project, csv: "fixed.csv")
            #expect(report.updated == 1)
            guard case .active("intro", _)? = try await database.candidate("ana@example.org")?.enrollments.first?.state else {
                Issue.record("Ana was not released at the intro: \(await String(describing: try database.candidate("ana@example.org")?.enrollments.first?.state))")
                return
            }
            #expect(try await database.openTasks(campaign: "q1", actor: "test", now: Self.start).contains { $0.address == "ana@example.org" } == false)
        }
    }

    @Test("the same person twice in a relaunched file: the second row is a duplicate, whether or not they were written to")
    func relaunchDuplicateOfAWrittenToPerson() async throws {
        var files = Self.files
        files["fixed.csv"] = "email,firstName,company,title\nana@example.org,Ana,Acme,Engineer\nana@example.org,Ana,Acme,\n"
        try await TemporaryProject.with(files) { project in
            _ = try launch(project)
            let database = try CadenceDatabase.open(path: project.root + "/cadence.sqlite", mode: .existing)
            try await sendAnasIntro(database)
            try project.write("templates/bump.md", "Bumping this, <<candidate.title>>.\n")
            let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: project.root)
            _ = try await Updater.update(try LoadedCampaign.load("q1", location: location), database: database, actor: "test", now: Self.start)
            let report = try launch(project, csv: "fixed.csv")
            #expect(report.updated == 1)
            #expect(report.skipped.map(\.reason) == [.duplicateInFile(firstLine: 2)])
            guard case .active("bump", _)? = try await database.candidate("ana@example.org")?.enrollments.first?.state else {
                Issue.record("the second row undid the first")
                return
            }
        }
    }

    @Test("an update that lifts a hold does not shorten the wait: the step is due no sooner than its delay after the last send")
    func updateReleaseKeepsTheDelay() async throws {
        try await TemporaryProject.with(Self.files) { project in
            _ = try launch(project)
            let database = try CadenceDatabase.open(path: project.root + "/cadence.sqlite", mode: .existing)
            try await sendAnasIntro(database)
            let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: project.root)
            try project.write("templates/bump.md", "Bumping this, <<candidate.title>>.\n")
            _ = try await Updater.update(try LoadedCampaign.load("q1", location: location), database: database, actor: "test", now: Self.start)
            #expect(try await database.candidate("ana@example.org")?.enrollments.first?.state == .held(step: "bump", reason: .missingFields(["candidate.title"])))
            // An hour on, the template gets a fallback instead.
            try project.write("templates/bump.md", "Bumping this, <<candidate.title | \"friend\">>.\n")
            _ = try await Updater.update(try LoadedCampaign.load("q1", location: location), database: database, actor: "test", now: Self.start.addingTimeInterval(3_600))
            #expect(try await database.candidate("ana@example.org")?.enrollments.first?.state == .active(nextStep: "bump", dueAt: Self.bumpDue))
        }
    }

    @Test("a start in the past or more than a year ahead is refused")
    func startRange() throws {
        try TemporaryProject.with(Self.files) { project in
            let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: project.root)
            let loaded = try LoadedCampaign.load("q1", location: location)
            let database = try CadenceDatabase.inMemory()
            for (start, message) in [
                (Self.start.addingTimeInterval(-86_400), "--start 2026-11-30T09:00:00Z is in the past; leave it out to start now"),
                (Self.start.addingTimeInterval(400 * 86_400), "--start 2028-01-05T09:00:00Z is more than a year ahead; launch closer to the time"),
            ] {
                #expect(throws: Launcher.Failure.usage(message)) {
                    try Launcher.launch(loaded, database: database, options: .init(candidatesPath: "people.csv", now: Self.start, start: start, actor: "t"))
                }
            }
        }
    }

    @Test("the daily start limit holds across launches and starts only on days the window opens")
    func staggerAcrossLaunches() throws {
        var files = Self.files
        files["a.csv"] = "email,firstName,company\n" + (1...3).map { "a\($0)@example.org,A,Acme" }.joined(separator: "\n") + "\n"
        files["b.csv"] = "email,firstName,company\n" + (1...3).map { "b\($0)@example.org,B,Acme" }.joined(separator: "\n") + "\n"
        try TemporaryProject.with(files) { project in
            // Thursday 2026-12-03: two a day means Thu, Thu, Fri, then Fri, Mon, Mon (no weekend starts).
            let thursday = Date(timeIntervalSince1970: 1_796_288_400)
            let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: project.root)
            let loaded = try LoadedCampaign.load("q1", location: location)
            let database = try CadenceDatabase.open(path: project.root + "/cadence.sqlite", mode: .create)
            _ = try Launcher.launch(loaded, database: database, options: .init(candidatesPath: "a.csv", now: thursday, start: thursday, actor: "t"))
            let second = try Launcher.launch(loaded, database: database, options: .init(candidatesPath: "b.csv", now: thursday, start: thursday, actor: "t"))
            #expect(second.firstDue == Date(timeIntervalSince1970: 1_796_374_800))  // Fri 09:00
            #expect(second.lastDue == Date(timeIntervalSince1970: 1_796_634_000))  // Mon 09:00
        }
    }

    @Test("a spread day after a midnight skipped by a clock change starts at the window's opening, not an hour into the day")
    func spreadAfterSkippedMidnight() throws {
        var files = Self.files
        // Santiago skips from 00:00 to 01:00 on Sunday 2027-09-05; the window opens at midnight every day.
        files["sequences/q1.json"] = Self.campaign.replacingOccurrences(
            of: #""timeZone": "UTC","#, with: #""timeZone": "America/Santiago", "sendWindow": { "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00" },"#
        )
        .replacingOccurrences(of: #""newEnrollmentsPerDay": 2"#, with: #""newEnrollmentsPerDay": 1"#)
        files["three.csv"] = "email,firstName,company\n" + (1...3).map { "p\($0)@example.org,P,Acme" }.joined(separator: "\n") + "\n"
        try TemporaryProject.with(files) { project in
            let saturday = Date(timeIntervalSince1970: 1_820_073_600)  // Sat 2027-09-04 12:00 in Santiago (16:00 UTC)
            let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: project.root)
            let loaded = try LoadedCampaign.load("q1", location: location)
            let database = try CadenceDatabase.open(path: project.root + "/cadence.sqlite", mode: .create)
            let report = try Launcher.launch(loaded, database: database, options: .init(candidatesPath: "three.csv", now: saturday, start: saturday, actor: "t"))
            #expect(report.firstDue == saturday)
            // Sunday starts at 01:00 (its first instant), Monday at 00:00 in summer time: 03:00 UTC.
            #expect(try database.candidate("p2@example.org")?.enrollments.first?.state == .active(nextStep: "intro", dueAt: Date(timeIntervalSince1970: 1_820_116_800)))
            #expect(report.lastDue == Date(timeIntervalSince1970: 1_820_199_600))
        }
    }

    @Test("a changed signature in cadence.json is a change to the campaign")
    func mailboxChange() throws {
        try TemporaryProject.with(Self.files) { project in
            _ = try launch(project)
            try project.write(
                "cadence.json", TemporaryProject.configuration.replacingOccurrences(of: "\"timeZone\": \"Europe/Berlin\"", with: "\"timeZone\": \"Europe/Berlin\", \"signature\": \"Sam\""))
            do {
                _ = try launch(project)
                Issue.record("launched with a changed mailbox")
            } catch let error as Launcher.Failure {
                #expect(error == .changed(campaign: "q1", version: 1, differences: ["mailbox sam changed"]))
            }
        }
    }

    @Test("update closes the open task of a removed step and moves on; it keeps the times of steps that stay")
    func updateWaitingOnTask() async throws {
        var files = Self.files
        files["sequences/q1.json"] = """
            { "id": "q1", "name": "Q1", "mailboxes": ["sam"], "timeZone": "UTC",
              "steps": [ { "id": "call", "type": "task", "title": "Call", "instructions": "Ring." },
                         { "id": "connect", "type": "task", "delay": "1d", "title": "Connect", "instructions": "LinkedIn." },
                         { "id": "bump", "type": "email", "delay": "1d", "template": "a.md" } ] }
            """
        files["people.csv"] = "email,firstName,company\nana@example.org,Ana,Acme\n"
        try await TemporaryProject.with(files) { project in
            _ = try launch(project)
            let database = try CadenceDatabase.open(path: project.root + "/cadence.sqlite", mode: .existing)
            let task = try await #require(try database.openTasks(campaign: "q1", actor: "t", now: Self.start).first)
            try project.write(
                "sequences/q1.json",
                """
                { "id": "q1", "name": "Q1", "mailboxes": ["sam"], "timeZone": "UTC",
                  "steps": [ { "id": "connect", "type": "task", "title": "Connect", "instructions": "LinkedIn." },
                             { "id": "bump", "type": "email", "delay": "1d", "template": "a.md" } ] }
                """)
            let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: project.root)
            _ = try await Updater.update(try LoadedCampaign.load("q1", location: location), database: database, actor: "t", now: Self.start)
            #expect(try await database.candidate("ana@example.org")?.enrollments.first?.state == .active(nextStep: "connect", dueAt: Self.start))
            #expect(throws: StoreError.refused("task \(task.id) was already done on \(Timestamps.display(Self.start))")) {
                try database.completeTask(task.id, note: nil, actor: "t", now: Self.start)
            }
        }
    }
}

extension LauncherTests {
    @Test("new candidates go to the campaign mailbox with the lowest load in progress, across campaigns and launches")
    func balancesMailboxesByLoad() throws {
        let configuration = """
            { "mailboxes": [
                { "name": "sam", "address": "sam@example.com", "displayName": "Sam", "timeZone": "UTC", "limits": { "dailyCap": 100 } },
                { "name": "alex", "address": "alex@example.com", "displayName": "Alex", "timeZone": "UTC", "limits": { "dailyCap": 100 } } ] }
            """
        let only = { (id: String, boxes: String) in
            #"{ "id": "\#(id)", "name": "\#(id)", "mailboxes": [\#(boxes)], "timeZone": "UTC", "steps": [ { "id": "intro", "type": "email", "template": "a.md" } ] }"#
        }
        let files: [String: String?] = [
            "cadence.json": configuration,
            "sequences/first.json": only("first", #""sam""#),
            "sequences/second.json": only("second", #""sam", "alex""#),
            "templates/a.md": "Subject: Hi\n\nHello.\n",
            "four.csv": "email\n" + (1...4).map { "f\($0)@example.org" }.joined(separator: "\n") + "\n",
            "six.csv": "email\n" + (1...6).map { "s\($0)@example.org" }.joined(separator: "\n") + "\n",
        ]
        try TemporaryProject.with(files) { project in
            let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: project.root)
            let database = try CadenceDatabase.open(path: project.root + "/cadence.sqlite", mode: .create)
            _ = try Launcher.launch(try LoadedCampaign.load("first", location: location), database: database, options: .init(candidatesPath: "four.csv", now: Self.start, actor: "t"))
            _ = try Launcher.launch(try LoadedCampaign.load("second", location: location), database: database, options: .init(candidatesPath: "six.csv", now: Self.start, actor: "t"))
            // Sam already has 4 people in progress; of 6 new ones, alex takes 5 and sam 1, leaving 5 each.
            let second = try (1...6).map { try database.candidate("s\($0)@example.org")?.enrollments.first?.mailbox }
            #expect(second.filter { $0 == "alex" }.count == 5)
            #expect(second.filter { $0 == "sam" }.count == 1)
            #expect(try database.enrollmentsInProgress() == ["sam": 5, "alex": 5])
        }
    }
}

extension LauncherTests {
    /// When Ana's follow-up is due once her intro has gone out at `start`.
    static let bumpDue = start.addingTimeInterval(2 * 86_400)

    /// Ana's intro goes out at `start`, recorded as the runner records it.
    func sendAnasIntro(_ database: CadenceDatabase) async throws {
        guard case .held(let lease) = try await database.acquireLease(owner: "test", now: Self.start, seconds: 600) else { throw StoreError.refused("no lease") }
        let due = try #require(try await database.dueSteps(now: Self.start, limit: 10).first { $0.address == "ana@example.org" })
        guard case .recorded(let id) = try await database.recordIntent(due, key: SendKey(sendID: "q1.intro.ana", messageID: "m@x"), bytes: [65], fence: lease.fence, now: Self.start)
        else { throw StoreError.refused("no intent") }
        try await database.recordSent(
            id, sent: SentMessage(providerMessageID: "g1", threadID: "t1"), next: .active(nextStep: "bump", dueAt: Self.bumpDue), recipientDomain: "example.org",
            fence: lease.fence, now: Self.start)
    }
}
