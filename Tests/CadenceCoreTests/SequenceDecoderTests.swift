import CadenceCore
import Foundation
import Testing

/// Each mistake people make in a campaign file, with the exact message `cadence validate` prints for it.
@Suite("Campaign files: decoding and located errors")
struct SequenceDecoderTests {
    private func decode(_ text: String) -> SequenceDecoder.Result {
        SequenceDecoder.decode(Array(text.utf8), file: "sequences/q1.json")
    }

    private func messages(_ text: String) -> [String] {
        decode(text).diagnostics.sortedForDisplay().map(\.description)
    }

    static let valid = """
        {
          "id": "q1",
          "name": "Q1 backend",
          "mailboxes": ["sam"],
          "timeZone": "Europe/Berlin",
          "steps": [
            { "id": "intro", "type": "email", "template": "intro.md", "attachments": ["brief.pdf"] },
            { "id": "connect", "type": "task", "delay": "2bd", "title": "Connect", "instructions": "On LinkedIn" },
            { "id": "bump", "type": "reply", "delay": "3d", "inThreadOf": "intro", "template": "bump.md" }
          ]
        }
        """

    @Test("a valid campaign decodes with defaults for everything optional")
    func validCampaign() throws {
        let result = decode(Self.valid)
        #expect(result.diagnostics.isEmpty)
        let campaign = try #require(result.campaign)
        let definition = campaign.definition
        #expect(definition.id == "q1")
        #expect(definition.sendWindow == .officeHours)
        #expect(definition.replySubject == .re)
        #expect(definition.colleagueReply == .stop)
        #expect(definition.steps.map(\.id) == ["intro", "connect", "bump"])
        #expect(definition.steps.map(\.delay) == [.zero, .businessDays(2), .days(3)])
        #expect(definition.steps[0].kind == .email(EmailStep(content: .template("intro.md"), attachments: ["brief.pdf"])))
        #expect(definition.steps[2].kind == .reply(ReplyStep(inThreadOf: "intro", content: .template("bump.md"))))
        #expect(campaign.idPosition == SourcePosition(line: 2, column: 9))
        #expect(campaign.references.map(\.value) == ["sam", "intro.md", "brief.pdf", "bump.md"])
    }

    @Test("every optional section decodes")
    func fullCampaign() throws {
        let result = decode(
            """
            {
              "$schema": "campaign.schema.json",
              "id": "ops",
              "name": "Ops",
              "description": "d",
              "mailboxes": "sam",
              "timeZone": "America/New_York",
              "sendWindow": { "days": ["thu", "tue"], "start": "08:30", "end": "24:00" },
              "holidays": ["2026-12-25"],
              "blackoutDates": ["2026-12-24", { "from": "2026-12-28", "to": "2027-01-01" }],
              "replySubject": "same",
              "colleagueReply": "record",
              "limits": { "dailyCap": 50, "perDomainDailyCap": 3, "newEnrollmentsPerDay": 20 },
              "steps": [
                { "id": "opener", "name": "Opener", "type": "email", "delay": "1h",
                  "variants": [{ "id": "a", "template": "a.md", "weight": 70 }, { "id": "b", "template": "b.md", "weight": 30 }] }
              ]
            }
            """)
        #expect(result.diagnostics.isEmpty)
        let definition = try #require(result.campaign?.definition)
        #expect(definition.mailboxes == ["sam"])
        #expect(definition.sendWindow == SendWindow(days: [.tue, .thu], start: LocalTime(hour: 8, minute: 30), end: LocalTime(hour: 24, minute: 0)))
        #expect(definition.holidays == [CalendarDate(year: 2026, month: 12, day: 25)])
        #expect(definition.blackoutDates.count == 2)
        #expect(definition.blackoutDates[1].contains(CalendarDate(year: 2026, month: 12, day: 31)))
        #expect(definition.replySubject == .same)
        #expect(definition.colleagueReply == .record)
        #expect(definition.limits == CampaignLimits(dailyCap: 50, perDomainDailyCap: 3, newEnrollmentsPerDay: 20))
        #expect(definition.steps[0].name == "Opener")
        #expect(definition.steps[0].delay == .hours(1))
        #expect(
            definition.steps[0].kind
                == .email(
                    EmailStep(
                        content: .variants([
                            Variant(id: "a", template: "a.md", weight: 70), Variant(id: "b", template: "b.md", weight: 30),
                        ]))))
    }

    @Test("invalid JSON is reported at the syntax error, and nothing else is guessed")
    func invalidJSON() {
        let text = Self.valid.replacingOccurrences(of: "\"name\": \"Q1 backend\",", with: "\"name\": \"Q1 backend\"")
        #expect(
            messages(text) == [
                "sequences/q1.json:4:3: error: invalid JSON: expected ',' or '}' after the value of \"name\"; is a comma missing?"
            ])
        #expect(decode(text).campaign == nil)
    }

    @Test("a misspelt key is one error, naming the key it was meant to be")
    func misspeltKey() {
        let text = Self.valid.replacingOccurrences(of: "\"delay\": \"3d\"", with: "\"delya\": \"3d\"")
        #expect(
            messages(text) == [
                "sequences/q1.json:9:38: error: unknown key \"delya\" in step \"bump\"; did you mean \"delay\"?"
            ])
        #expect(decode(text).campaign == nil)
        let topLevel = Self.valid.replacingOccurrences(of: "\"timeZone\"", with: "\"timezone\"")
        #expect(
            messages(topLevel) == [
                "sequences/q1.json:5:3: error: unknown key \"timezone\" in the campaign; did you mean \"timeZone\"?"
            ])
        #expect(decode(topLevel).campaign == nil)
        let noSuggestion = Self.valid.replacingOccurrences(of: "\"name\": \"Q1 backend\"", with: "\"name\": \"Q1 backend\", \"owner\": \"sam\"")
        #expect(
            messages(noSuggestion) == [
                "sequences/q1.json:3:25: error: unknown key \"owner\" in the campaign; allowed keys: id, name, description, mailboxes, timeZone, sendWindow, holidays, blackoutDates, replySubject, limits, colleagueReply, tracking, steps"
            ])
    }

    @Test("a missing required key says what to add, at the object it belongs in")
    func missingKeys() {
        let text = Self.valid.replacingOccurrences(of: "\"delay\": \"3d\", ", with: "")
        #expect(
            messages(text) == [
                "sequences/q1.json:9:5: error: step \"bump\" has no \"delay\"; say how long after the previous step it is due, e.g. \"3d\" or \"2bd\""
            ])
        let noZone = Self.valid.replacingOccurrences(of: "  \"timeZone\": \"Europe/Berlin\",\n", with: "")
        #expect(
            messages(noZone) == [
                "sequences/q1.json:1:1: error: the campaign has no \"timeZone\"; add the zone used for candidates without one, e.g. \"America/New_York\""
            ])
    }

    @Test("a bad delay is located at its value")
    func badDelay() {
        let text = Self.valid.replacingOccurrences(of: "\"2bd\"", with: "\"2 business days\"")
        #expect(
            messages(text) == [
                "sequences/q1.json:8:49: error: step \"connect\": \"2 business days\" is not a delay; write \"2bd\""
            ])
    }

    @Test("duplicate step ids")
    func duplicateStepIDs() {
        let text = Self.valid.replacingOccurrences(of: "\"id\": \"connect\"", with: "\"id\": \"intro\"")
        #expect(
            messages(text) == [
                "sequences/q1.json:8:13: error: duplicate step id \"intro\" (first used at line 7); step ids must be unique within a campaign"
            ])
    }

    @Test("a reply step first")
    func replyFirst() {
        let text = """
            {
              "id": "q1", "name": "Q1", "mailboxes": ["sam"], "timeZone": "Europe/Berlin",
              "steps": [
                { "id": "bump", "type": "reply", "inThreadOf": "intro", "template": "bump.md" },
                { "id": "intro", "type": "email", "delay": "1d", "template": "intro.md" }
              ]
            }
            """
        #expect(
            messages(text) == [
                "sequences/q1.json:4:52: error: step \"bump\" is a reply, but no email step comes before it; a reply continues the thread that an earlier \"email\" step started"
            ])
    }

    @Test("a reply naming no earlier email step, or none at all")
    func replyNamingNothing() {
        let text = Self.valid.replacingOccurrences(of: "\"inThreadOf\": \"intro\"", with: "\"inThreadOf\": \"intro2\"")
        #expect(
            messages(text) == [
                "sequences/q1.json:9:67: error: \"inThreadOf\" of step \"bump\" names \"intro2\", which is not an earlier email step; did you mean \"intro\"? (earlier email steps: \"intro\")"
            ])
        let naming = Self.valid.replacingOccurrences(of: "\"inThreadOf\": \"intro\"", with: "\"inThreadOf\": \"connect\"")
        #expect(
            messages(naming) == [
                "sequences/q1.json:9:67: error: \"inThreadOf\" of step \"bump\" names \"connect\", which is not an earlier email step (earlier email steps: \"intro\")"
            ])
        let missing = Self.valid.replacingOccurrences(of: "\"inThreadOf\": \"intro\", ", with: "")
        #expect(
            messages(missing) == [
                "sequences/q1.json:9:5: error: step \"bump\" has no \"inThreadOf\"; name the earlier email step whose thread it continues, e.g. \"intro\""
            ])
    }

    @Test("variant weights that do not add up to 100, and variants that are not a test")
    func variantWeights() {
        func campaign(_ variants: String) -> String {
            """
            {
              "id": "q1", "name": "Q1", "mailboxes": ["sam"], "timeZone": "Europe/Berlin",
              "steps": [
                { "id": "opener", "type": "email", "variants": \(variants) }
              ]
            }
            """
        }
        #expect(
            messages(campaign(#"[{"id": "a", "template": "a.md", "weight": 50}, {"id": "b", "template": "b.md", "weight": 40}]"#)) == [
                "sequences/q1.json:4:40: error: variant weights of step \"opener\" add up to 90; they must add up to 100"
            ])
        #expect(
            messages(campaign(#"[{"id": "a", "template": "a.md", "weight": 100}]"#)) == [
                "sequences/q1.json:4:52: error: step \"opener\" has 1 variant; an A/B test needs at least two (or use \"template\")"
            ])
        #expect(
            messages(campaign(#"[{"id": "a", "template": "a.md", "weight": 50}, {"id": "a", "template": "b.md", "weight": 0}]"#)) == [
                "sequences/q1.json:4:107: error: duplicate variant id \"a\" in step \"opener\"",
                "sequences/q1.json:4:142: error: \"weight\" of variant #2 of step \"opener\" must be between 1 and 100, not 0",
            ])
    }

    @Test("an unknown time zone, with the zone it was probably meant to be")
    func unknownZone() {
        let text = Self.valid.replacingOccurrences(of: "Europe/Berlin", with: "Europe/Berln")
        #expect(messages(text) == ["sequences/q1.json:5:15: error: unknown time zone \"Europe/Berln\"; did you mean \"Europe/Berlin\"?"])
    }

    @Test("send window mistakes")
    func sendWindow() {
        let text = Self.valid.replacingOccurrences(
            of: "\"steps\"", with: "\"sendWindow\": { \"days\": [\"Monday\", \"tue\", \"tue\"], \"start\": \"17:00\", \"end\": \"9:00\" },\n  \"steps\"")
        #expect(
            messages(text) == [
                "sequences/q1.json:6:28: error: \"Monday\" is not a day of the week; write \"mon\"",
                "sequences/q1.json:6:45: error: \"tue\" is listed twice in \"days\"",
                "sequences/q1.json:6:78: error: \"end\" of the send window \"9:00\" is not a time; write 24-hour \"HH:MM\", e.g. \"09:00\" or \"17:30\"",
            ])
    }

    @Test("a step that is not one of the three types, or mixes their keys")
    func stepTypes() {
        let text = Self.valid.replacingOccurrences(of: "\"type\": \"task\"", with: "\"type\": \"tsak\", \"template\": \"x.md\"")
        #expect(
            messages(text) == [
                "sequences/q1.json:8:32: error: unknown step type \"tsak\" in step \"connect\"; use \"email\", \"reply\" or \"task\"; did you mean \"task\"?"
            ])
        let mixed = Self.valid.replacingOccurrences(of: "\"type\": \"task\"", with: "\"type\": \"task\", \"template\": \"x.md\"")
        #expect(
            messages(mixed) == [
                "sequences/q1.json:8:40: error: \"template\" does not apply to a task step (step \"connect\"); tasks are done by a person and send nothing"
            ])
        let both = Self.valid.replacingOccurrences(of: "\"template\": \"intro.md\"", with: "\"template\": \"intro.md\", \"variants\": []")
        #expect(
            messages(both) == [
                "sequences/q1.json:7:63: error: step \"intro\" has both \"template\" and \"variants\"; keep one (each variant names its own template)"
            ])
        let neither = Self.valid.replacingOccurrences(of: "\"template\": \"intro.md\", ", with: "")
        #expect(
            messages(neither) == [
                "sequences/q1.json:7:5: error: step \"intro\" has no \"template\"; name a file in templates/, e.g. \"intro.md\" (or give \"variants\" for an A/B test)"
            ])
    }

    @Test("template and attachment paths must stay inside their folders")
    func paths() {
        let text = Self.valid
            .replacingOccurrences(of: "\"intro.md\"", with: "\"../intro.md\"")
            .replacingOccurrences(of: "\"brief.pdf\"", with: "\"/etc/passwd\"")
            .replacingOccurrences(of: "\"bump.md\"", with: "\"bump.txt\"")
        #expect(
            messages(text) == [
                "sequences/q1.json:7:51: error: template \"../intro.md\" must be a plain path inside templates/",
                "sequences/q1.json:7:82: error: attachment \"/etc/passwd\" must be a relative path beside the campaign file",
                "sequences/q1.json:9:88: error: template \"bump.txt\" must be a Markdown file ending in .md",
            ])
    }

    @Test("wrong value types name what was expected")
    func types() {
        let text = Self.valid
            .replacingOccurrences(of: "\"id\": \"q1\"", with: "\"id\": 1")
            .replacingOccurrences(of: "\"mailboxes\": [\"sam\"]", with: "\"mailboxes\": []")
            .replacingOccurrences(of: "\"delay\": \"3d\"", with: "\"delay\": 3")
        #expect(
            messages(text) == [
                "sequences/q1.json:2:9: error: \"id\" must be a string such as \"backend-q1\", not a number",
                "sequences/q1.json:4:16: error: \"mailboxes\" is empty; name at least one mailbox from cadence.json",
                "sequences/q1.json:9:47: error: \"delay\" of step \"bump\" must be a string such as \"3d\", not a number",
            ])
        #expect(messages("[]") == ["sequences/q1.json:1:1: error: the campaign must be an object, not an array"])
    }

    @Test("all problems are reported in one pass, in file order")
    func collectsAll() {
        let text = Self.valid
            .replacingOccurrences(of: "Europe/Berlin", with: "Berlin")
            .replacingOccurrences(of: "\"2bd\"", with: "\"2x\"")
            .replacingOccurrences(of: "\"inThreadOf\": \"intro\"", with: "\"inThreadOf\": \"nope\"")
        let found = decode(text).diagnostics
        #expect(found.count == 3)
        #expect(found.map { $0.position?.line } == [5, 8, 9])
    }
}
