import CadenceCore
import Foundation
import Testing

@Suite("cadence.json: decoding, defaults and located errors")
struct ConfigurationDecoderTests {
    private func decode(_ text: String) -> ConfigurationDecoder.Result {
        ConfigurationDecoder.decode(Array(text.utf8), file: "cadence.json")
    }

    private func messages(_ text: String) -> [String] {
        decode(text).diagnostics.sortedForDisplay().map(\.description)
    }

    static let valid = """
        {
          "mailboxes": [
            { "name": "sam", "address": "sam@example.com", "displayName": "Sam Carter", "timeZone": "America/New_York" }
          ]
        }
        """

    @Test("a minimal configuration gets the documented conservative defaults")
    func defaults() throws {
        let result = decode(Self.valid)
        #expect(result.diagnostics.isEmpty)
        let configuration = try #require(result.configuration)
        #expect(configuration.databasePath == "cadence.sqlite")
        #expect(configuration.outboxFolder == "outbox")
        #expect(configuration.tracking == nil)
        let mailbox = try #require(configuration.mailbox(named: "sam"))
        #expect(mailbox.limits == MailboxLimits(dailyCap: 200, hourlyCap: 30, minimumGapSeconds: 90))
        #expect(mailbox.provider == .outbox(folder: "outbox/sam"))
        #expect(mailbox.signature == "")
        #expect(mailbox.address.description == "sam@example.com")
    }

    @Test("\"database\" as a PostgreSQL URL with a password reference; a password in the URL is refused, located")
    func postgresDatabase() throws {
        func with(_ database: String) -> String {
            Self.valid.replacingOccurrences(of: "{\n  \"mailboxes\"", with: "{\n  \"database\": \(database),\n  \"mailboxes\"")
        }
        let result = decode(with(#"{"url": "postgres://cadence@db.example.com/agency?sslmode=verify-full", "password": {"env": "CADENCE_DB_PASSWORD"}}"#))
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let configuration = try #require(result.configuration)
        #expect(configuration.databasePath == "postgres://cadence@db.example.com/agency?sslmode=verify-full")
        #expect(configuration.databasePassword == .environment("CADENCE_DB_PASSWORD"))
        #expect(try #require(decode(with(#""postgres://cadence@db/agency""#)).configuration).databasePath == "postgres://cadence@db/agency")
        #expect(
            messages(with(#"{"url": "postgres://cadence:hunter2@db/agency"}"#)) == [
                "cadence.json:2:23: error: the database URL holds a password; keep it out of cadence.json: write \"password\": {\"env\": \"PGPASSWORD\"} or {\"file\": \"secrets/db-password\"} (if a real password was written here, change it)"
            ])
        #expect(messages(with(#""postgres://cadence:hunter2@db/agency""#)).first?.contains("holds a password") == true)
        #expect(!messages(with(#""postgres://cadence:hunter2@db/agency""#)).joined().contains("hunter2"))
        #expect(messages(with(#"{"url": "mysql://db/agency"}"#)).first?.contains("must be a PostgreSQL URL starting with postgres://") == true)
        #expect(messages(with(#"{"password": {"env": "X"}}"#)).first?.contains("\"url\"") == true)
        #expect(messages(with(#"{"url": "postgres://db/a", "password": "hunter2"}"#)).first?.contains("must say where the secret is") == true)
    }

    @Test("every setting decodes")
    func everything() throws {
        let result = decode(
            """
            {
              "$schema": "docs/configuration.schema.json",
              "database": "data/cadence.sqlite",
              "outboxFolder": "mail",
              "tracking": { "baseURL": "https://t.example.com/", "key": { "file": "secrets/tracking.key" },
                            "previousKeys": [ { "env": "OLD_TRACKING_KEY" } ], "path": "/track",
                            "mailboxes": { "sam": "https://t.client-a.com" }, "defaults": { "opens": true, "clicks": false } },
              "mailboxes": [
                { "name": "sam", "address": "sam@example.com", "displayName": "Sam Carter", "timeZone": "UTC",
                  "signature": ["Sam", "Northwind"], "provider": "outbox", "outboxFolder": "sam-mail",
                  "limits": { "dailyCap": 100, "hourlyCap": 10, "minimumGap": "2m" } }
              ]
            }
            """)
        #expect(result.diagnostics.isEmpty)
        let configuration = try #require(result.configuration)
        #expect(configuration.databasePath == "data/cadence.sqlite")
        let tracking = try #require(configuration.tracking)
        #expect(tracking.baseURL == "https://t.example.com")
        #expect(tracking.key == .file("secrets/tracking.key"))
        #expect(tracking.previousKeys == [.environment("OLD_TRACKING_KEY")])
        #expect(tracking.path == "/track")
        #expect(tracking.baseURL(forMailbox: "sam") == "https://t.client-a.com")
        #expect(tracking.baseURL(forMailbox: "other") == "https://t.example.com")
        #expect(tracking.defaults.opens && !tracking.defaults.clicks && tracking.defaults.unsubscribe)
        let mailbox = try #require(configuration.mailboxes.first)
        #expect(mailbox.signature == "Sam  \nNorthwind")
        #expect(mailbox.provider == .outbox(folder: "sam-mail"))
        #expect(mailbox.limits == MailboxLimits(dailyCap: 100, hourlyCap: 10, minimumGapSeconds: 120))
    }

    @Test("caps above Gmail's own limits are refused, naming the limit")
    func gmailCeilings() {
        let workspace = Self.valid.replacingOccurrences(of: "\"America/New_York\"", with: "\"America/New_York\", \"limits\": { \"dailyCap\": 2500 }")
        #expect(
            messages(workspace) == [
                "cadence.json:3:137: error: \"dailyCap\" of mailbox \"sam\" is 2500, above Gmail's limit of 2,000 messages a day for a Workspace mailbox; Gmail would lock the mailbox for up to 24 hours"
            ])
        let consumer = workspace.replacingOccurrences(of: "sam@example.com", with: "sam@gmail.com").replacingOccurrences(of: "2500", with: "600")
        #expect(
            messages(consumer) == [
                "cadence.json:3:135: error: \"dailyCap\" of mailbox \"sam\" is 600, above Gmail's limit of about 500 messages a day for a gmail.com mailbox"
            ])
    }

    @Test("mailbox mistakes are each located")
    func mailboxMistakes() {
        let text = """
            {
              "mailboxes": [
                { "name": "Sam", "address": "sam@", "displayName": "Sam", "timeZone": "EST", "provider": "smtp",
                  "limits": { "dailyCap": 0, "minimumGap": "90 seconds" }, "signatur": "x" }
              ]
            }
            """
        #expect(
            messages(text) == [
                "cadence.json:3:15: error: mailbox name \"Sam\" must be lowercase letters, digits, '-' and '_', starting with a letter or digit (at most 64 characters)",
                "cadence.json:3:33: error: \"sam@\" is not an email address: it has nothing after the @",
                "cadence.json:3:75: error: unknown time zone \"EST\"; use an IANA name such as \"America/New_York\" or \"Europe/London\"",
                "cadence.json:3:94: error: unknown provider \"smtp\"; use \"outbox\" or \"gmail\"",
                "cadence.json:4:31: error: \"dailyCap\" of mailbox #1 must be at least 1, not 0",
                "cadence.json:4:48: error: \"minimumGap\" of mailbox #1: \"90 seconds\" is not a time span; write a whole number and a unit: \"90s\", \"2m\" or \"1h\"",
                "cadence.json:4:64: error: unknown key \"signatur\" in mailbox #1; did you mean \"signature\"?",
            ])
    }

    @Test("a missing or empty mailbox list, duplicates and unknown keys")
    func listMistakes() {
        #expect(
            messages("{}") == [
                "cadence.json:1:1: error: the configuration has no \"mailboxes\"; add at least one sending mailbox (see docs/configuration.md)"
            ])
        #expect(
            messages("{\"mailboxes\": [], \"databse\": \"x\"}") == [
                "cadence.json:1:15: error: \"mailboxes\" is empty; add at least one sending mailbox (see docs/configuration.md)",
                "cadence.json:1:19: error: unknown key \"databse\" in the configuration; did you mean \"database\"?",
            ])
        let twice = Self.valid.replacingOccurrences(
            of: "\"America/New_York\" }", with: "\"America/New_York\" },\n    { \"name\": \"sam\", \"address\": \"SAM@example.com\", \"displayName\": \"S\", \"timeZone\": \"UTC\" }")
        #expect(messages(twice) == ["cadence.json:4:5: error: duplicate mailbox name \"sam\" (first used at line 3); names must be unique"])
        let sameAddress = twice.replacingOccurrences(of: "{ \"name\": \"sam\", \"address\": \"SAM", with: "{ \"name\": \"sam2\", \"address\": \"SAM")
        #expect(
            messages(sameAddress) == [
                "cadence.json:4:5: error: mailbox \"sam2\" repeats the address SAM@example.com (first used at line 3); one mailbox per address keeps its limits true"
            ])
    }

    private func gmail(google: String?, mailbox: String?) -> String {
        let section = mailbox.map { ", \"gmail\": \($0)" } ?? ""
        let top = google.map { "\"google\": \($0),\n" } ?? ""
        return """
            {
            \(top)"mailboxes": [
              { "name": "sam", "address": "sam@example.com", "displayName": "Sam Carter", "timeZone": "America/New_York", "provider": "gmail"\(section) }
            ]
            }
            """
    }

    @Test("a gmail mailbox takes the shared OAuth client and a default token file; endpoints default to Google's")
    func gmailOAuthDefaults() throws {
        let text = gmail(google: #"{"clientId": "1234-abc.apps.googleusercontent.com", "clientSecret": {"file": "secrets/client_secret.json"}}"#, mailbox: nil)
        let result = decode(text)
        #expect(result.diagnostics.isEmpty)
        let provider = try #require(result.configuration).mailboxes[0].provider
        guard case .gmail(let settings) = provider else { Issue.record("not gmail: \(provider)"); return }
        #expect(settings.credentials == .oauth(clientID: "1234-abc.apps.googleusercontent.com", clientSecret: .file("secrets/client_secret.json"), tokenFile: "secrets/sam.token.json"))
        #expect(settings.endpoints == GoogleEndpoints())
        #expect(settings.endpoints.tokenURL == "https://oauth2.googleapis.com/token")
    }

    @Test("endpoints, timeouts, per-mailbox clients and service accounts decode")
    func gmailFullSettings() throws {
        let google =
            #"{"apiURL": "http://127.0.0.1:8080/", "tokenURL": "http://127.0.0.1:8080/token", "authorizationURL": "https://a.example/auth", "revokeURL": "https://a.example/revoke", "connectTimeout": "5s", "requestTimeout": "2m", "unitsPerMinute": 3000, "unitsPerSecond": 200}"#
        let oauth = decode(gmail(google: google, mailbox: #"{"clientId": "own-client", "clientSecret": {"env": "SAM_SECRET"}, "tokenFile": "t/sam.json"}"#))
        guard case .gmail(let settings) = try #require(oauth.configuration).mailboxes[0].provider else { Issue.record("not gmail"); return }
        #expect(settings.credentials == .oauth(clientID: "own-client", clientSecret: .environment("SAM_SECRET"), tokenFile: "t/sam.json"))
        #expect(settings.endpoints.apiURL == "http://127.0.0.1:8080")
        #expect(settings.endpoints.connectTimeoutSeconds == 5)
        #expect(settings.endpoints.requestTimeoutSeconds == 120)
        #expect(settings.endpoints.unitsPerMinute == 3_000)
        #expect(settings.endpoints.unitsPerSecond == 200)
        let service = decode(gmail(google: nil, mailbox: #"{"serviceAccountKey": {"file": "secrets/sa.json"}, "actAs": "sam@example.com"}"#))
        guard case .gmail(let account) = try #require(service.configuration).mailboxes[0].provider else { Issue.record("not gmail"); return }
        let sam = try EmailAddress.parse("sam@example.com").get()
        #expect(account.credentials == .serviceAccount(key: .file("secrets/sa.json"), actAs: sam))
    }

    @Test("gmail settings errors are located and say what to write instead")
    func gmailErrors() {
        let errors: [(String, String)] = [
            (
                gmail(google: nil, mailbox: nil),
                "cadence.json:3:3: error: mailbox \"sam\" uses the gmail provider but no OAuth client is configured; add \"clientId\" and \"clientSecret\" to the top-level \"google\" section (see docs/gmail.md), or give the mailbox a \"serviceAccountKey\""
            ),
            (
                gmail(google: #"{"clientId": "c1", "clientSecret": "GOCSPX-abc"}"#, mailbox: nil),
                "cadence.json:2:46: error: \"google\".\"clientSecret\" must say where the secret is, not hold it: write {\"file\": \"secrets/…\"} or {\"env\": \"VARIABLE\"} and keep the value out of cadence.json (if a real secret was written here, rotate it)"
            ),
            (
                gmail(google: #"{"clientId": "c1"}"#, mailbox: nil),
                "cadence.json:4:3: error: mailbox \"sam\" has an OAuth client id but no \"clientSecret\"; add \"clientSecret\": {\"file\": \"secrets/client_secret.json\"} to the \"google\" section"
            ),
            (
                gmail(google: #"{"tokenURL": "http://oauth.example.com/token"}"#, mailbox: #"{"serviceAccountKey": {"file": "k.json"}}"#),
                "cadence.json:2:24: error: \"google\".\"tokenURL\" must be an https:// address (plain http only to 127.0.0.1, for the fake Gmail), not \"http://oauth.example.com/token\"; tokens must not cross the network unencrypted"
            ),
            (
                gmail(google: nil, mailbox: #"{"serviceAccountKey": {"file": "k.json"}, "tokenFile": "t.json"}"#),
                "cadence.json:3:183: error: the gmail section of mailbox \"sam\" names both a service account and \"tokenFile\"; a mailbox uses one or the other"
            ),
            (
                gmail(google: nil, mailbox: #"{"serviceAccountKey": {"file": "k.json", "env": "K"}}"#),
                "cadence.json:3:163: error: \"serviceAccountKey\" of mailbox \"sam\" has both \"file\" and \"env\"; keep one"
            ),
            (
                gmail(google: nil, mailbox: #"{"serviceAccountKey": {"env": "my key"}}"#),
                "cadence.json:3:171: error: \"env\" of \"serviceAccountKey\" of mailbox \"sam\" must be a variable name (letters, digits, _), such as \"CADENCE_CLIENT_SECRET\""
            ),
            (
                gmail(google: #"{"requestTimeout": "0s"}"#, mailbox: #"{"serviceAccountKey": {"file": "k.json"}}"#),
                "cadence.json:2:30: error: \"google\".\"requestTimeout\" must be between 1s and 10m"
            ),
            (
                gmail(google: nil, mailbox: #"{"actAs": "x@example.com"}"#),
                "cadence.json:3:142: error: \"actAs\" applies only to a service account; add \"serviceAccountKey\" or remove it from mailbox \"sam\""
            ),
        ]
        for (text, expected) in errors {
            let result = decode(text)
            #expect(result.configuration == nil)
            #expect(result.diagnostics.filter { $0.severity == .error }.map(\.description) == [expected])
        }
        let misplaced = Self.valid.replacingOccurrences(of: "\"America/New_York\"", with: "\"America/New_York\", \"gmail\": {}")
        #expect(
            messages(misplaced) == [
                "cadence.json:3:113: error: the \"gmail\" section applies only to \"provider\": \"gmail\"; remove it from mailbox \"sam\""
            ])
    }

    @Test("the old trackingBaseURL key names the section that replaces it")
    func trackingBaseURLReplaced() {
        #expect(
            messages(Self.valid.replacingOccurrences(of: "\"mailboxes\"", with: "\"trackingBaseURL\": \"https://t.example.com\", \"mailboxes\"")).first
                == "cadence.json:2:3: error: \"trackingBaseURL\" is replaced by the \"tracking\" section: write \"tracking\": {\"baseURL\": \"https://t.example.com\", \"key\": {\"file\": \"secrets/tracking.key\"}} (see docs/configuration.md)"
        )
    }

    @Test(
        "tracking: every bad value is a located error that says what to write",
        arguments: [
            ("{}", "the \"tracking\" section has no \"baseURL\""),
            ("{\"baseURL\": \"https://t.example.com\"}", "has no \"key\"; where the signing key is"),
            ("{\"baseURL\": \"http://t.example.com\", \"key\": {\"env\": \"K\"}}", "plain http only to 127.0.0.1, localhost or [::1]"),
            ("{\"baseURL\": \"https://t.example.com/?x=1\", \"key\": {\"env\": \"K\"}}", "no spaces, query or fragment"),
            ("{\"baseURL\": \"http://127.0.0.1:80@evil.example\", \"key\": {\"env\": \"K\"}}", "no user name"),
            ("{\"baseURL\": \"https://user@t.example.com\", \"key\": {\"env\": \"K\"}}", "no user name"),
            ("{\"baseURL\": \"https://t.example.com\", \"key\": \"s3cr3t\"}", "\"tracking\".\"key\""),
            ("{\"baseURL\": \"https://t.example.com\", \"key\": {\"env\": \"K\"}, \"path\": \"/hooks/gmail\"}", "collides with the push path"),
            ("{\"baseURL\": \"https://t.example.com\", \"key\": {\"env\": \"K\"}, \"path\": \"/healthz\"}", "collides with the health check /healthz"),
            ("{\"baseURL\": \"https://t.example.com\", \"key\": {\"env\": \"K\"}, \"path\": \"t\"}", "must start with /"),
            (
                "{\"baseURL\": \"https://t.example.com\", \"key\": {\"env\": \"K\"}, \"mailboxes\": {\"sma\": \"https://t.a.com\"}}",
                "names \"sma\", which is not a mailbox in \"mailboxes\"; did you mean \"sam\"?"
            ),
            ("{\"baseURL\": \"https://t.example.com\", \"key\": {\"env\": \"K\"}, \"defaults\": {\"open\": true}}", "unknown key \"open\" in \"tracking\".\"defaults\"; did you mean \"opens\"?"),
            ("{\"baseURL\": \"https://t.example.com\", \"key\": {\"env\": \"K\"}, \"defaults\": {\"opens\": \"yes\"}}", "\"tracking\".\"defaults\".\"opens\" must be"),
            (
                "{\"baseURL\": \"https://t.example.com\", \"key\": {\"env\": \"K\"}, \"defaults\": {\"hotLeads\": true}}",
                "\"tracking\".\"defaults\".\"hotLeads\" is set per campaign"
            ),
        ])
    func trackingErrors(section: String, expected: String) {
        let found = messages(Self.valid.replacingOccurrences(of: "\"mailboxes\"", with: "\"tracking\": \(section), \"mailboxes\""))
        #expect(found.contains { $0.hasPrefix("cadence.json:") && $0.contains("error:") && $0.contains(expected) }, "\(found)")
        #expect(decode(Self.valid.replacingOccurrences(of: "\"mailboxes\"", with: "\"tracking\": \(section), \"mailboxes\"")).configuration == nil)
    }

    @Test("the scheme is read without case and written in lower case, so an HTTPS address still gets one-click unsubscribe")
    func trackingSchemeCase() throws {
        let text = Self.valid.replacingOccurrences(of: "\"mailboxes\"", with: "\"tracking\": {\"baseURL\": \"HTTPS://t.example.com/T\", \"key\": {\"env\": \"K\"}}, \"mailboxes\"")
        let configuration = try #require(decode(text).configuration)
        let url = try #require(configuration.tracking?.baseURL)
        #expect(url == "https://t.example.com/T")
        #expect(TrackingSettings.allowsOneClick(url))
    }

    @Test("server.trustedProxies: addresses and networks, IPv4 and IPv6; anything else is a located error naming the entry")
    func trustedProxies() throws {
        let text = Self.valid.replacingOccurrences(of: "\"mailboxes\"", with: "\"server\": {\"trustedProxies\": [\"127.0.0.1\", \"10.0.0.0/8\", \"::1\"]}, \"mailboxes\"")
        let proxies = try #require(decode(text).configuration).server.trustedProxies
        #expect(proxies.map(\.description) == ["127.0.0.1", "10.0.0.0/8", "::1"])
        #expect(try #require(decode(Self.valid).configuration).server.trustedProxies.isEmpty)
        for (value, expected) in [
            ("[\"10.0.0.0/33\"]", "\"server\".\"trustedProxies\"[0] \"10.0.0.0/33\" is not an address or a network"),
            ("[\"127.0.0.1\", \"caddy\"]", "\"server\".\"trustedProxies\"[1] \"caddy\" is not an address or a network"),
            ("\"127.0.0.1\"", "\"server\".\"trustedProxies\" must be"),
        ] {
            let bad = Self.valid.replacingOccurrences(of: "\"mailboxes\"", with: "\"server\": {\"trustedProxies\": \(value)}, \"mailboxes\"")
            let found = messages(bad)
            #expect(found.contains { $0.hasPrefix("cadence.json:2:") && $0.contains(expected) }, "\(found)")
            #expect(decode(bad).configuration == nil)
        }
    }

    @Test("plain http to a loopback host is accepted, for trying cadence serve out")
    func trackingLoopback() throws {
        for url in ["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"] {
            let text = Self.valid.replacingOccurrences(of: "\"mailboxes\"", with: "\"tracking\": {\"baseURL\": \"\(url)\", \"key\": {\"env\": \"K\"}}, \"mailboxes\"")
            #expect(try #require(decode(text).configuration).tracking?.baseURL == url)
        }
    }
}

extension ConfigurationDecoderTests {
    @Test("an unknown provider is one error, not a cascade; unknown keys in the gmail section are named")
    func providerMistakes() {
        let unknown = Self.valid.replacingOccurrences(of: "\"America/New_York\"", with: "\"America/New_York\", \"provider\": \"gmial\", \"gmail\": {}")
        #expect(
            messages(unknown) == [
                "cadence.json:3:125: error: unknown provider \"gmial\"; use \"outbox\" or \"gmail\"; did you mean \"gmail\"?"
            ])
        let keys = Self.valid.replacingOccurrences(of: "\"America/New_York\"", with: "\"America/New_York\", \"provider\": \"gmail\", \"gmail\": { \"clientID\": \"x\" }")
        #expect(messages(keys).contains { $0.hasPrefix("cadence.json:3:145: error: unknown key \"clientID\" in the gmail section of mailbox \"sam\"") })
    }
}
