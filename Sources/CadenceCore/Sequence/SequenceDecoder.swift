/// Turns the bytes of a campaign file into a `DecodedCampaign`, or every located problem in it.
///
/// Only what can be judged from the file itself is checked here; `CampaignChecker` checks it against the
/// configuration, and the engine checks templates and attachments on disk.
public enum SequenceDecoder {
    public struct Result: Sendable {
        /// Nil when any error was found.
        public var campaign: DecodedCampaign?
        /// Every mailbox, template and attachment the file names, even when it has errors, so that they are
        /// checked in the same run.
        public var references: [FileReference]
        public var diagnostics: [Diagnostic]
    }

    static let topLevelKeys = [
        "$schema", "id", "name", "description", "mailboxes", "timeZone", "sendWindow", "holidays", "blackoutDates",
        "replySubject", "limits", "colleagueReply", "tracking", "steps",
    ]
    static let sendWindowKeys = ["days", "start", "end"]
    static let limitKeys = ["dailyCap", "perDomainDailyCap", "newEnrollmentsPerDay"]
    static let blackoutKeys = ["from", "to"]
    static let variantKeys = ["id", "template", "weight"]
    static let commonStepKeys = ["id", "name", "type", "delay"]
    static let stepKeys: [String: [String]] = [
        "email": commonStepKeys + ["template", "variants", "attachments"],
        "reply": commonStepKeys + ["inThreadOf", "template", "variants", "attachments"],
        "task": commonStepKeys + ["title", "instructions", "due"],
    ]
    static let allStepKeys = commonStepKeys + ["inThreadOf", "template", "variants", "attachments", "title", "instructions", "due"]
    public static let maximumSteps = 50

    public static func decode(_ bytes: some Collection<UInt8>, file: String) -> Result {
        let parsed = JSONParser.parse(bytes, file: file)
        var decoder = Decoding(reader: JSONReader(file: file))
        decoder.reader.append(parsed.diagnostics)
        guard let root = parsed.value else {
            return Result(campaign: nil, references: [], diagnostics: decoder.reader.diagnostics)
        }
        let campaign = decoder.campaign(root)
        let diagnostics = decoder.reader.diagnostics
        return Result(campaign: diagnostics.hasErrors ? nil : campaign, references: decoder.references, diagnostics: diagnostics)
    }

    /// The walk itself, holding the reader and the references found so far.
    private struct Decoding {
        var reader: JSONReader
        var references: [FileReference] = []
        var valid = true

        mutating func fail(_ message: String, at position: SourcePosition?) {
            reader.error(message, at: position)
            valid = false
        }

        mutating func campaign(_ root: JSONValue) -> DecodedCampaign? {
            guard let top = reader.object(root, "the campaign", allowed: topLevelKeys) else { return nil }
            var id: String?
            var idPosition = top.position
            if let value = top.require("id", &reader, hint: "add a short slug that names it on the command line, e.g. \"backend-q1\"") {
                idPosition = value.position
                if let text = reader.nonEmptyString(value, "\"id\"", example: "backend-q1") {
                    if Identifier.isValid(text) { id = text } else { fail("campaign id \"\(text)\" \(Identifier.rule)", at: value.position) }
                }
            }
            var name: String?
            if let value = top.require("name", &reader, hint: "add a title people read in reports, e.g. \"Backend engineers, Q1\"") {
                name = reader.nonEmptyString(value, "\"name\"")
            }
            var description = ""
            if let value = top["description"], let text = reader.string(value, "\"description\"") { description = text }
            let mailboxes = mailboxNames(top)
            var timeZone: String?
            if let value = top.require("timeZone", &reader, hint: "add the zone used for candidates without one, e.g. \"America/New_York\"") {
                if let text = reader.nonEmptyString(value, "\"timeZone\"", example: "America/New_York") {
                    if TimeZoneName.isKnown(text) { timeZone = text } else { fail(TimeZoneName.unknownMessage(text), at: value.position) }
                }
            }
            let sendWindow = top["sendWindow"].map { self.sendWindow($0) } ?? .officeHours
            let holidays = top["holidays"].map { self.holidays($0) } ?? []
            let blackoutDates = top["blackoutDates"].map { self.blackouts($0) } ?? []
            let replySubject: ReplySubjectStyle =
                top["replySubject"].flatMap {
                    choice($0, "\"replySubject\"", among: ReplySubjectStyle.allCases.map(\.rawValue)).flatMap(ReplySubjectStyle.init(rawValue:))
                } ?? .re
            let colleagueReply: ColleagueReplyPolicy =
                top["colleagueReply"].flatMap {
                    choice($0, "\"colleagueReply\"", among: ColleagueReplyPolicy.allCases.map(\.rawValue)).flatMap(ColleagueReplyPolicy.init(rawValue:))
                } ?? .stop
            let limits = top["limits"].map { self.limits($0) } ?? CampaignLimits()
            var tracking = CampaignTracking()
            if let value = top["tracking"] {
                if let decoded = TrackingSettingsDecoder.options(value, "\"tracking\"", &reader) { tracking = decoded } else { valid = false }
            }
            var steps: [Step] = []
            if let value = top.require("steps", &reader, hint: "add the ordered list of steps (see docs/campaign-format.md)") {
                steps = self.steps(value)
            }
            guard let id, let name, let timeZone, valid, !reader.diagnostics.hasErrors else { return nil }
            let definition = SequenceDefinition(
                id: id, name: name, description: description, mailboxes: mailboxes, timeZone: timeZone,
                sendWindow: sendWindow ?? .officeHours, holidays: holidays, blackoutDates: blackoutDates,
                replySubject: replySubject, limits: limits, colleagueReply: colleagueReply, tracking: tracking, steps: steps)
            return DecodedCampaign(file: reader.file, definition: definition, idPosition: idPosition, references: references)
        }

        mutating func choice(_ value: JSONValue, _ what: String, among options: [String]) -> String? {
            guard let text = reader.string(value, what) else { valid = false; return nil }
            guard options.contains(text) else {
                fail("\(what) must be \(options.map { "\"\($0)\"" }.joined(separator: " or ")), not \"\(text)\"", at: value.position)
                return nil
            }
            return text
        }

        mutating func mailboxNames(_ top: JSONObject) -> [String] {
            guard let value = top.require("mailboxes", &reader, hint: "name the mailbox(es) from cadence.json to send from, e.g. [\"alex\"]") else { return [] }
            var names: [String] = []
            let elements: [JSONValue]
            switch value.kind {
            case .string: elements = [value]  // One mailbox may be written without the brackets.
            default: elements = reader.array(value, "\"mailboxes\"") ?? []
            }
            if case .array(let array) = value.kind, array.isEmpty {
                fail("\"mailboxes\" is empty; name at least one mailbox from cadence.json", at: value.position)
            }
            for element in elements {
                guard let name = reader.nonEmptyString(element, "a mailbox name in \"mailboxes\"", example: "alex") else { valid = false; continue }
                if names.contains(name) {
                    fail("mailbox \"\(name)\" is listed twice", at: element.position)
                    continue
                }
                names.append(name)
                references.append(FileReference(kind: .mailbox, value: name, position: element.position, step: nil))
            }
            return names
        }

        mutating func sendWindow(_ value: JSONValue) -> SendWindow? {
            guard let object = reader.object(value, "\"sendWindow\"", allowed: sendWindowKeys) else { valid = false; return nil }
            var window = SendWindow.officeHours
            if let daysValue = object["days"], let elements = reader.array(daysValue, "\"days\" of the send window") {
                var days: [Weekday] = []
                for element in elements {
                    guard let text = reader.string(element, "each of \"days\"", example: "mon") else { valid = false; continue }
                    guard let day = Weekday(rawValue: text) else {
                        let hint =
                            Weekday.fromLooseSpelling(text).map { "; write \"\($0.rawValue)\"" }
                            ?? "; use \"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\" or \"sun\""
                        fail("\"\(text)\" is not a day of the week\(hint)", at: element.position)
                        continue
                    }
                    if days.contains(day) { fail("\"\(text)\" is listed twice in \"days\"", at: element.position); continue }
                    days.append(day)
                }
                if elements.isEmpty { fail("\"days\" of the send window is empty; nothing would ever be sent", at: daysValue.position) }
                window.days = days.sorted()
            } else if object["days"] != nil {
                valid = false
            }
            var timesParsed = true
            if let start = object["start"] {
                if let time = time(start, "\"start\" of the send window") { window.start = time } else { timesParsed = false }
            }
            if let end = object["end"] {
                if let time = time(end, "\"end\" of the send window") { window.end = time } else { timesParsed = false }
            }
            if timesParsed, window.end <= window.start {
                fail("the send window ends (\(window.end)) before it starts (\(window.start)); windows cannot cross midnight", at: object.keyPosition("end") ?? value.position)
            }
            return window
        }

        mutating func time(_ value: JSONValue, _ what: String) -> LocalTime? {
            guard let text = reader.string(value, what, example: "09:00") else { valid = false; return nil }
            guard let time = LocalTime.parse(text) else {
                fail("\(what) \"\(text)\" is not a time; write 24-hour \"HH:MM\", e.g. \"09:00\" or \"17:30\"", at: value.position)
                return nil
            }
            return time
        }

        mutating func date(_ value: JSONValue, _ what: String) -> CalendarDate? {
            guard let text = reader.string(value, what, example: "2026-12-25") else { valid = false; return nil }
            guard let date = CalendarDate.parse(text) else {
                fail("\(what) \"\(text)\" is not a date; write \"YYYY-MM-DD\", e.g. \"2026-12-25\"", at: value.position)
                return nil
            }
            return date
        }

        mutating func holidays(_ value: JSONValue) -> [CalendarDate] {
            guard let elements = reader.array(value, "\"holidays\"") else { valid = false; return [] }
            return elements.compactMap { date($0, "holiday") }
        }

        mutating func blackouts(_ value: JSONValue) -> [DateRange] {
            guard let elements = reader.array(value, "\"blackoutDates\"") else { valid = false; return [] }
            var ranges: [DateRange] = []
            for element in elements {
                if case .object = element.kind {
                    guard let object = reader.object(element, "a blackout range", allowed: blackoutKeys) else { continue }
                    let from = object.require("from", &reader, hint: "add the first day, e.g. \"2026-12-24\"").flatMap { date($0, "blackout \"from\"") }
                    let to = object.require("to", &reader, hint: "add the last day, e.g. \"2027-01-02\"").flatMap { date($0, "blackout \"to\"") }
                    guard let from, let to else { valid = false; continue }
                    if to < from {
                        fail("blackout range ends (\(to)) before it starts (\(from))", at: object["to"]?.position)
                        continue
                    }
                    ranges.append(DateRange(first: from, last: to))
                } else if let day = date(element, "blackout date") {
                    ranges.append(DateRange(first: day, last: day))
                }
            }
            return ranges
        }

        mutating func limits(_ value: JSONValue) -> CampaignLimits {
            guard let object = reader.object(value, "\"limits\"", allowed: limitKeys) else { valid = false; return CampaignLimits() }
            var limits = CampaignLimits()
            if let cap = object["dailyCap"] {
                limits.dailyCap = reader.integer(cap, "\"dailyCap\" of the campaign", in: 1...MailboxLimits.workspaceDailyCeiling)
            }
            if let cap = object["perDomainDailyCap"] {
                limits.perDomainDailyCap = reader.integer(cap, "\"perDomainDailyCap\"", in: 1...MailboxLimits.workspaceDailyCeiling)
            }
            if let cap = object["newEnrollmentsPerDay"] {
                limits.newEnrollmentsPerDay = reader.integer(cap, "\"newEnrollmentsPerDay\"", in: 1...100_000)
            }
            return limits
        }

        mutating func steps(_ value: JSONValue) -> [Step] {
            guard let elements = reader.array(value, "\"steps\"") else { valid = false; return [] }
            if elements.isEmpty { fail("\"steps\" is empty; a campaign needs at least one step", at: value.position) }
            if elements.count > maximumSteps {
                fail("a campaign has at most \(maximumSteps) steps; this one has \(elements.count)", at: value.position)
            }
            var steps: [Step] = []
            var ids: [String: SourcePosition] = [:]
            var emailSteps: [String] = []
            for (index, element) in elements.enumerated() {
                guard let step = step(element, index: index, emailSteps: &emailSteps, earlierIDs: &ids) else { continue }
                steps.append(step)
            }
            return steps
        }

        /// Decodes one step; an email step's id joins `emailSteps` even when the step has other errors, so later
        /// replies naming it are not reported as well.
        mutating func step(_ value: JSONValue, index: Int, emailSteps: inout [String], earlierIDs: inout [String: SourcePosition]) -> Step? {
            let earlierEmailSteps = emailSteps
            defer {
                if let id = Self.stringMember("id", of: value), Self.stringMember("type", of: value) == "email",
                    Identifier.isValid(id), !emailSteps.contains(id)
                {
                    emailSteps.append(id)
                }
            }
            var label = "step #\(index + 1)"
            // Name the step by its id in every message when the id is readable, even before it is checked.
            if case .object(let members) = value.kind, let idMember = members.first(where: { $0.key == "id" }),
                case .string(let text) = idMember.value.kind, Identifier.isValid(text), earlierIDs[text] == nil
            {
                label = "step \"\(text)\""
            }
            guard case .object = value.kind else {
                fail("\(label) must be an object, not \(value.kindDescription)", at: value.position)
                return nil
            }
            // Read id and type first: they decide the name used in messages and which keys are allowed.
            let preliminary = reader.object(value, label, allowed: allStepKeys) ?? JSONObject(what: label, position: value.position, members: [:])
            var id: String?
            if let idValue = preliminary.require("id", &reader, hint: "give it a stable id such as \"intro\" or \"follow-up-1\"") {
                if let text = reader.nonEmptyString(idValue, "step \"id\"", example: "intro") {
                    if !Identifier.isValid(text) {
                        fail("step id \"\(text)\" \(Identifier.rule)", at: idValue.position)
                    } else if let first = earlierIDs[text] {
                        fail("duplicate step id \"\(text)\" (first used at line \(first.line)); step ids must be unique within a campaign", at: idValue.position)
                    } else {
                        id = text
                        earlierIDs[text] = idValue.position
                    }
                } else {
                    valid = false
                }
            } else {
                valid = false
            }
            let what = id.map { "step \"\($0)\"" } ?? label
            var type: String?
            if let typeValue = preliminary.require("type", &reader, hint: "add \"type\": \"email\", \"reply\" or \"task\"") {
                if let text = reader.string(typeValue, "\"type\" of \(what)") {
                    if stepKeys[text] != nil {
                        type = text
                    } else {
                        fail("unknown step type \"\(text)\" in \(what); use \"email\", \"reply\" or \"task\"\(Suggestion.didYouMean(text, among: ["email", "reply", "task"]))", at: typeValue.position)
                    }
                } else {
                    valid = false
                }
            } else {
                valid = false
            }
            if let type, let allowed = stepKeys[type] {
                for (key, member) in preliminary.members where !allowed.contains(key) && allStepKeys.contains(key) {
                    fail("\"\(key)\" does not apply to a \(type) step (\(what))\(misplacedKeyHint(key, type: type))", at: member.keyPosition)
                }
            }
            var delay: Delay? = index == 0 ? .zero : nil
            if let delayValue = preliminary["delay"] {
                delay = nil
                if let text = reader.string(delayValue, "\"delay\" of \(what)", example: "3d") {
                    switch Delay.parse(text) {
                    case .success(let parsed): delay = parsed
                    case .failure(let error): fail("\(what): \(error.message)", at: delayValue.position)
                    }
                } else {
                    valid = false
                }
            } else if index > 0, preliminary.hasMisspelling(of: "delay") {
                valid = false
            } else if index > 0 {
                fail("\(what) has no \"delay\"; say how long after the previous step it is due, e.g. \"3d\" or \"2bd\"", at: value.position)
            }
            var name: String?
            if let nameValue = preliminary["name"] { name = reader.nonEmptyString(nameValue, "\"name\" of \(what)") }

            var kind: Step.Kind?
            switch type {
            case "email":
                let content = content(preliminary, what: what, stepLabel: what, stepType: "email")
                let files = attachments(preliminary, what: what, stepLabel: what)
                if let content { kind = .email(EmailStep(content: content, attachments: files)) }
            case "reply":
                var thread: String?
                if let threadValue = preliminary.require(
                    "inThreadOf", &reader, hint: "name the earlier email step whose thread it continues\(earlierEmailSteps.first.map { ", e.g. \"\($0)\"" } ?? "")")
                {
                    if let text = reader.string(threadValue, "\"inThreadOf\" of \(what)") {
                        if earlierEmailSteps.contains(text) {
                            thread = text
                        } else if earlierEmailSteps.isEmpty {
                            fail("\(what) is a reply, but no email step comes before it; a reply continues the thread that an earlier \"email\" step started", at: threadValue.position)
                        } else {
                            let listed = earlierEmailSteps.map { "\"\($0)\"" }.joined(separator: ", ")
                            fail(
                                "\"inThreadOf\" of \(what) names \"\(text)\", which is not an earlier email step\(Suggestion.didYouMean(text, among: earlierEmailSteps)) (earlier email steps: \(listed))",
                                at: threadValue.position)
                        }
                    } else {
                        valid = false
                    }
                } else {
                    valid = false
                    if earlierEmailSteps.isEmpty {
                        fail("\(what) is a reply, but no email step comes before it; a reply continues the thread that an earlier \"email\" step started", at: value.position)
                    }
                }
                let content = content(preliminary, what: what, stepLabel: what, stepType: "reply")
                let files = attachments(preliminary, what: what, stepLabel: what)
                if let thread, let content { kind = .reply(ReplyStep(inThreadOf: thread, content: content, attachments: files)) }
            case "task":
                let title = preliminary.require("title", &reader, hint: "say what to do, e.g. \"Connect on LinkedIn\"").flatMap { reader.nonEmptyString($0, "\"title\" of \(what)") }
                let instructions = preliminary.require("instructions", &reader, hint: "tell the person doing it what to do and say").flatMap {
                    reader.nonEmptyString($0, "\"instructions\" of \(what)")
                }
                var due: Delay? = TaskStep.defaultDue
                if let dueValue = preliminary["due"] {
                    due = nil
                    if let text = reader.string(dueValue, "\"due\" of \(what)", example: "1bd") {
                        switch Delay.parse(text) {
                        case .success(let parsed): due = parsed
                        case .failure(let error): fail("\(what) \"due\": \(error.message)", at: dueValue.position)
                        }
                    }
                }
                if let title, let instructions, let due { kind = .task(TaskStep(title: title, instructions: instructions, due: due)) }
            default:
                break
            }
            guard let id, let delay, let kind else { valid = false; return nil }
            return Step(id: id, name: name, delay: delay, kind: kind)
        }

        static func stringMember(_ key: String, of value: JSONValue) -> String? {
            guard case .object(let members) = value.kind, let member = members.first(where: { $0.key == key }),
                case .string(let text) = member.value.kind
            else { return nil }
            return text
        }

        func misplacedKeyHint(_ key: String, type: String) -> String {
            switch key {
            case "inThreadOf": "; only \"reply\" steps continue a thread"
            case "template", "variants", "attachments": "; tasks are done by a person and send nothing"
            case "title", "instructions": "; only \"task\" steps have them"
            default: ""
            }
        }

        mutating func content(_ object: JSONObject, what: String, stepLabel: String, stepType: String) -> StepContent? {
            let template = object["template"], variants = object["variants"]
            switch (template, variants) {
            case (nil, nil):
                fail("\(what) has no \"template\"; name a file in templates/, e.g. \"intro.md\" (or give \"variants\" for an A/B test)", at: object.position)
                return nil
            case (_?, _?):
                fail("\(what) has both \"template\" and \"variants\"; keep one (each variant names its own template)", at: object.keyPosition("variants"))
                return nil
            case (let template?, nil):
                return templatePath(template, what: "\"template\" of \(what)", stepLabel: stepLabel, stepType: stepType).map(StepContent.template)
            case (nil, let variants?):
                return self.variants(variants, what: what, stepLabel: stepLabel, stepType: stepType, keyPosition: object.keyPosition("variants"))
            }
        }

        mutating func templatePath(_ value: JSONValue, what: String, stepLabel: String, stepType: String) -> String? {
            guard let path = reader.nonEmptyString(value, what, example: "intro.md") else { valid = false; return nil }
            guard let problem = Self.relativePathProblem(path) else {
                guard path.hasSuffix(".md") else {
                    fail("template \"\(path)\" must be a Markdown file ending in .md", at: value.position)
                    return nil
                }
                references.append(FileReference(kind: .template(stepType: stepType), value: path, position: value.position, step: stepLabel))
                return path
            }
            fail("template \"\(path)\" \(problem) inside templates/", at: value.position)
            return nil
        }

        /// Why `path` cannot name a file inside the folder it is relative to, or nil when it can.
        static func relativePathProblem(_ path: String) -> String? {
            if path.hasPrefix("/") || path.hasPrefix("~") { return "must be a relative path" }
            if path.contains("\\") { return "must use '/' between folders" }
            if path.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == ".." || $0.isEmpty }) {
                return "must be a plain path"
            }
            return nil
        }

        mutating func variants(_ value: JSONValue, what: String, stepLabel: String, stepType: String, keyPosition: SourcePosition?) -> StepContent? {
            guard let elements = reader.array(value, "\"variants\" of \(what)") else { valid = false; return nil }
            guard elements.count >= 2 else {
                fail("\(what) has \(elements.count) variant\(elements.count == 1 ? "" : "s"); an A/B test needs at least two (or use \"template\")", at: value.position)
                return nil
            }
            var variants: [Variant] = []
            var ids: Set<String> = []
            var complete = true
            for (index, element) in elements.enumerated() {
                guard let object = reader.object(element, "variant #\(index + 1) of \(what)", allowed: variantKeys) else { complete = false; continue }
                var id: String?
                if let idValue = object.require("id", &reader, hint: "e.g. \"a\"") {
                    if let text = reader.nonEmptyString(idValue, "variant \"id\"", example: "a") {
                        if !Identifier.isValid(text) {
                            fail("variant id \"\(text)\" \(Identifier.rule)", at: idValue.position)
                        } else if !ids.insert(text).inserted {
                            fail("duplicate variant id \"\(text)\" in \(what)", at: idValue.position)
                        } else {
                            id = text
                        }
                    }
                }
                let template = object.require("template", &reader, hint: "name its file in templates/").flatMap {
                    templatePath($0, what: "\"template\" of variant #\(index + 1) of \(what)", stepLabel: stepLabel, stepType: stepType)
                }
                let weight = object.require("weight", &reader, hint: "give its share of sends in percent, e.g. 50").flatMap {
                    reader.integer($0, "\"weight\" of variant #\(index + 1) of \(what)", in: 1...100)
                }
                guard let id, let template, let weight else { complete = false; continue }
                variants.append(Variant(id: id, template: template, weight: weight))
            }
            guard complete else { valid = false; return nil }
            let total = variants.reduce(0) { $0 + $1.weight }
            guard total == 100 else {
                fail("variant weights of \(what) add up to \(total); they must add up to 100", at: keyPosition ?? value.position)
                return nil
            }
            return .variants(variants)
        }

        mutating func attachments(_ object: JSONObject, what: String, stepLabel: String) -> [String] {
            guard let value = object["attachments"] else { return [] }
            guard let elements = reader.array(value, "\"attachments\" of \(what)") else { valid = false; return [] }
            var paths: [String] = []
            for element in elements {
                guard let path = reader.nonEmptyString(element, "each attachment of \(what)", example: "attachments/role.pdf") else { valid = false; continue }
                if let problem = Self.relativePathProblem(path) {
                    fail("attachment \"\(path)\" \(problem) beside the campaign file", at: element.position)
                    continue
                }
                if paths.contains(path) { fail("attachment \"\(path)\" is listed twice in \(what)", at: element.position); continue }
                paths.append(path)
                references.append(FileReference(kind: .attachment, value: path, position: element.position, step: stepLabel))
            }
            return paths
        }
    }
}
