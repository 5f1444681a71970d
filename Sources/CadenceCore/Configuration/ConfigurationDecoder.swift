/// Turns the bytes of `cadence.json` into a `ProjectConfiguration`, or every located problem in them.
public enum ConfigurationDecoder {
    public struct Result: Sendable {
        /// Nil when any error was found; warnings alone still produce a configuration.
        public var configuration: ProjectConfiguration?
        public var diagnostics: [Diagnostic]
    }

    static let topLevelKeys = ["$schema", "mailboxes", "database", "outboxFolder", "tracking", "google", "replies", "server", "push"]
    static let mailboxKeys = [
        "name", "address", "displayName", "signature", "timeZone", "provider", "outboxFolder", "gmail", "limits",
    ]
    static let limitKeys = ["dailyCap", "hourlyCap", "minimumGap"]

    public static func decode(_ bytes: some Collection<UInt8>, file: String) -> Result {
        let parsed = JSONParser.parse(bytes, file: file)
        var reader = JSONReader(file: file)
        reader.append(parsed.diagnostics)
        guard let root = parsed.value, let top = reader.object(root, "the configuration", allowed: topLevelKeys, retired: ["trackingBaseURL"]) else {
            return Result(configuration: nil, diagnostics: reader.diagnostics)
        }
        var configuration = ProjectConfiguration(mailboxes: [])
        if let value = top["database"] { decodeDatabase(value, into: &configuration, &reader) }
        if let value = top["outboxFolder"], let path = reader.nonEmptyString(value, "\"outboxFolder\"", example: "outbox") {
            configuration.outboxFolder = path
        }
        if let value = top["trackingBaseURL"] {
            reader.error(
                "\"trackingBaseURL\" is replaced by the \"tracking\" section: write \"tracking\": {\"baseURL\": \"https://t.example.com\", \"key\": {\"file\": \"secrets/tracking.key\"}} (see docs/configuration.md)",
                at: top.keyPosition("trackingBaseURL") ?? value.position)
        }
        let tracking = TrackingSettingsDecoder.decode(top["tracking"], &reader)
        configuration.tracking = tracking.settings
        let google = GmailSettingsDecoder.decodeGoogle(top["google"], &reader)
        if let replies = WatchSettingsDecoder.decodeReplies(top["replies"], &reader) { configuration.replies = replies }
        if let server = WatchSettingsDecoder.decodeServer(top["server"], &reader) { configuration.server = server }
        if let push = WatchSettingsDecoder.decodePush(top["push"], &reader) { configuration.push = push }
        if let value = top.require("mailboxes", &reader, hint: "add at least one sending mailbox (see docs/configuration.md)"),
            let elements = reader.array(value, "\"mailboxes\"")
        {
            if elements.isEmpty {
                reader.error("\"mailboxes\" is empty; add at least one sending mailbox (see docs/configuration.md)", at: value.position)
            }
            var names: [String: SourcePosition] = [:]
            var addresses: [String: SourcePosition] = [:]  // compared without case: mailboxes ignore it in practice
            for (index, element) in elements.enumerated() {
                guard let mailbox = decodeMailbox(element, index: index, outboxFolder: configuration.outboxFolder, google: google, &reader)
                else { continue }
                if let first = names[mailbox.name] {
                    reader.error("duplicate mailbox name \"\(mailbox.name)\" (first used at line \(first.line)); names must be unique", at: element.position)
                    continue
                }
                if let first = addresses[mailbox.address.description.lowercased()] {
                    reader.error(
                        "mailbox \"\(mailbox.name)\" repeats the address \(mailbox.address) (first used at line \(first.line)); one mailbox per address keeps its limits true",
                        at: element.position)
                    continue
                }
                names[mailbox.name] = element.position
                addresses[mailbox.address.description.lowercased()] = element.position
                configuration.mailboxes.append(mailbox)
            }
        }
        for (name, position) in tracking.mailboxPositions.sorted(by: { $0.key < $1.key }) where configuration.mailbox(named: name) == nil {
            let names = configuration.mailboxes.map(\.name)
            reader.error(
                "\"tracking\".\"mailboxes\" names \"\(name)\", which is not a mailbox in \"mailboxes\"\(Suggestion.didYouMean(name, among: names))", at: position)
        }
        if let settings = configuration.tracking, let value = top["tracking"] {
            for problem in settings.pathCollisions(pushPath: configuration.push.path) { reader.error(problem, at: value.position) }
        }
        let diagnostics = reader.diagnostics
        return Result(configuration: diagnostics.hasErrors ? nil : configuration, diagnostics: diagnostics)
    }

    private static func decodeMailbox(
        _ value: JSONValue, index: Int, outboxFolder: String, google: GmailSettingsDecoder.Google?, _ reader: inout JSONReader
    ) -> Mailbox? {
        guard let object = reader.object(value, "mailbox #\(index + 1)", allowed: mailboxKeys) else { return nil }
        var name: String?
        if let value = object.require("name", &reader, hint: "give it a short name that campaigns use, e.g. \"alex\"") {
            name = reader.nonEmptyString(value, "mailbox \"name\"", example: "alex")
            if let candidate = name, !Identifier.isValid(candidate) {
                reader.error("mailbox name \"\(candidate)\" \(Identifier.rule)", at: value.position)
                name = nil
            }
        }
        let what = name.map { "mailbox \"\($0)\"" } ?? "mailbox #\(index + 1)"
        var address: EmailAddress?
        if let value = object.require("address", &reader, hint: "the address it sends from") {
            if let text = reader.nonEmptyString(value, "\"address\" of \(what)", example: "alex@example.com") {
                switch EmailAddress.parse(text) {
                case .success(let parsed): address = parsed
                case .failure(let error):
                    reader.error("\"\(text)\" is not an email address: it \(error.reason)", at: value.position)
                }
            }
        }
        var displayName: String?
        if let value = object.require("displayName", &reader, hint: "the name recipients see, e.g. \"Alex Rivera\"") {
            displayName = reader.nonEmptyString(value, "\"displayName\" of \(what)")
            if let text = displayName, text.contains(where: { $0.isNewline || $0 == "<" || $0 == ">" || $0 == "\"" }) {
                reader.error("\"displayName\" of \(what) cannot contain line breaks, quotes or angle brackets", at: value.position)
                displayName = nil
            }
        }
        var signature = ""
        if let value = object["signature"] {
            switch value.kind {
            case .string(let text): signature = text
            case .array(let lines):
                var collected: [String] = []
                for line in lines {
                    if let text = reader.string(line, "each line of the signature of \(what)") { collected.append(text) }
                }
                // One array entry is one line: a Markdown hard break keeps it a line in the HTML part too.
                signature = collected.joined(separator: "  \n")
            default:
                reader.error("\"signature\" of \(what) must be Markdown text or an array of lines, not \(value.kindDescription)", at: value.position)
            }
        }
        var timeZone: String?
        if let value = object.require("timeZone", &reader, hint: "the sender's IANA zone, e.g. \"America/New_York\"") {
            if let text = reader.nonEmptyString(value, "\"timeZone\" of \(what)", example: "America/New_York") {
                if TimeZoneName.isKnown(text) {
                    timeZone = text
                } else {
                    reader.error(TimeZoneName.unknownMessage(text), at: value.position)
                }
            }
        }
        var provider: MailProvider? = .outbox(folder: outboxFolder + "/" + (name ?? "mailbox"))
        var isGmail = false
        if let value = object["provider"], let text = reader.string(value, "\"provider\" of \(what)", example: "outbox") {
            switch text {
            case "outbox": break
            case "gmail": isGmail = true
            default:
                reader.error("unknown provider \"\(text)\"; use \"outbox\" or \"gmail\"\(Suggestion.didYouMean(text, among: ["outbox", "gmail"]))", at: value.position)
                provider = nil
            }
        }
        if let value = object["outboxFolder"], let folder = reader.nonEmptyString(value, "\"outboxFolder\" of \(what)") {
            if case .outbox = provider, !isGmail {
                provider = .outbox(folder: folder)
            } else {
                reader.error("\"outboxFolder\" applies only to \"provider\": \"outbox\"; remove it from \(what)", at: object.keyPosition("outboxFolder"))
            }
        }
        if isGmail {
            if let google {
                provider = GmailSettingsDecoder.decodeMailbox(
                    object["gmail"], name: name, what: what, address: address, google: google, at: value.position, &reader
                ).map(MailProvider.gmail)
            } else {
                provider = nil  // the google section's own errors are already reported
            }
        } else if object["gmail"] != nil, provider != nil {
            reader.error("the \"gmail\" section applies only to \"provider\": \"gmail\"; remove it from \(what)", at: object.keyPosition("gmail"))
        }
        let limits = decodeLimits(object["limits"], what: what, address: address, &reader)
        guard let name, let address, let displayName, let timeZone, let provider, let limits else { return nil }
        return Mailbox(
            name: name, address: address, displayName: displayName, signature: signature, timeZone: timeZone,
            provider: provider, limits: limits)
    }

    private static func decodeLimits(
        _ value: JSONValue?, what: String, address: EmailAddress?, _ reader: inout JSONReader
    ) -> MailboxLimits? {
        var limits = MailboxLimits.default
        guard let value else { return limits }
        guard let object = reader.object(value, "the limits of \(what)", allowed: limitKeys) else { return nil }
        var valid = true
        let isConsumer = address.map { ["gmail.com", "googlemail.com"].contains($0.domain) } ?? false
        if let cap = object["dailyCap"] {
            if let number = reader.integer(cap, "\"dailyCap\" of \(what)", in: 1...Int.max) {
                if number > MailboxLimits.workspaceDailyCeiling {
                    reader.error(
                        "\"dailyCap\" of \(what) is \(number), above Gmail's limit of 2,000 messages a day for a Workspace mailbox; Gmail would lock the mailbox for up to 24 hours",
                        at: cap.position)
                    valid = false
                } else if isConsumer, number > MailboxLimits.consumerDailyCeiling {
                    reader.error(
                        "\"dailyCap\" of \(what) is \(number), above Gmail's limit of about 500 messages a day for a gmail.com mailbox",
                        at: cap.position)
                    valid = false
                } else {
                    limits.dailyCap = number
                }
            } else {
                valid = false
            }
        }
        if let cap = object["hourlyCap"] {
            if let number = reader.integer(cap, "\"hourlyCap\" of \(what)", in: 1...Int.max) {
                limits.hourlyCap = number
                if number > limits.dailyCap {
                    reader.warning("\"hourlyCap\" of \(what) (\(number)) is above its daily cap (\(limits.dailyCap)) and has no effect", at: cap.position)
                }
            } else {
                valid = false
            }
        }
        if let gap = object["minimumGap"], let text = reader.string(gap, "\"minimumGap\" of \(what)", example: "90s") {
            switch TimeSpan.parseSeconds(text) {
            case .success(let seconds): limits.minimumGapSeconds = seconds
            case .failure(let error):
                reader.error("\"minimumGap\" of \(what): \(error.message)", at: gap.position)
                valid = false
            }
        } else if object["minimumGap"] != nil {
            valid = false
        }
        return valid ? limits : nil
    }

    /// `"database"`: the SQLite file's path, or `{"url": "postgres://…", "password": {"env": "…"}}`. A password
    /// written in the URL is refused, since cadence.json is meant to be committed and shared.
    static func decodeDatabase(_ value: JSONValue, into configuration: inout ProjectConfiguration, _ reader: inout JSONReader) {
        if case .object = value.kind {
            guard let object = reader.object(value, "\"database\"", allowed: ["url", "password"]) else { return }
            guard let urlValue = object.require("url", &reader, hint: "write \"url\": \"postgres://cadence@db.example.com/cadence\"") else { return }
            guard let url = reader.nonEmptyString(urlValue, "\"url\" of \"database\"", example: "postgres://cadence@db.example.com/cadence") else { return }
            guard PostgresSettings.isURL(url) else {
                reader.error("\"url\" of \"database\" must be a PostgreSQL URL starting with postgres://; for a SQLite file write \"database\": \"cadence.sqlite\"", at: urlValue.position)
                return
            }
            if PostgresSettings.urlHoldsPassword(url) {
                reader.error(
                    "the database URL holds a password; keep it out of cadence.json: write \"password\": {\"env\": \"PGPASSWORD\"} or {\"file\": \"secrets/db-password\"} (if a real password was written here, change it)",
                    at: urlValue.position)
                return
            }
            configuration.databasePath = url
            if let password = object["password"] {
                configuration.databasePassword = GmailSettingsDecoder.secret(password, "\"password\" of \"database\"", &reader)
            }
            return
        }
        guard let path = reader.nonEmptyString(value, "\"database\"", example: "cadence.sqlite") else { return }
        if PostgresSettings.urlHoldsPassword(path) {
            reader.error(
                "the database URL holds a password; keep it out of cadence.json: write \"database\": {\"url\": \"postgres://user@host/db\", \"password\": {\"env\": \"PGPASSWORD\"}} (if a real password was written here, change it)",
                at: value.position)
            return
        }
        configuration.databasePath = path
    }
}
