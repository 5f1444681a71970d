/// The `"replies"`, `"server"` and `"push"` sections of `cadence.json`.
enum WatchSettingsDecoder {
    static let replyKeys = ["maxSyncAge", "outOfOfficeDefaultDays", "bouncePercent", "bounceMinimumSends", "resyncDays"]
    static let serverKeys = ["host", "port", "trustedProxies"]
    static let pushKeys = ["topic", "path", "token", "oidc"]
    static let oidcKeys = ["audience", "serviceAccountEmail", "certsURL", "issuers"]

    static func decodeReplies(_ value: JSONValue?, _ reader: inout JSONReader) -> ReplySettings? {
        var settings = ReplySettings()
        guard let value else { return settings }
        guard let object = reader.object(value, "the \"replies\" section", allowed: replyKeys) else { return nil }
        var valid = true
        if let age = object["maxSyncAge"] {
            if let text = reader.string(age, "\"replies\".\"maxSyncAge\"", example: "60s") {
                switch TimeSpan.parseSeconds(text) {
                case .success(let seconds): settings.maxSyncAgeSeconds = seconds
                case .failure(let error): reader.error("\"replies\".\"maxSyncAge\": \(error.message)", at: age.position); valid = false
                }
            } else {
                valid = false
            }
        }
        if let days = object["outOfOfficeDefaultDays"] {
            if let number = reader.integer(days, "\"replies\".\"outOfOfficeDefaultDays\"", in: 1...60) { settings.outOfOfficeDefaultDays = number } else { valid = false }
        }
        if let percent = object["bouncePercent"] {
            if case .number(let text) = percent.kind, let number = Double(text), number > 0, number <= 100 {
                settings.bouncePercent = number
            } else {
                reader.error("\"replies\".\"bouncePercent\" must be a number above 0 and at most 100, such as 5", at: percent.position)
                valid = false
            }
        }
        if let minimum = object["bounceMinimumSends"] {
            if let number = reader.integer(minimum, "\"replies\".\"bounceMinimumSends\"", in: 1...100_000) { settings.bounceMinimumSends = number } else { valid = false }
        }
        if let days = object["resyncDays"] {
            if let number = reader.integer(days, "\"replies\".\"resyncDays\"", in: 1...30) { settings.resyncDays = number } else { valid = false }
        }
        return valid ? settings : nil
    }

    static func decodeServer(_ value: JSONValue?, _ reader: inout JSONReader) -> ServerSettings? {
        var settings = ServerSettings()
        guard let value else { return settings }
        guard let object = reader.object(value, "the \"server\" section", allowed: serverKeys) else { return nil }
        var valid = true
        if let host = object["host"] {
            if let text = reader.nonEmptyString(host, "\"server\".\"host\"", example: "127.0.0.1"), !text.contains(where: \.isWhitespace), !text.contains("/") {
                settings.host = text
            } else {
                if case .string = host.kind { reader.error("\"server\".\"host\" must be an address to listen on, such as \"127.0.0.1\" or \"0.0.0.0\"", at: host.position) }
                valid = false
            }
        }
        if let port = object["port"] {
            if let number = reader.integer(port, "\"server\".\"port\"", in: 1...65_535) { settings.port = number } else { valid = false }
        }
        if let proxies = object["trustedProxies"] {
            if let items = reader.array(proxies, "\"server\".\"trustedProxies\"") {
                for (index, item) in items.enumerated() {
                    let what = "\"server\".\"trustedProxies\"[\(index)]"
                    guard let text = reader.nonEmptyString(item, what, example: "127.0.0.1") else {
                        valid = false
                        continue
                    }
                    if let network = IPNetwork(text) {
                        settings.trustedProxies.append(network)
                    } else {
                        reader.error("\(what) \"\(text)\" is not an address or a network such as \"127.0.0.1\", \"10.0.0.0/8\" or \"::1\"", at: item.position)
                        valid = false
                    }
                }
            } else {
                valid = false
            }
        }
        return valid ? settings : nil
    }

    static func decodePush(_ value: JSONValue?, _ reader: inout JSONReader) -> PushSettings? {
        var settings = PushSettings()
        guard let value else { return settings }
        guard let object = reader.object(value, "the \"push\" section", allowed: pushKeys) else { return nil }
        var valid = true
        if let topic = object["topic"] {
            if let text = reader.nonEmptyString(topic, "\"push\".\"topic\"", example: "projects/acme-seq/topics/gmail-inbox") {
                let parts = text.split(separator: "/", omittingEmptySubsequences: false)
                if parts.count == 4, parts[0] == "projects", parts[2] == "topics", !parts[1].isEmpty, !parts[3].isEmpty {
                    settings.topic = text
                } else {
                    reader.error("\"push\".\"topic\" must be a full topic name, projects/PROJECT/topics/TOPIC, not \"\(text)\"", at: topic.position)
                    valid = false
                }
            } else {
                valid = false
            }
        }
        if let path = object["path"] {
            if let text = reader.nonEmptyString(path, "\"push\".\"path\"", example: "/hooks/gmail"), text.hasPrefix("/"), !text.contains("?"), !text.contains(where: \.isWhitespace) {
                settings.path = text
            } else {
                if case .string = path.kind { reader.error("\"push\".\"path\" must start with / and have no query, such as \"/hooks/gmail\"", at: path.position) }
                valid = false
            }
        }
        if let token = object["token"] {
            if let reference = GmailSettingsDecoder.secret(token, "\"push\".\"token\"", &reader) { settings.token = reference } else { valid = false }
        }
        if let oidc = object["oidc"] {
            if let decoded = decodeOIDC(oidc, &reader) { settings.oidc = decoded } else { valid = false }
        }
        if valid, !settings.isAuthenticated, object["path"] != nil || object["topic"] != nil {
            reader.error(
                "the \"push\" section has no way to authenticate pushes; add \"oidc\" (Pub/Sub's signed token, recommended) or \"token\": {\"env\": \"CADENCE_PUSH_TOKEN\"} (see docs/gmail.md)",
                at: value.position)
            valid = false
        }
        return valid ? settings : nil
    }

    private static func decodeOIDC(_ value: JSONValue, _ reader: inout JSONReader) -> OIDCSettings? {
        guard let object = reader.object(value, "\"push\".\"oidc\"", allowed: oidcKeys) else { return nil }
        var audience: String?, email: String?
        if let value = object.require("audience", &reader, hint: "the push subscription's audience; by default its push URL") {
            audience = reader.nonEmptyString(value, "\"push\".\"oidc\".\"audience\"", example: "https://hooks.example.com/hooks/gmail")
        }
        if let value = object.require("serviceAccountEmail", &reader, hint: "the service account the push subscription signs as") {
            if let text = reader.nonEmptyString(value, "\"push\".\"oidc\".\"serviceAccountEmail\"", example: "gmail-push@acme-seq.iam.gserviceaccount.com") {
                if case .success = EmailAddress.parse(text) {
                    email = text
                } else {
                    reader.error("\"push\".\"oidc\".\"serviceAccountEmail\" \"\(text)\" is not an email address", at: value.position)
                }
            }
        }
        guard let audience, let email else { return nil }
        var settings = OIDCSettings(audience: audience, serviceAccountEmail: email)
        if let value = object["certsURL"] {
            guard let text = reader.nonEmptyString(value, "\"push\".\"oidc\".\"certsURL\"") else { return nil }
            if let problem = GmailSettingsDecoder.problem(withURL: text) {
                reader.error("\"push\".\"oidc\".\"certsURL\" \(problem)", at: value.position)
                return nil
            }
            settings.certsURL = text
        }
        if let value = object["issuers"] {
            guard let elements = reader.array(value, "\"push\".\"oidc\".\"issuers\"") else { return nil }
            var issuers: [String] = []
            for element in elements {
                guard let text = reader.nonEmptyString(element, "each of \"push\".\"oidc\".\"issuers\"") else { return nil }
                issuers.append(text)
            }
            guard !issuers.isEmpty else {
                reader.error("\"push\".\"oidc\".\"issuers\" is empty; leave it out for Google's issuers", at: value.position)
                return nil
            }
            settings.issuers = issuers
        }
        return settings
    }
}
