import Foundation
import Testing

extension ProcessTests {
    /// The store commands as a person runs them, with every bad input: one line, a non-zero exit, nothing changed.
    @Suite("launch, status and steering, as processes")
    struct SteeringCommandTests {
        static func database() -> String {
            FileManager.default.temporaryDirectory.appendingPathComponent("cadence-cli-\(UUID().uuidString).sqlite").path
        }

        func run(_ arguments: [String], db: String) throws -> CadenceBinary.Output {
            try CadenceBinary.run(arguments + ["--db", db], environment: ["CADENCE_NOW": "2026-11-30T10:00:00Z", "USER": "sam"])
        }

        func fileBytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

        @Test("commands that need a database say how to get one, exit 65 and create nothing")
        func missingDatabase() throws {
            let db = Self.database()
            for command in [["status"], ["show", "ana.ruiz@example.org"], ["pause", "backend-engineers"], ["tasks"], ["suppress", "list"]] {
                let output = try run(command, db: db)
                #expect(output.status == 65, "\(command)")
                #expect(output.stderr == "cadence: error: no database at \(db); launch a campaign first (cadence launch), or point --db or CADENCE_DB at yours\n", "\(command)")
            }
            #expect(!FileManager.default.fileExists(atPath: db))
        }

        @Test("a file that is not a database is refused and left untouched")
        func corruptDatabase() throws {
            let db = Self.database()
            defer { try? FileManager.default.removeItem(atPath: db) }
            try Data("not a database, just text\n".utf8).write(to: URL(fileURLWithPath: db))
            let output = try run(["status"], db: db)
            #expect(output.status == 65)
            #expect(output.stderr == "cadence: error: \(db) is not a Cadence database or is damaged; restore it from a backup, or point --db elsewhere\n")
            #expect(fileBytes(db) == Data("not a database, just text\n".utf8))
        }

        @Test("unknown campaigns, candidates and tasks are one-line errors that change nothing")
        func unknowns() throws {
            let db = Self.database()
            defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) } }
            #expect(try run(["launch", "backend-engineers", "--candidates", "examples/candidates.csv"], db: db).status == 0)
            let before = try run(["status", "--format", "json"], db: db).stdout
            let pause = try run(["pause", "backend-enginers"], db: db)
            #expect(pause.status == 65)
            #expect(pause.stderr == "cadence: error: no campaign \"backend-enginers\" has been launched (launched: backend-engineers); did you mean \"backend-engineers\"?\n")
            let show = try run(["show", "nobody@example.org"], db: db)
            #expect(show.status == 65)
            #expect(show.stderr.hasPrefix("cadence: error: no candidate nobody@example.org in "))
            let done = try run(["tasks", "done", "42"], db: db)
            #expect(done.status == 65)
            #expect(done.stderr == "cadence: error: no task 42; `cadence tasks` lists the open ones\n")
            let badAddress = try run(["show", "nobody"], db: db)
            #expect(badAddress.status == 64)
            // label: someone who never replied, someone unknown, a label that does not exist.
            let noReply = try run(["label", "ana.ruiz@example.org", "interested"], db: db)
            #expect(noReply.status == 65)
            #expect(noReply.stderr == "cadence: error: no reply from ana.ruiz@example.org is recorded; `cadence show ana.ruiz@example.org` lists what came back\n")
            #expect(try run(["label", "nobody@example.org", "interested"], db: db).stderr == "cadence: error: no candidate nobody@example.org is enrolled in any campaign\n")
            let badLabel = try run(["label", "ana.ruiz@example.org", "maybe"], db: db)
            #expect(badLabel.status == 64 && badLabel.stderr.contains("Please provide one of 'interested', 'not-now' or 'no'"))
            #expect(try run(["status", "--format", "json"], db: db).stdout == before)
        }

        @Test("status CAMPAIGN --forecast answers for that campaign alone (its mailboxes' queues still count every campaign's work); an unknown one is an error")
        func forecastOfOneCampaign() throws {
            let db = Self.database()
            defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) } }
            #expect(try run(["launch", "backend-engineers", "--candidates", "examples/candidates.csv"], db: db).status == 0)
            #expect(try run(["launch", "ops-leaders-q1", "--candidates", "examples/candidates.csv", "--allow-concurrent"], db: db).status == 0)
            let all = try run(["status", "--forecast", "--format", "json"], db: db)
            let one = try run(["status", "ops-leaders-q1", "--forecast", "--format", "json"], db: db)
            #expect(one.status == 0)
            func parse(_ text: String) throws -> [String: Any] { try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) }
            let campaigns = { (json: [String: Any]) in (json["campaigns"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } }
            #expect(campaigns(try parse(all.stdout)) == ["backend-engineers", "ops-leaders-q1"])
            #expect(campaigns(try parse(one.stdout)) == ["ops-leaders-q1"])
            // The mailbox is shared: its queue is the same whichever campaign is asked about.
            #expect((try parse(one.stdout)["mailboxes"] as? [[String: Any]])?.first?["emails"] as? Int == 24)
            let text = try run(["status", "ops-leaders-q1", "--forecast"], db: db).stdout
            #expect(!text.contains("backend-engineers:"))
            #expect(text.contains("ops-leaders-q1: 4 in progress"))
            #expect(try run(["stop", "ops-leaders-q1"], db: db).status == 0)
            let stopped = try parse(try run(["status", "ops-leaders-q1", "--forecast", "--format", "json"], db: db).stdout)
            #expect(campaigns(stopped).isEmpty)
            #expect(stopped["stopped"] as? [String] == ["ops-leaders-q1"])
            let unknown = try run(["status", "ops-leaders", "--forecast"], db: db)
            #expect(unknown.status == 65)
            #expect(unknown.stderr.hasPrefix("cadence: error: no campaign \"ops-leaders\" has been launched"))
        }

        @Test("a candidates file that cannot be read mid-way stops the launch and writes nothing")
        func unreadableCandidates() throws {
            let db = Self.database()
            defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) } }
            // Reading /proc/self/mem fails with an I/O error, as a file on a failing disk or a vanished mount does.
            let output = try run(["launch", "backend-engineers", "--candidates", "/proc/self/mem"], db: db)
            #expect(output.status == 65)
            #expect(output.stdout == "/proc/self/mem: error: reading the file failed after line 0; check that it is still there and readable\n")
            // The launch created the database and failed: it leaves no file behind.
            #expect(!FileManager.default.fileExists(atPath: db))
        }

        @Test("launch, relaunch, tasks, stop, suppress and forget end to end")
        func endToEnd() throws {
            let db = Self.database()
            defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) } }
            let first = try run(["launch", "backend-engineers", "--candidates", "examples/candidates.csv", "--start", "2026-12-01T08:00:00Z", "--format", "json"], db: db)
            #expect(first.status == 0)
            #expect(first.stdout.contains("\"enrolled\" : 4"))
            let again = try run(["launch", "backend-engineers", "--candidates", "examples/candidates.csv"], db: db)
            #expect(again.stdout.contains("4 skipped:"))
            #expect(try run(["tasks"], db: db).stdout == "No open tasks.\n")
            let stop = try run(["stop", "--candidate", "ana.ruiz@example.org", "--note", "hired"], db: db)
            #expect(stop.stdout == "Stopped ana.ruiz@example.org: 1 enrolment; stopping is final.\n")
            #expect(
                try run(["stop", "--candidate", "ana.ruiz@example.org"], db: db).stdout
                    == "Nothing to stop for ana.ruiz@example.org: no enrolment there is in progress (already stopped or finished).\n")
            let badEntry = try run(["suppress", "add", "foo"], db: db)
            #expect(badEntry.status == 64)
            #expect(badEntry.stderr == "cadence: error: \"foo\" is neither an email address nor a domain such as example.com\n")
            #expect(try run(["show", "ana.ruiz@example.org"], db: db).stdout.contains("backend-engineers, from mailbox sam: stopped: by hand: hired"))
            #expect(try run(["suppress", "add", "example.de", "--reason", "client"], db: db).stdout.hasPrefix("Suppressed 1 new entry (0 already there).\n"))
            #expect(try run(["suppress", "export"], db: db).stdout == "kind,value,reason,addedAt\ndomain,example.de,\"client\",2026-11-30T10:00:00Z\n")
            let forget = try run(["forget", "zoe.oconnor@example.net"], db: db)
            #expect(forget.stdout == "Erased zoe.oconnor@example.net and 1 enrolment; a hash of the address stays on the suppression list.\n")
            let status = try run(["status", "--format", "json"], db: db).stdout
            #expect(status.contains("\"candidates\" : 4"))
            #expect(!status.contains("zoe"))
        }
    }
}

extension ProcessTests.SteeringCommandTests {
    @Test("suppress export reads back with suppress import; CRLF lines are numbered right")
    func suppressRoundTrip() throws {
        let db = Self.database(), other = Self.database()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-supp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(at: folder)
            for path in [db, other] { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        }
        #expect(try run(["suppress", "add", "acme.com", "x@y.org", "--reason", "client"], db: db).status == 0)
        #expect(try run(["forget", "gone@example.org"], db: db).status == 0)
        let exported = try run(["suppress", "export"], db: db).stdout
        try Data(exported.utf8).write(to: folder.appendingPathComponent("e.csv"))
        let imported = try run(["suppress", "import", folder.appendingPathComponent("e.csv").path], db: other)
        #expect(imported.stdout == "Imported 3 entries from \(folder.appendingPathComponent("e.csv").path): 3 new.\n")
        #expect(try run(["suppress", "export"], db: other).stdout.components(separatedBy: "\n").count == exported.components(separatedBy: "\n").count)
        try Data("email\r\na@b.org\r\n\r\nnot an address\r\n".utf8).write(to: folder.appendingPathComponent("bad.csv"))
        let bad = try run(["suppress", "import", folder.appendingPathComponent("bad.csv").path], db: other)
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("bad.csv:4: error: \"not an address\" is neither an email address nor a domain"))
        let remove = try run(["suppress", "remove", "gone@example.org"], db: db)
        #expect(remove.stderr == "cadence: error: gone@example.org was forgotten on request; only a hash of it is kept, and it stays on the list so they are never contacted again\n")
    }

    @Test("a campaign named by id whose file has errors shows the errors, exit 65")
    func campaignWithErrors() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-proj-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        for item in ["cadence.json", "sequences", "templates", "examples"] {
            try FileManager.default.copyItem(at: CadenceBinary.repositoryRoot.appendingPathComponent(item), to: root.appendingPathComponent(item))
        }
        let file = root.appendingPathComponent("sequences/recruiting-backend.json")
        try Data(try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "\"2bd\"", with: "\"2 days\"").utf8).write(to: file)
        let output = try CadenceBinary.run(["launch", "backend-engineers", "--candidates", "examples/candidates.csv", "--db", root.appendingPathComponent("x.sqlite").path], in: root)
        #expect(output.status == 65)
        #expect(output.stdout.hasPrefix("sequences/recruiting-backend.json:34:16: error: step \"linkedin\": \"2 days\" is not a delay; write \"2d\""))
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("x.sqlite").path))
    }

    @Test("database paths that cannot work say why")
    func databasePaths() throws {
        let folder = FileManager.default.temporaryDirectory.path
        let directory = try run(["status"], db: folder)
        #expect(directory.stderr == "cadence: error: \(folder) is a folder; give --db the path of a database file inside it, such as \(folder)/cadence.sqlite\n")
        let missingFolder = try run(["launch", "backend-engineers", "--candidates", "examples/candidates.csv"], db: folder + "/no-such-folder/x.sqlite")
        #expect(missingFolder.stderr == "cadence: error: the folder \(folder)/no-such-folder does not exist; create it, or point --db elsewhere\n")
        #expect(missingFolder.status == 65)
    }
}

extension ProcessTests.SteeringCommandTests {
    @Test("--format json has stable field names, reasons in parts, and null for what is absent")
    func jsonShapes() throws {
        let db = Self.database()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) } }
        _ = try run(["launch", "backend-engineers", "--candidates", "examples/candidates.csv"], db: db)
        _ = try run(["pause", "backend-engineers", "--candidate", "kim@example.com", "--note", "leave"], db: db)
        let status = try JSONSerialization.jsonObject(with: Data(try run(["status", "--format", "json"], db: db).stdout.utf8)) as? [[String: Any]]
        let intro = (status?.first?["steps"] as? [[String: Any]])?.first
        let held = (intro?["held"] as? [[String: Any]])?.first
        #expect(held?["kind"] as? String == "missingFields")
        #expect(held?["fields"] as? [String] == ["candidate.company"])
        #expect(held?["count"] as? Int == 1)
        #expect((intro?["paused"] as? [[String: Any]])?.first?["note"] as? String == "leave")
        let later = (status?.first?["steps"] as? [[String: Any]])?.last
        #expect(later?["nextDue"] is NSNull)
        let show = try JSONSerialization.jsonObject(with: Data(try run(["show", "kim@example.com", "--format", "json"], db: db).stdout.utf8)) as? [String: Any]
        let enrollment = (show?["enrollments"] as? [[String: Any]])?.first
        #expect(enrollment?["state"] as? String == "paused")
        #expect((enrollment?["reason"] as? [String: Any])?["kind"] as? String == "manual")
        #expect(enrollment?["dueAt"] is NSNull)
    }
}

extension ProcessTests.SteeringCommandTests {
    @Test("stats prints a table with denominators, and the same numbers as JSON and CSV")
    func stats() throws {
        let db = Self.database()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) } }
        _ = try run(["launch", "ops-leaders-q1", "--candidates", "examples/candidates.csv"], db: db)
        let text = try run(["stats"], db: db)
        #expect(text.status == 0)
        #expect(text.stdout.contains("  opener            email         5     0          0        0           0        0      0    0          -      -\n"))
        #expect(text.stdout.contains("  call              task          5     -          -        -           -        -      -    -          -  0/0/0\n"))
        #expect(text.stdout.contains("Rates: sent is out of enrolled, bounced out of sent, the rest out of delivered (sent less bounced)."))
        let csv = try run(["stats", "ops-leaders-q1", "--format", "csv"], db: db).stdout
        #expect(
            csv.hasPrefix(
                "campaign,step,variant,type,enrolled,sent,delivered,bounced,replied,repliedEventually,positiveReplies,unsubscribed,outOfOffice,opened,openedLikelyHuman,clicked,clickedLikelyHuman,unsubscribedByLink,tasksDone,tasksOpen,tasksOverdue,medianSecondsToFirstReply\nops-leaders-q1,opener,,email,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,\n"
            ))
        // Its opener has two variants: compared, and nothing to tell yet.
        #expect(text.stdout.contains("\n  opener, replies over delivered: too few sends to tell (n=0 and 0; at least 20 each)\n"))
        let json = try JSONSerialization.jsonObject(with: Data(try run(["stats", "--format", "json"], db: db).stdout.utf8)) as? [[String: Any]]
        #expect((json?.first?["steps"] as? [[String: Any]])?.count == 6)
        let comparison = (json?.first?["variantComparisons"] as? [[String: Any]])?.first
        #expect(comparison?["step"] as? String == "opener" && comparison?["rate"] as? String == "replied/delivered")
        #expect(comparison?["leader"] is NSNull && (comparison?["versus"] as? [Any])?.isEmpty == true)
        #expect((comparison?["verdict"] as? String)?.hasPrefix("too few sends to tell") == true)
    }
}

extension ProcessTests.SteeringCommandTests {
    @Test("stats --by and --since/--until: slices and series as text, JSON and CSV; a bad day or range is refused with exit 64")
    func statsSlices() throws {
        let db = Self.database()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) } }
        _ = try run(["launch", "ops-leaders-q1", "--candidates", "examples/candidates.csv"], db: db)
        let byMailbox = try run(["stats", "ops-leaders-q1", "--by", "mailbox", "--format", "json"], db: db)
        let json = try JSONSerialization.jsonObject(with: Data(byMailbox.stdout.utf8)) as? [[String: Any]]
        #expect(json?.first?["by"] as? String == "mailbox")
        #expect((json?.first?["slices"] as? [[String: Any]])?.map { "\($0["value"] ?? "") \($0["enrolled"] ?? "")" } == ["sam 5"])
        #expect((json?.first?["rateDenominators"] as? [String: String])?["replied"] == "delivered")
        let weeks = try run(["stats", "--by", "week", "--format", "csv"], db: db)
        #expect(weeks.status == 0)
        #expect(weeks.stdout.hasPrefix("campaign,period,enrolled,sent,delivered,"))
        #expect(weeks.stdout.split(separator: "\n").count == 2, "\(weeks.stdout)")
        let cohort = try run(["stats", "--since", "2026-01-01", "--until", "2026-01-31"], db: db)
        #expect(cohort.stdout.contains("(0 enrolled; the cohort first sent to from 2026-01-01 to 2026-01-31, America/New_York)"), "\(cohort.stdout)")
        let badDay = try run(["stats", "--since", "2026-02-30"], db: db)
        #expect(badDay.status == 64)
        #expect(badDay.stderr.contains("\"2026-02-30\" is not a day; write one that exists as YYYY-MM-DD"))
        let backwards = try run(["stats", "--since", "2026-03-02", "--until", "2026-03-01"], db: db)
        #expect(backwards.status == 64)
        #expect(backwards.stderr.contains("--until 2026-03-01 is before --since 2026-03-02"))
        let badSlice = try run(["stats", "--by", "month"], db: db)
        #expect(badSlice.status == 64 && badSlice.stderr.contains("'mailbox', 'launch', 'day' or 'week'"))
    }
}

extension ProcessTests.SteeringCommandTests {
    @Test("cadence demo runs the bundled campaign to the end, the same way every time, and leaves nothing behind")
    func demo() throws {
        let first = try CadenceBinary.run(["demo"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("3. Launch it"))
        #expect(first.stdout.contains("12 emails by 2027-01-30 07:00 UTC.\nbackend-engineers finishes on 2026-12-14 08:30 UTC"))
        #expect(first.stdout.contains("The outbox holds 12 .eml files, one per email sent."))
        #expect(first.stdout.contains("  5 candidates; finished 4; stopped 0"))
        let second = try CadenceBinary.run(["demo"])
        #expect(second.stdout == first.stdout)
        #expect(!FileManager.default.fileExists(atPath: CadenceBinary.repositoryRoot.appendingPathComponent("cadence.sqlite").path))
    }
}

extension ProcessTests.SteeringCommandTests {
    @Test("cadence demo --sandbox goes through OAuth, messages.send, threads, token refresh and a reply that stops a candidate, against a labelled sandbox Gmail")
    func sandboxDemo() throws {
        let run = try CadenceBinary.run(["demo", "--sandbox"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("SANDBOX: a stand-in for Gmail runs on http://127.0.0.1:"))
        #expect(run.stdout.contains("Authorised sam.carter@example.com with gmail.send, gmail.readonly; PKCE and state checked"))
        #expect(run.stdout.contains("ok  sam: sam.carter@example.com reachable; scopes gmail.send gmail.readonly"))
        #expect(run.stdout.contains("(sandbox: ana.ruiz@example.org replies in her thread on 2026-12-03 07:30 UTC)"))
        #expect(run.stdout.contains("10 emails by 2027-01-30 07:00 UTC."))
        #expect(run.stdout.contains("The sandbox Gmail sent 10 messages in 4 threads; none was sent twice"))
        #expect(run.stdout.contains("ana.ruiz@example.org replied, so reply watching stopped her sequence: stopped: replied."))
        #expect(run.stdout.contains("  5 candidates; finished 3; stopped 1 (replied 1)"))
        // Tracking through a real cadence serve: a Gmail-proxy open, Apple's prefetch, a gateway's scan, a person's
        // click, one click. Opened 2/1: Apple's fetch counts in all only.
        #expect(run.stdout.contains("kim@example.com opens the email in Gmail: Gmail's image proxy fetches the pixel (200)."))
        #expect(run.stdout.contains("jurgen.muller@example.de uses Apple Mail: Apple's relay fetches the pixel on arrival, read or not (200)."))
        #expect(run.stdout.contains("jurgen.muller@example.de's mail gateway checks the link (302); nobody clicked it."))
        #expect(run.stdout.contains("zoe.oconnor@example.net clicks the link in a browser (302: redirected to the address the email linked)."))
        #expect(run.stdout.contains("the RFC 8058 one-click POST (200) suppresses the address at once."))
        #expect(
            run.stdout.contains(
                "  intro               email         5  4 (80%)          4  1 (25%)     1 (25%)        0      0    0         2d  2/1 (25%)  2/1 (25%)     1 (25%)      -\n"))
        #expect(run.stderr.isEmpty)
    }
}
