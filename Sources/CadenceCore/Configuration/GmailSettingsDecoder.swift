/// The Gmail parts of `cadence.json`: the top-level `"google"` section (endpoints, timeouts, the shared OAuth
/// client) and each Gmail mailbox's `"gmail"` section (its token file, or its service account).
enum GmailSettingsDecoder {
    static let googleKeys = [
        "apiURL", "tokenURL", "authorizationURL", "revokeURL", "connectTimeout", "requestTimeout", "clientId", "clientSecret",
        "unitsPerMinute", "unitsPerSecond",
    ]
    static let mailboxKeys = ["clientId", "clientSecret", "tokenFile", "serviceAccountKey", "actAs"]

    /// The top-level section, decoded once and shared by every Gmail mailbox.
    struct Google: Sendable {
        var endpoints = GoogleEndpoints()
        var clientID: String?
        var clientSecret: SecretReference?
    }

    static func decodeGoogle(_ value: JSONValue?, _ reader: inout JSONReader) -> Google? {
        var google = Google()
        guard let value else { return google }
        guard let object = reader.object(value, "the \"google\" section", allowed: googleKeys) else { return nil }
        var valid = true
        func url(_ key: String, _ assign: (String) -> Void) {
            guard let value = object[key] else { return }
            guard let text = reader.nonEmptyString(value, "\"google\".\"\(key)\"") else { valid = false; return }
            if let problem = problem(withURL: text) {
                reader.error("\"google\".\"\(key)\" \(problem)", at: value.position)
                valid = false
            } else {
                assign(text.hasSuffix("/") ? String(text.dropLast()) : text)
            }
        }
        url("apiURL") { google.endpoints.apiURL = $0 }
        url("tokenURL") { google.endpoints.tokenURL = $0 }
        url("authorizationURL") { google.endpoints.authorizationURL = $0 }
        url("revokeURL") { google.endpoints.revokeURL = $0 }
        for (key, assign) in [("connectTimeout", { (s: Int) in google.endpoints.connectTimeoutSeconds = s }), ("requestTimeout", { google.endpoints.requestTimeoutSeconds = $0 })] {
            guard let value = object[key] else { continue }
            guard let text = reader.string(value, "\"google\".\"\(key)\"", example: "30s") else { valid = false; continue }
            switch TimeSpan.parseSeconds(text) {
            case .success(let seconds) where seconds >= 1 && seconds <= 600: assign(seconds)
            case .success: reader.error("\"google\".\"\(key)\" must be between 1s and 10m", at: value.position); valid = false
            case .failure(let error): reader.error("\"google\".\"\(key)\": \(error.message)", at: value.position); valid = false
            }
        }
        if let value = object["clientId"] {
            if let id = clientID(value, "\"google\".\"clientId\"", &reader) { google.clientID = id } else { valid = false }
        }
        // Gmail's per-user quota: Cadence paces to it, so above Google's own figures it would only provoke 429s.
        if let value = object["unitsPerMinute"] {
            if let units = reader.integer(value, "\"google\".\"unitsPerMinute\"", in: 100...15_000) { google.endpoints.unitsPerMinute = units } else { valid = false }
        }
        if let value = object["unitsPerSecond"] {
            if let units = reader.integer(value, "\"google\".\"unitsPerSecond\"", in: 100...250) { google.endpoints.unitsPerSecond = units } else { valid = false }
        }
        if let value = object["clientSecret"] {
            if let secret = secret(value, "\"google\".\"clientSecret\"", &reader) { google.clientSecret = secret } else { valid = false }
        }
        return valid ? google : nil
    }

    /// A Gmail mailbox's settings; `value` is its `"gmail"` section, absent when everything comes from `google`.
    static func decodeMailbox(
        _ value: JSONValue?, name: String?, what: String, address: EmailAddress?, google: Google, at position: SourcePosition?,
        _ reader: inout JSONReader
    ) -> GmailSettings? {
        var object: JSONObject?
        if let value {
            guard let decoded = reader.object(value, "the gmail section of \(what)", allowed: mailboxKeys) else { return nil }
            object = decoded
        }
        let section = "the gmail section of \(what)"
        if let key = object?["serviceAccountKey"] {
            for other in ["clientId", "clientSecret", "tokenFile"] where object?[other] != nil {
                reader.error("\(section) names both a service account and \"\(other)\"; a mailbox uses one or the other", at: object?.keyPosition(other))
                return nil
            }
            guard let keyReference = secret(key, "\"serviceAccountKey\" of \(what)", &reader) else { return nil }
            var actAs = address
            if let value = object?["actAs"] {
                guard let text = reader.nonEmptyString(value, "\"actAs\" of \(what)", example: "alex@example.com") else { return nil }
                switch EmailAddress.parse(text) {
                case .success(let parsed): actAs = parsed
                case .failure(let error):
                    reader.error("\"actAs\" of \(what): \"\(text)\" is not an email address: it \(error.reason)", at: value.position)
                    return nil
                }
            }
            guard let actAs else { return nil }
            return GmailSettings(credentials: .serviceAccount(key: keyReference, actAs: actAs), endpoints: google.endpoints)
        }
        if object?["actAs"] != nil {
            reader.error("\"actAs\" applies only to a service account; add \"serviceAccountKey\" or remove it from \(what)", at: object?.keyPosition("actAs"))
            return nil
        }
        var clientID = google.clientID
        if let value = object?["clientId"] {
            guard let id = Self.clientID(value, "\"clientId\" of \(what)", &reader) else { return nil }
            clientID = id
        }
        var clientSecret = google.clientSecret
        if let value = object?["clientSecret"] {
            guard let reference = secret(value, "\"clientSecret\" of \(what)", &reader) else { return nil }
            clientSecret = reference
        }
        var tokenFile = "secrets/\(name ?? "mailbox").token.json"
        if let value = object?["tokenFile"] {
            guard let path = reader.nonEmptyString(value, "\"tokenFile\" of \(what)", example: "secrets/alex.token.json") else { return nil }
            tokenFile = path
        }
        guard let clientID else {
            reader.error(
                "\(what) uses the gmail provider but no OAuth client is configured; add \"clientId\" and \"clientSecret\" to the top-level \"google\" section (see docs/gmail.md), or give the mailbox a \"serviceAccountKey\"",
                at: value?.position ?? position)
            return nil
        }
        guard let clientSecret else {
            reader.error(
                "\(what) has an OAuth client id but no \"clientSecret\"; add \"clientSecret\": {\"file\": \"secrets/client_secret.json\"} to the \"google\" section",
                at: value?.position ?? position)
            return nil
        }
        return GmailSettings(credentials: .oauth(clientID: clientID, clientSecret: clientSecret, tokenFile: tokenFile), endpoints: google.endpoints)
    }

    private static func clientID(_ value: JSONValue, _ what: String, _ reader: inout JSONReader) -> String? {
        guard let text = reader.nonEmptyString(value, what, example: "1234-abc.apps.googleusercontent.com") else { return nil }
        guard text.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            reader.error("\(what) \"\(text)\" contains spaces or non-ASCII characters; copy it from the Google Cloud console's Credentials page", at: value.position)
            return nil
        }
        return text
    }

    /// `{"file": "…"}` or `{"env": "…"}`. A plain string is refused: it would put a secret in a shared file.
    static func secret(_ value: JSONValue, _ what: String, _ reader: inout JSONReader) -> SecretReference? {
        if case .string = value.kind {
            reader.error(
                "\(what) must say where the secret is, not hold it: write {\"file\": \"secrets/…\"} or {\"env\": \"VARIABLE\"} and keep the value out of cadence.json (if a real secret was written here, rotate it)",
                at: value.position)
            return nil
        }
        guard let object = reader.object(value, what, allowed: ["file", "env"]) else { return nil }
        switch (object["file"], object["env"]) {
        case (let file?, nil):
            return reader.nonEmptyString(file, "\"file\" of \(what)", example: "secrets/client_secret.json").map(SecretReference.file)
        case (nil, let env?):
            guard let name = reader.nonEmptyString(env, "\"env\" of \(what)", example: "CADENCE_CLIENT_SECRET") else { return nil }
            guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                reader.error("\"env\" of \(what) must be a variable name (letters, digits, _), such as \"CADENCE_CLIENT_SECRET\"", at: env.position)
                return nil
            }
            return .environment(name)
        case (.some, .some):
            reader.error("\(what) has both \"file\" and \"env\"; keep one", at: value.position)
            return nil
        case (nil, nil):
            reader.error("\(what) needs \"file\" or \"env\", e.g. {\"file\": \"secrets/client_secret.json\"}", at: value.position)
            return nil
        }
    }

    /// Nil when `text` may be used as an endpoint: https, or plain http to this machine only (the fake Gmail).
    static func problem(withURL text: String) -> String? {
        let lower = text.lowercased()
        if lower.hasPrefix("https://"), text.count > 8, !text.contains(" ") { return nil }
        if lower.hasPrefix("http://127.0.0.1:") || lower.hasPrefix("http://localhost:") || lower.hasPrefix("http://[::1]:") { return nil }
        return "must be an https:// address (plain http only to 127.0.0.1, for the fake Gmail), not \"\(text)\"; tokens must not cross the network unencrypted"
    }
}
