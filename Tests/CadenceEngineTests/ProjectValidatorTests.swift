import CadenceCore
import CadenceEngine
import Foundation
import Testing

@Suite("Validating a project on disk")
struct ProjectValidatorTests {
    @Test("a clean project says what it checked")
    func clean() throws {
        let report = try TemporaryProject.with { $0.validate() }
        #expect(report.diagnostics.isEmpty)
        #expect(report.text == "Checked cadence.json (1 mailbox) and 1 campaign (2 steps, 2 templates, 0 attachments): no problems found.")
    }

    @Test("the bundled example project validates")
    func bundledExamples() {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let report = ProjectValidator.validate(
            location: ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: repository))
        #expect(report.diagnostics.map(\.description) == [])
        #expect(report.campaignFiles == ["sequences/recruiting-backend.json", "sequences/sales-outbound.json"])
        #expect(report.attachmentCount == 1)
    }

    @Test("a missing configuration file says how to create one")
    func missingConfiguration() throws {
        let report = try TemporaryProject.with(["cadence.json": nil]) { $0.validate() }
        #expect(
            report.diagnostics.map(\.description) == [
                "cadence.json: error: no configuration file; create cadence.json with your sending mailboxes (see docs/configuration.md), or pass --config PATH"
            ])
        #expect(report.hasErrors)
    }

    @Test("--config and CADENCE_CONFIG choose the configuration, and its folder is the project root")
    func configurationLocation() throws {
        try TemporaryProject.with { project in
            let explicit = ProjectLocation.resolve(explicit: "sub/c.json", environment: ["CADENCE_CONFIG": "/x/y.json"], currentDirectory: "/w")
            #expect(explicit.configurationPath == "/w/sub/c.json")
            #expect(explicit.root == "/w/sub")
            let environment = ProjectLocation.resolve(explicit: nil, environment: ["CADENCE_CONFIG": "/x/y.json"], currentDirectory: "/w")
            #expect(environment.configurationPath == "/x/y.json")
            let fallback = ProjectLocation.resolve(explicit: nil, environment: ["CADENCE_CONFIG": ""], currentDirectory: "/w")
            #expect(fallback.configurationPath == "/w/cadence.json")
            // Run from elsewhere: paths are shown relative to the working directory.
            let report = ProjectValidator.validate(
                location: ProjectLocation.resolve(explicit: project.root + "/cadence.json", environment: [:], currentDirectory: "/"))
            #expect(report.configurationFiles == [String(project.root.dropFirst()) + "/cadence.json"])
            #expect(!report.hasErrors)
        }
    }

    @Test("a missing template is located in the campaign, with the file to create and a suggestion")
    func missingTemplate() throws {
        let report = try TemporaryProject.with(["templates/bump.md": nil, "templates/bumps.md": "Hi\n"]) { $0.validate() }
        #expect(
            report.diagnostics.map(\.description) == [
                "sequences/q1.json:8:89: error: template \"bump.md\" of step \"bump\" not found; create templates/bump.md or fix the name; did you mean \"bumps.md\"?"
            ])
    }

    @Test("an email template needs a subject; a reply template must not have one")
    func templateSubjects() throws {
        let report = try TemporaryProject.with([
            "templates/intro.md": "Hi there\n", "templates/bump.md": "Subject: Again\n\nHi\n",
        ]) { $0.validate() }
        #expect(
            report.diagnostics.map(\.description) == [
                "sequences/q1.json:7:51: error: step \"intro\" is an email step, which starts a thread, but its template templates/intro.md has no subject; start the template with a \"Subject: …\" line and a blank line",
                "sequences/q1.json:8:89: error: step \"bump\" is a reply step, which keeps its thread's subject, but its template templates/bump.md has a Subject line; remove it (\"replySubject\" decides the reply's subject)",
            ])
    }

    @Test("template files with broken headers are reported in the template")
    func templateErrors() throws {
        let report = try TemporaryProject.with([
            "templates/intro.md": "Subject:   \n\nHi\n", "templates/bump.md": "\n\n",
        ]) { $0.validate() }
        #expect(
            report.diagnostics.map(\.description) == [
                "templates/intro.md:1:1: error: the Subject line is empty; write the subject after \"Subject:\"",
                "templates/bump.md: error: the template has no body; write the message below the first line",
            ])
        let noBlank = try TemporaryProject.with(["templates/intro.md": "Subject: Hi\nBody right away\n"]) { $0.validate() }
        #expect(
            noBlank.diagnostics.map(\.description) == [
                "templates/intro.md:2:1: error: leave a blank line between the Subject line and the body"
            ])
    }

    @Test("a missing attachment says where it was looked for")
    func missingAttachment() throws {
        let campaign = TemporaryProject.campaign.replacingOccurrences(of: "\"intro.md\" }", with: "\"intro.md\", \"attachments\": [\"files/brief.pdf\"] }")
        let report = try TemporaryProject.with(["sequences/q1.json": campaign]) { $0.validate() }
        #expect(
            report.diagnostics.map(\.description) == [
                "sequences/q1.json:7:79: error: attachment \"files/brief.pdf\" of step \"intro\" not found; looked for sequences/files/brief.pdf (attachments are read from the campaign file's folder)"
            ])
    }

    @Test("attachments that would make the message larger than 25 MB are refused; just under is fine")
    func oversizedAttachment() throws {
        let campaign = TemporaryProject.campaign.replacingOccurrences(
            of: "\"intro.md\" }", with: "\"intro.md\", \"attachments\": [\"a.bin\", \"b.bin\"] }")
        try TemporaryProject.with(["sequences/q1.json": campaign]) { project in
            try project.writeSparse("sequences/a.bin", bytes: 10_000_000)
            try project.writeSparse("sequences/b.bin", bytes: 9_000_000)
            #expect(project.validate().diagnostics.isEmpty)
            try project.writeSparse("sequences/b.bin", bytes: 10_000_000)
            #expect(
                project.validate().diagnostics.map(\.description) == [
                    "sequences/q1.json:7:79: error: the attachments of step \"intro\" make a message of about 26.2 MB once encoded; Gmail takes at most 25 MB, so link to large files instead"
                ])
        }
    }

    @Test("two campaigns with one id")
    func duplicateCampaignIDs() throws {
        let report = try TemporaryProject.with(["sequences/q1-copy.json": TemporaryProject.campaign]) { $0.validate() }
        #expect(
            report.diagnostics.map(\.description) == [
                "sequences/q1.json:2:9: error: campaign id \"q1\" is also used by sequences/q1-copy.json:2:9; campaign ids must be unique"
            ])
    }

    @Test("an unknown mailbox names the ones cadence.json defines")
    func unknownMailbox() throws {
        let campaign = TemporaryProject.campaign.replacingOccurrences(of: "[\"sam\"]", with: "[\"sam\", \"alex\"]")
        let report = try TemporaryProject.with(["sequences/q1.json": campaign]) { $0.validate() }
        #expect(
            report.diagnostics.map(\.description) == [
                "sequences/q1.json:4:24: error: unknown mailbox \"alex\" (cadence.json defines \"sam\")"
            ])
    }

    @Test("problems in the configuration and every campaign are all reported in one run")
    func collectsAcrossFiles() throws {
        let report = try TemporaryProject.with([
            "cadence.json": TemporaryProject.configuration.replacingOccurrences(of: "Europe/Berlin", with: "Berlin"),
            "sequences/q1.json": TemporaryProject.campaign.replacingOccurrences(of: "\"2bd\"", with: "\"2 days\""),
            "sequences/other.json": "{ \"id\": \"other\" ",
        ]) { $0.validate() }
        #expect(
            report.diagnostics.map(\.description) == [
                "cadence.json:3:93: error: unknown time zone \"Berlin\"; use an IANA name such as \"America/New_York\" or \"Europe/London\"",
                "sequences/other.json:1:17: error: invalid JSON: unexpected end of file; the object opened at line 1, column 1 is not closed",
                "sequences/q1.json:8:47: error: step \"bump\": \"2 days\" is not a delay; write \"2d\"",
            ])
        #expect(report.text.hasSuffix("Checked cadence.json (0 mailboxes) and 2 campaigns (0 steps, 2 templates, 0 attachments): 3 errors."))
    }

    @Test("paths: one campaign file, a folder of campaigns, a missing path; schemas are skipped")
    func paths() throws {
        try TemporaryProject.with([
            "sequences/campaign.schema.json": "{ \"not\": \"a campaign\" }",
            "drafts/d.json": TemporaryProject.campaign.replacingOccurrences(of: "\"q1\"", with: "\"d1\""),
        ]) { project in
            #expect(project.validate().campaignFiles == ["sequences/q1.json"])
            let one = project.validate(["drafts/d.json"])
            #expect(one.campaignFiles == ["drafts/d.json"])
            #expect(one.diagnostics.isEmpty)
            #expect(project.validate(["drafts"]).campaignFiles == ["drafts/d.json"])
            let configurationOnly = project.validate(["cadence.json"])
            #expect(configurationOnly.campaignFiles.isEmpty && configurationOnly.configurationFiles == ["cadence.json"])
            let missing = project.validate(["nope.json"])
            #expect(missing.diagnostics.map(\.description) == ["nope.json: error: no such file or folder"])
            #expect(missing.configurationFiles == ["cadence.json"])
            #expect(project.validate(["."]).campaignFiles == ["sequences/q1.json"])
            #expect(project.validate(["sequences/q1.json", "sequences/campaign.schema.json"]).campaignFiles == ["sequences/q1.json"])
        }
    }

    @Test("a folder holding its own cadence.json is validated as its own project")
    func nestedProject() throws {
        try TemporaryProject.with { project in
            for (path, content) in TemporaryProject.standardFiles { try project.write("other/" + path, content) }
            try project.write("other/templates/bump.md", "Subject: x\n\nHi\n")
            let report = project.validate(["other"])
            #expect(report.configurationFiles == ["other/cadence.json"])
            #expect(
                report.diagnostics.map(\.description) == [
                    "other/sequences/q1.json:8:89: error: step \"bump\" is a reply step, which keeps its thread's subject, but its template other/templates/bump.md has a Subject line; remove it (\"replySubject\" decides the reply's subject)"
                ])
        }
    }

    @Test("--format json has every diagnostic and what was checked")
    func json() throws {
        let report = try TemporaryProject.with(["templates/bump.md": nil]) { $0.validate() }
        let document = try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any]
        #expect(document?["errors"] as? Int == 1)
        #expect(document?["warnings"] as? Int == 0)
        let diagnostics = document?["diagnostics"] as? [[String: Any]]
        #expect(diagnostics?.first?["file"] as? String == "sequences/q1.json")
        #expect(diagnostics?.first?["line"] as? Int == 8)
        #expect(diagnostics?.first?["column"] as? Int == 89)
        #expect(diagnostics?.first?["severity"] as? String == "error")
        let checked = document?["checked"] as? [String: Any]
        #expect(checked?["campaigns"] as? [String] == ["sequences/q1.json"])
    }

    @Test("validate writes nothing")
    func writesNothing() throws {
        try TemporaryProject.with { project in
            func listing() -> [String] { (FileManager.default.enumerator(atPath: project.root)?.allObjects as? [String] ?? []).sorted() }
            let before = listing()
            _ = project.validate()
            #expect(listing() == before)
        }
    }
}

extension ProjectValidatorTests {
    @Test("merge-field mistakes in templates are located in the template")
    func mergeFieldMistakes() throws {
        let report = try TemporaryProject.with([
            "templates/intro.md": "Subject: Hi <<candidate.firstName | capitalise>>\n\nHi <<contact.firstName>>,\n"
        ]) { $0.validate() }
        #expect(
            report.diagnostics.map(\.description) == [
                "templates/intro.md:1:13: error: unknown filter \"capitalise\" in <<candidate.firstName | capitalise>>; filters are capitalize, lower, upper, firstWord, and a fallback is a quoted string; did you mean \"capitalize\"?",
                "templates/intro.md:3:4: error: unknown namespace \"contact\" in <<contact.firstName>>; use candidate.* (a CSV column), sender.* (the mailbox) or links.* (links Cadence makes)",
            ])
    }
}

extension ProjectValidatorTests {
    @Test("a template name that is a folder says so")
    func templateFolder() throws {
        let campaign = TemporaryProject.campaign.replacingOccurrences(of: "\"intro.md\"", with: "\"drafts.md\"")
        let report = try TemporaryProject.with(["sequences/q1.json": campaign, "templates/drafts.md/a.md": "x\n"]) { $0.validate() }
        #expect(
            report.diagnostics.map(\.description) == [
                "sequences/q1.json:7:51: error: template \"drafts.md\" of step \"intro\" is a folder; name a .md file inside templates/"
            ])
    }
}

extension ProjectValidatorTests {
    static let tracked = TemporaryProject.configuration.replacingOccurrences(
        of: "\"mailboxes\"", with: "\"tracking\": { \"baseURL\": \"https://t.example.com\", \"key\": { \"env\": \"K\" } }, \"mailboxes\"")

    @Test("<<links.unsubscribe>> without tracking, or with unsubscribe off, is an error at the step's template")
    func unsubscribeLinkNeedsTracking() throws {
        let template = "Subject: Hello\n\nHi. [Unsubscribe](<<links.unsubscribe>>)\n"
        let untracked = try TemporaryProject.with(["templates/intro.md": template]) { $0.validate() }
        #expect(
            untracked.diagnostics.map(\.description) == [
                "sequences/q1.json:7:51: error: template \"intro.md\" of step \"intro\" places <<links.unsubscribe>>, but cadence.json has no \"tracking\" section to make it (see docs/configuration.md); every step using it would be held"
            ])
        let off = try TemporaryProject.with(
            [
                "cadence.json": Self.tracked, "templates/intro.md": template,
                "sequences/q1.json": TemporaryProject.campaign.replacingOccurrences(of: "\"steps\"", with: "\"tracking\": {\"unsubscribe\": false}, \"steps\""),
            ]
        ) { $0.validate() }
        #expect(off.diagnostics.map(\.description).contains { $0.contains("this campaign's tracking has \"unsubscribe\": false") })
        let fine = try TemporaryProject.with(["cadence.json": Self.tracked, "templates/intro.md": template]) { $0.validate() }
        #expect(fine.diagnostics.isEmpty, "\(fine.diagnostics)")
    }

    @Test("a tracked campaign that shows no unsubscribe link is warned about; the footer or the field in any template answers it")
    func trackedWithoutVisibleLink() throws {
        let report = try TemporaryProject.with(["cadence.json": Self.tracked]) { $0.validate() }
        #expect(
            report.diagnostics.map(\.description) == [
                "sequences/q1.json:2:9: warning: campaign \"q1\" is tracked, but no template shows an unsubscribe link; add [Unsubscribe](<<links.unsubscribe>>) to its templates or set \"tracking\": {\"footer\": true} (not every mail client shows List-Unsubscribe)"
            ])
        #expect(!report.hasErrors)
        let footer = try TemporaryProject.with(
            ["cadence.json": Self.tracked, "sequences/q1.json": TemporaryProject.campaign.replacingOccurrences(of: "\"steps\"", with: "\"tracking\": {\"footer\": true}, \"steps\"")]
        ) { $0.validate() }
        #expect(footer.diagnostics.isEmpty)
    }

    @Test("hot-lead tasks need clicks tracked: without tracking or with clicks off, the campaign is refused at its id")
    func hotLeadsNeedClicks() throws {
        func campaign(_ tracking: String) -> String {
            TemporaryProject.campaign.replacingOccurrences(of: "\"steps\"", with: "\"tracking\": \(tracking), \"steps\"")
        }
        let untracked = try TemporaryProject.with(["sequences/q1.json": campaign("{\"hotLeads\": true}")]) { $0.validate() }
        #expect(
            untracked.diagnostics.map(\.description).contains(
                "sequences/q1.json:2:9: error: campaign \"q1\" asks for hot-lead tasks (\"hotLeads\": true), but cadence.json has no \"tracking\" section, so no click could open one"
            ), "\(untracked.diagnostics)")
        let off = try TemporaryProject.with(["cadence.json": Self.tracked, "sequences/q1.json": campaign("{\"hotLeads\": true, \"clicks\": false, \"footer\": true}")]) {
            $0.validate()
        }
        #expect(off.diagnostics.map(\.description).contains { $0.contains("this campaign's clicks are not tracked (\"clicks\": false)") })
        let fine = try TemporaryProject.with(["cadence.json": Self.tracked, "sequences/q1.json": campaign("{\"hotLeads\": true, \"footer\": true}")]) { $0.validate() }
        #expect(fine.diagnostics.isEmpty, "\(fine.diagnostics)")
    }
}
