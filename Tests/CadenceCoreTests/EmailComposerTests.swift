import CadenceCore
import Foundation
import Testing

@Suite("Composing a campaign for a candidate")
struct EmailComposerTests {
    static let mailbox = Mailbox(
        name: "sam", address: try! EmailAddress.parse("sam@example.com").get(), displayName: "Sam Carter",
        signature: "Sam", timeZone: "Europe/Berlin", provider: .outbox(folder: "outbox/sam"), limits: .default)

    static func template(_ source: String) -> MergeTemplate {
        let file = TemplateFile.parse(Array(source.utf8), file: "t.md").template!
        return MergeTemplate.compile(file, path: "t.md", signature: mailbox.signature).template!
    }

    static let campaign = SequenceDefinition(
        id: "q1", name: "Q1", mailboxes: ["sam"], timeZone: "Europe/Berlin",
        steps: [
            Step(
                id: "intro", delay: .zero,
                kind: .email(
                    EmailStep(
                        content: .variants([
                            Variant(id: "a", template: "a.md", weight: 50), Variant(id: "b", template: "b.md", weight: 50),
                        ]), attachments: ["brief.pdf"]))),
            Step(id: "call", delay: .days(1), kind: .task(TaskStep(title: "Call", instructions: "Ring them"))),
            Step(id: "bump", delay: .days(2), kind: .reply(ReplyStep(inThreadOf: "intro", content: .template("bump.md")))),
            Step(id: "last", delay: .days(3), kind: .reply(ReplyStep(inThreadOf: "intro", content: .template("bump.md")))),
        ])

    static let composer = EmailComposer(
        campaign: campaign, mailbox: mailbox,
        templates: [
            "a.md": template("Subject: Question for <<candidate.company>>\n\nHi <<candidate.firstName | \"there\">>\n"),
            "b.md": template("Subject: <<candidate.firstName | \"Hello\">>, about <<candidate.company>>\n\nHello\n"),
            "bump.md": template("Following up, <<candidate.firstName | \"there\">>\n"),
        ],
        attachments: ["brief.pdf": OutgoingMessage.Attachment(filename: "brief.pdf", contentType: "application/pdf", data: [1, 2, 3])])

    static func candidate(_ email: String, _ fields: [String: String]) -> Candidate {
        let address = try! EmailAddress.parse(email).get()
        return Candidate(line: 2, email: address, fields: fields.merging(["email": email]) { $1 })
    }

    static let date = Date(timeIntervalSince1970: 1_796_115_600)

    @Test("every step in order: the email, the task, and replies threaded on the email with Re: and its subject")
    func threading() throws {
        let steps = Self.composer.compose(Self.candidate("ana@example.org", ["firstName": "Ana", "lastName": "Ruiz", "company": "Acme"]), date: Self.date)
        #expect(steps.map(\.step.id) == ["intro", "call", "bump", "last"])
        guard case .email(let intro) = steps[0].outcome, case .task(let task) = steps[1].outcome,
            case .email(let bump) = steps[2].outcome, case .email(let last) = steps[3].outcome
        else { Issue.record("unexpected outcomes \(steps.map(\.outcome))"); return }
        #expect(task.title == "Call")
        #expect(intro.to == .init(name: "Ana Ruiz", address: "ana@example.org"))
        #expect(intro.from == .init(name: "Sam Carter", address: "sam@example.com"))
        #expect(intro.date == Self.date)
        #expect(intro.attachments.map(\.filename) == ["brief.pdf"])
        #expect(intro.inReplyTo == nil && intro.references.isEmpty)
        let threadSubject = intro.subject
        #expect(bump.subject == "Re: " + threadSubject)
        #expect(last.subject == "Re: " + threadSubject)
        #expect(bump.inReplyTo == intro.messageID)
        #expect(bump.references == [intro.messageID])
        #expect(last.inReplyTo == bump.messageID)
        #expect(last.references == [intro.messageID, bump.messageID])
        #expect(bump.attachments.isEmpty)
        #expect(bump.text == "Following up, Ana\n\nSam\n")
        let sendID = try #require(intro.extraHeaders.first { $0.name == "X-Cadence-Send-Id" }?.value)
        #expect(intro.messageID == "cadence.\(sendID)@example.com")
        #expect(intro.extraHeaders.first { $0.name == "List-Unsubscribe" }?.value.hasPrefix("<mailto:sam@example.com?subject=unsubscribe%20q1.") == true)
    }

    @Test("the same inputs give the same messages; another candidate gets other identities")
    func deterministic() {
        let ana = Self.candidate("ana@example.org", ["firstName": "Ana", "company": "Acme"])
        #expect(Self.composer.compose(ana, date: Self.date) == Self.composer.compose(ana, date: Self.date))
        let other = Self.composer.compose(Self.candidate("bo@example.org", ["firstName": "Bo", "company": "Acme"]), date: Self.date)
        guard case .email(let a) = Self.composer.compose(ana, date: Self.date)[0].outcome, case .email(let b) = other[0].outcome else { return }
        #expect(a.messageID != b.messageID)
    }

    @Test("a missing field holds exactly the steps that use it; a reply whose thread subject lacks data is held too")
    func held() {
        let steps = Self.composer.compose(Self.candidate("ana@example.org", ["firstName": "Ana", "company": " "]), date: Self.date)
        #expect(steps[0].outcome == .held(missing: ["candidate.company"]))
        #expect(steps[2].outcome == .held(missing: ["candidate.company"]))
        let noName = Self.composer.compose(Self.candidate("ana@example.org", ["company": "Acme"]), date: Self.date)
        guard case .email(let message) = noName[2].outcome else { Issue.record("held"); return }
        #expect(message.text.hasPrefix("Following up, there"))
        #expect(message.to.name == nil)
    }

    @Test("variants are stable per campaign, step and address, case-insensitively, and split by weight")
    func variants() {
        let variants = [Variant(id: "a", template: "a.md", weight: 20), Variant(id: "b", template: "b.md", weight: 80)]
        var counts: [String: Int] = [:]
        for index in 0..<10_000 {
            let address = try! EmailAddress.parse("person\(index)@example.org").get()
            let chosen = VariantChooser.choose(variants, campaignID: "q1", stepID: "intro", address: address)
            counts[chosen.id, default: 0] += 1
            let upper = try! EmailAddress.parse("PERSON\(index)@EXAMPLE.ORG").get()
            if index < 100 { #expect(VariantChooser.choose(variants, campaignID: "q1", stepID: "intro", address: upper) == chosen) }
        }
        // 20% of 10,000 is 2,000; five standard deviations is ±200.
        #expect((1_800...2_200).contains(counts["a"] ?? 0), "\(counts)")
        // Pinned: the choice never changes between releases or machines.
        let ana = try! EmailAddress.parse("ana@example.org").get()
        #expect(VariantChooser.choose(variants, campaignID: "q1", stepID: "intro", address: ana).id == "b")  // bucket 61
        #expect(StableHash.hex("send", "q1", "intro", "ana@example.org", bytes: 4) == "4842fb43")  // = sha256("send\0q1\0intro\0ana@example.org"), checked with Python
    }

    @Test("Re: is added once, or not at all with replySubject \"same\"")
    func replySubjects() {
        #expect(EmailComposer.replySubject("Hello", style: .re) == "Re: Hello")
        #expect(EmailComposer.replySubject("RE: Hello", style: .re) == "RE: Hello")
        #expect(EmailComposer.replySubject("Hello", style: .same) == "Hello")
    }
}

extension EmailComposerTests {
    @Test("composing one step gives exactly what composing all steps gives for it")
    func onlyOneStep() {
        let ana = Self.candidate("ana@example.org", ["firstName": "Ana", "company": "Acme"])
        let all = Self.composer.compose(ana, date: Self.date)
        for step in Self.campaign.steps {
            #expect(Self.composer.compose(ana, date: Self.date, only: step.id) == all.filter { $0.step.id == step.id })
        }
    }
}

extension EmailComposerTests {
    @Test("a reply whose thread's email is held is held too: it would thread on a message never sent")
    func replyToHeldEmail() {
        let b = VariantChooser.choose(
            [Variant(id: "a", template: "a.md", weight: 50), Variant(id: "b", template: "b.md", weight: 50)], campaignID: "q1", stepID: "intro",
            address: try! EmailAddress.parse("ana@example.org").get())
        let steps = Self.composer.compose(Self.candidate("ana@example.org", ["firstName": "Ana"]), date: Self.date)
        #expect(steps[0].variantID == b.id)
        #expect(steps[0].outcome == .held(missing: ["candidate.company"]))
        #expect(steps[2].outcome == .held(missing: ["candidate.company"]))
        #expect(steps[3].outcome == .held(missing: ["candidate.company"]))
        let missing = Self.composer.missingFields(for: Self.candidate("ana@example.org", ["firstName": "Ana"]))
        #expect(missing.map(\.stepID) == ["intro", "bump", "last"])
    }

    @Test("invisible characters count as missing: no zero-width 'Hi ,'")
    func invisibleValues() {
        let steps = Self.composer.compose(Self.candidate("ana@example.org", ["firstName": "\u{200B}", "company": "\u{FEFF} "]), date: Self.date)
        #expect(steps[0].outcome == .held(missing: ["candidate.company"]))
    }
}
