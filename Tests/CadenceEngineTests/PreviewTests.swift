import CadenceCore
import CadenceEngine
import Foundation
import Testing

@Suite("Preview: rendering a campaign for a candidates file")
struct PreviewTests {
    static let campaign = """
        {
          "id": "q1", "name": "Q1", "mailboxes": ["sam"], "timeZone": "Europe/Berlin",
          "steps": [
            { "id": "intro", "type": "email", "variants": [
              { "id": "a", "template": "a.md", "weight": 50 }, { "id": "b", "template": "b.md", "weight": 50 } ] },
            { "id": "call", "type": "task", "delay": "1d", "title": "Call", "instructions": "Ring them." },
            { "id": "bump", "type": "reply", "delay": "2bd", "inThreadOf": "intro", "template": "bump.md" }
          ]
        }
        """
    static let files: [String: String?] = [
        "sequences/q1.json": campaign,
        "templates/a.md": "Subject: For <<candidate.company>>\n\nHi <<candidate.firstName | \"there\">>, question A.\n",
        "templates/b.md": "Subject: Hello <<candidate.company>>\n\nHi <<candidate.firstName | \"there\">>, question B.\n",
        "templates/bump.md": "Bumping this, <<candidate.firstName | \"there\">>.\n",
        "people.csv": "email,firstName,company\nana@example.org,Ana,Acme\ngus@example.org,,Initech\ncy@example.org,Cy,\nbad,X,Y\n",
    ]
    static let date = Date(timeIntervalSince1970: 1_796_115_600)

    func run(_ project: TemporaryProject, _ options: Preview.Options) throws -> (output: String, report: CoverageReport) {
        let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: project.root)
        let loaded = try LoadedCampaign.load("q1", location: location)
        let output = BufferedOutput.memory()
        let report = try Preview.run(loaded, options: options, output: output)
        output.flush()
        return (output.capturedText, report)
    }

    @Test("text: each candidate and step, the variant named; the coverage report names what is missing where")
    func text() throws {
        try TemporaryProject.with(Self.files) { project in
            let (output, report) = try run(project, Preview.Options(candidatesPath: "people.csv", date: Self.date))
            #expect(output.contains("── ana@example.org · intro (email, variant b) ──\nSubject: Hello Acme\n\nHi Ana, question B.\n"))
            #expect(output.contains("── ana@example.org · call (task) ──\nCall\nRing them.\n"))
            #expect(output.contains("── ana@example.org · bump (reply) ──\nSubject: Re: Hello Acme\n\nBumping this, Ana.\n"))
            #expect(output.contains("── gus@example.org · intro (email, variant a) ──\nSubject: For Initech\n\nHi there, question A.\n"))
            #expect(output.contains("── cy@example.org · intro (email, variant b) ── held: no value for candidate.company\n"))
            #expect(!output.contains("Hi ,") && !output.contains("For \n"))
            #expect(report.hasProblems)
            #expect(
                report.text == """
                    people.csv:5: error: "bad" is not an email address: it has no @
                    1 row problem; those rows were skipped.
                    Coverage: 2 of 3 candidates render every step (4 emails).
                      1 of 3 candidates lacks candidate.company (step intro, variant b)
                      1 of 3 candidates lacks candidate.company (step bump)
                    """)
        }
    }

    @Test("eml: the complete messages, exactly what the provider would get")
    func eml() throws {
        try TemporaryProject.with(Self.files) { project in
            let (output, report) = try run(
                project,
                Preview.Options(
                    candidatesPath: "people.csv", candidate: "ANA@example.org", step: "bump", format: .eml, date: Self.date))
            #expect(output.hasPrefix("From: Sam Carter <sam@example.com>\r\nTo: Ana <ana@example.org>\r\nSubject: Re: Hello Acme\r\nDate: Tue, 1 Dec 2026 09:00:00 +0000\r\n"))
            #expect(output.contains("\r\nIn-Reply-To: <cadence.q1.intro."))
            #expect(output.components(separatedBy: "\r\nMessage-ID: ").count == 2)
            #expect(report.text == "Coverage: 1 of 1 candidate renders step bump (1 email).")
            #expect(!report.hasProblems)
        }
    }

    @Test("--out writes one .eml per candidate and step that renders")
    func outFolder() throws {
        try TemporaryProject.with(Self.files) { project in
            let (output, report) = try run(project, Preview.Options(candidatesPath: "people.csv", outFolder: "out", date: Self.date))
            #expect(output.isEmpty)
            let names = try FileManager.default.contentsOfDirectory(atPath: project.root + "/out").sorted()
            #expect(names == ["ana@example.org.bump.eml", "ana@example.org.intro.eml", "gus@example.org.bump.eml", "gus@example.org.intro.eml"])
            #expect(report.text.hasSuffix("Wrote 4 .eml files to out/."))
            let bytes = try Data(contentsOf: URL(fileURLWithPath: project.root + "/out/ana@example.org.intro.eml"))
            #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("From: Sam Carter <sam@example.com>\r\n"))
        }
    }

    @Test("an unknown step, candidate or mailbox is a usage error naming the choices")
    func usage() throws {
        try TemporaryProject.with(Self.files) { project in
            #expect(throws: Preview.Failure.usage("campaign \"q1\" has no step \"bumps\" (steps: intro, call, bump); did you mean \"bump\"?")) {
                try run(project, Preview.Options(candidatesPath: "people.csv", step: "bumps", date: Self.date))
            }
            #expect(throws: Preview.Failure.usage("no candidate with the address zed@example.org in people.csv (1 row could not be read; run without --candidate to see why)")) {
                try run(project, Preview.Options(candidatesPath: "people.csv", candidate: "zed@example.org", date: Self.date))
            }
            #expect(throws: Preview.Failure.usage("campaign \"q1\" does not send from mailbox \"alex\" (it uses sam)")) {
                try run(project, Preview.Options(candidatesPath: "people.csv", date: Self.date, mailbox: "alex"))
            }
            #expect(throws: Preview.Failure.problems([.error("cannot read the candidates file; check the path", file: "nope.csv", at: nil)])) {
                try run(project, Preview.Options(candidatesPath: "nope.csv", date: Self.date))
            }
        }
    }

    @Test("a campaign is found by id or path; an invalid project renders nothing")
    func loading() throws {
        try TemporaryProject.with(Self.files) { project in
            let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: project.root)
            #expect(try LoadedCampaign.load("sequences/q1.json", location: location).definition.id == "q1")
            do {
                _ = try LoadedCampaign.load("q2", location: location)
            } catch let error as LoadedCampaign.LoadError {
                guard case .notFound(let message) = error else { Issue.record("\(error)"); return }
                #expect(message == "no campaign with id \"q2\" in sequences (campaigns: q1); did you mean \"q1\"?")
            }
        }
        try TemporaryProject.with(Self.files.merging(["templates/b.md": "no subject\n"]) { $1 }) { project in
            let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: project.root)
            do {
                _ = try LoadedCampaign.load("q1", location: location)
                Issue.record("loaded an invalid campaign")
            } catch let error as LoadedCampaign.LoadError {
                guard case .invalid(let report) = error else { Issue.record("\(error)"); return }
                #expect(report.diagnostics.count == 1)
            }
        }
    }
}

extension PreviewTests {
    @Test("--out: the same person twice is a row problem, not an overwrite; odd addresses make safe file names")
    func outDuplicates() throws {
        let files = Self.files.merging(["people.csv": "email,firstName,company\nana@example.org,Ana,Acme\nANA@example.org,Ana,Acme\na/b@example.org,AB,Acme\n"]) { $1 }
        try TemporaryProject.with(files) { project in
            let (_, report) = try run(project, Preview.Options(candidatesPath: "people.csv", outFolder: "out", date: Self.date))
            let names = try FileManager.default.contentsOfDirectory(atPath: project.root + "/out").sorted()
            #expect(names == ["a_b@example.org.bump.eml", "a_b@example.org.intro.eml", "ana@example.org.bump.eml", "ana@example.org.intro.eml"])
            #expect(report.rowProblems.map(\.description) == ["people.csv:3: error: ANA@example.org is the same person as line 2; launch skips this row"])
            #expect(report.text.hasSuffix("Wrote 4 .eml files to out/."))
        }
    }

    @Test("a template field that is no column of the file is named, with the column it probably means")
    func unknownColumn() throws {
        let files = Self.files.merging(["templates/bump.md": "Bumping this for <<candidate.compnay>>.\n"]) { $1 }
        try TemporaryProject.with(files) { project in
            let (_, report) = try run(project, Preview.Options(candidatesPath: "people.csv", step: "bump", date: Self.date))
            #expect(report.text.hasPrefix("note: people.csv has no column \"compnay\"; did you mean \"company\"?; every candidate lacks candidate.compnay\n"))
        }
    }

    @Test("two campaign files with one id: preview refuses rather than pick one")
    func duplicateIDs() throws {
        try TemporaryProject.with(Self.files.merging(["sequences/copy.json": Self.campaign]) { $1 }) { project in
            let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: project.root)
            do {
                _ = try LoadedCampaign.load("q1", location: location)
                Issue.record("loaded one of two campaigns with the same id")
            } catch let error as LoadedCampaign.LoadError {
                guard case .notFound(let message) = error else { Issue.record("\(error)"); return }
                #expect(message == "campaign id \"q1\" is used by sequences/copy.json and sequences/q1.json; ids must be unique (cadence validate shows where)")
            }
        }
    }
}
