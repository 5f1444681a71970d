/// Reads the `tracking` section of cadence.json and a campaign's `tracking` overrides, with a located error for
/// every key.
enum TrackingSettingsDecoder {
    static let keys = ["baseURL", "key", "previousKeys", "path", "mailboxes", "defaults"]
    static let optionKeys = TrackingOptions.keys.map(\.name)

    /// Plain http is accepted only on a loopback host, as for Google's endpoints: for trying `cadence serve` out.
    static func problem(withBaseURL text: String) -> String? {
        let lower = text.lowercased()
        guard !text.contains(where: { $0 == " " || $0 == "?" || $0 == "#" }) else {
            return "must be an address with no spaces, query or fragment, such as \"https://t.example.com\", not \"\(text)\""
        }
        guard !text.contains("@") else {
            return "must be an address with no user name (nothing before an @), such as \"https://t.example.com\", not \"\(text)\""
        }
        if lower.hasPrefix("https://"), text.count > 8 { return nil }
        for host in ["http://127.0.0.1", "http://localhost", "http://[::1]"] where lower == host || lower.hasPrefix(host + ":") || lower.hasPrefix(host + "/") {
            return nil
        }
        return "must be an https:// address that reaches `cadence serve`, not \"\(text)\"; plain http only to 127.0.0.1, localhost or [::1], since mail clients warn on http links"
    }

    /// The settings (nil when the section is absent or has errors, which `reader` then holds), and where each
    /// mailbox name of `"mailboxes"` was written, for the caller to check against the mailboxes it knows.
    static func decode(_ value: JSONValue?, _ reader: inout JSONReader) -> (settings: TrackingSettings?, mailboxPositions: [String: SourcePosition]) {
        guard let value, let object = reader.object(value, "the \"tracking\" section", allowed: keys) else { return (nil, [:]) }
        var valid = true
        var baseURL: String?
        if let found = object.require("baseURL", &reader, hint: "the public https address that reaches `cadence serve`, e.g. \"https://t.example.com\"") {
            baseURL = url(found, "\"tracking\".\"baseURL\"", &reader)
        }
        var key: SecretReference?
        if let found = object.require("key", &reader, hint: "where the signing key is: {\"file\": \"secrets/tracking.key\"} or {\"env\": \"CADENCE_TRACKING_KEY\"}") {
            key = GmailSettingsDecoder.secret(found, "\"tracking\".\"key\"", &reader)
        }
        guard let baseURL, let key else { return (nil, [:]) }
        var settings = TrackingSettings(baseURL: baseURL, key: key)
        if let found = object["previousKeys"], let elements = reader.array(found, "\"tracking\".\"previousKeys\"") {
            for (index, element) in elements.enumerated() {
                if let reference = GmailSettingsDecoder.secret(element, "\"tracking\".\"previousKeys\"[\(index)]", &reader) {
                    settings.previousKeys.append(reference)
                } else {
                    valid = false
                }
            }
        } else if object["previousKeys"] != nil {
            valid = false
        }
        if let found = object["path"] {
            if let text = reader.nonEmptyString(found, "\"tracking\".\"path\"", example: "/t"), text.hasPrefix("/"), text.count > 1, !text.hasSuffix("/"),
                text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "/-_.".contains($0)) })
            {
                settings.path = text
            } else {
                if case .string = found.kind {
                    reader.error("\"tracking\".\"path\" must start with /, not end with one, and hold only letters, digits and - _ . /, such as \"/t\"", at: found.position)
                }
                valid = false
            }
        }
        var positions: [String: SourcePosition] = [:]
        if let found = object["mailboxes"] {
            if case .object(let members) = found.kind {
                for member in members {
                    guard let url = url(member.value, "\"tracking\".\"mailboxes\".\"\(member.key)\"", &reader) else {
                        valid = false
                        continue
                    }
                    settings.mailboxBaseURLs[member.key] = url
                    positions[member.key] = member.keyPosition
                }
            } else {
                reader.error(
                    "\"tracking\".\"mailboxes\" must be an object of mailbox name to address, such as {\"alex\": \"https://t.client-a.com\"}, not \(found.kindDescription)", at: found.position)
                valid = false
            }
        }
        if let found = object["defaults"] {
            if let options = options(found, "\"tracking\".\"defaults\"", &reader, campaign: false) {
                settings.defaults = options.resolved(over: TrackingOptions())
            } else {
                valid = false
            }
        }
        return (valid ? settings : nil, positions)
    }

    static func url(_ value: JSONValue, _ what: String, _ reader: inout JSONReader) -> String? {
        guard let text = reader.nonEmptyString(value, what, example: "https://t.example.com") else { return nil }
        if let problem = problem(withBaseURL: text) {
            reader.error("\(what) \(problem)", at: value.position)
            return nil
        }
        // The scheme in lower case, as links and the one-click check expect it; the rest as written.
        let scheme = text.prefix { $0 != ":" }
        let url = scheme.lowercased() + text.dropFirst(scheme.count)
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    /// `{"opens": true, "clicks": false}`: each key a boolean; a campaign may also ask for `"hotLeads"`.
    static func options(_ value: JSONValue, _ what: String, _ reader: inout JSONReader, campaign: Bool = true) -> CampaignTracking? {
        guard let object = reader.object(value, what, allowed: optionKeys + ["hotLeads"]) else { return nil }
        var tracking = CampaignTracking()
        var valid = true
        for name in optionKeys {
            guard let found = object[name] else { continue }
            if let flag = reader.bool(found, "\(what).\"\(name)\"") { tracking.overrides[name] = flag } else { valid = false }
        }
        if let found = object["hotLeads"] {
            if !campaign {
                reader.error(
                    "\(what).\"hotLeads\" is set per campaign: put \"tracking\": {\"hotLeads\": true} in the sequence file of each campaign that wants hot-lead tasks",
                    at: found.position)
                valid = false
            } else if let flag = reader.bool(found, "\(what).\"hotLeads\"") {
                tracking.hotLeads = flag
            } else {
                valid = false
            }
        }
        return valid ? tracking : nil
    }
}
