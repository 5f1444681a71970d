import CadenceCore
import Foundation
import Testing

@Suite("cadence.json: the replies, server and push sections")
struct WatchSettingsTests {
    static let mailboxes = #""mailboxes": [ { "name": "sam", "address": "sam@example.com", "displayName": "Sam", "timeZone": "UTC" } ]"#

    private func decode(_ sections: String) -> ConfigurationDecoder.Result {
        ConfigurationDecoder.decode(Array("{ \(Self.mailboxes)\(sections.isEmpty ? "" : ", " + sections) }".utf8), file: "cadence.json")
    }

    private func errors(_ sections: String) -> [String] {
        decode(sections).diagnostics.sortedForDisplay().map(\.description)
    }

    @Test("absent sections mean polling alone, with the documented defaults")
    func defaults() throws {
        let configuration = try #require(decode("").configuration)
        #expect(configuration.replies == ReplySettings())
        #expect(configuration.replies.maxSyncAgeSeconds == 60)
        #expect(configuration.replies.outOfOfficeDefaultDays == 7)
        #expect(configuration.replies.bouncePercent == 5)
        #expect(configuration.replies.bounceMinimumSends == 20)
        #expect(configuration.server.host == "127.0.0.1")
        #expect(configuration.server.port == 8080)
        #expect(configuration.push.topic == nil)
        #expect(!configuration.push.isAuthenticated)
    }

    @Test("every setting decodes")
    func everything() throws {
        let configuration = try #require(
            decode(
                """
                "replies": { "maxSyncAge": "2m", "outOfOfficeDefaultDays": 10, "bouncePercent": 2.5, "bounceMinimumSends": 50, "resyncDays": 3 },
                "server": { "host": "0.0.0.0", "port": 9090 },
                "push": { "topic": "projects/acme/topics/gmail", "path": "/hooks/g", "token": { "env": "PUSH_TOKEN" },
                          "oidc": { "audience": "https://h.example.com/hooks/g", "serviceAccountEmail": "push@acme.iam.gserviceaccount.com",
                                    "certsURL": "http://127.0.0.1:9999/certs", "issuers": ["https://accounts.google.com"] } }
                """
            ).configuration)
        #expect(configuration.replies.maxSyncAgeSeconds == 120)
        #expect(configuration.replies.outOfOfficeDefaultDays == 10)
        #expect(configuration.replies.bouncePercent == 2.5)
        #expect(configuration.replies.bounceMinimumSends == 50)
        #expect(configuration.replies.resyncDays == 3)
        #expect(configuration.server.host == "0.0.0.0")
        #expect(configuration.server.port == 9090)
        #expect(configuration.push.topic == "projects/acme/topics/gmail")
        #expect(configuration.push.path == "/hooks/g")
        #expect(configuration.push.token == .environment("PUSH_TOKEN"))
        #expect(configuration.push.oidc?.audience == "https://h.example.com/hooks/g")
        #expect(configuration.push.oidc?.certsURL == "http://127.0.0.1:9999/certs")
        #expect(configuration.push.oidc?.issuers == ["https://accounts.google.com"])
    }

    @Test(
        "bad values are located errors that say what to write",
        arguments: [
            (#""replies": { "maxSyncAge": 60 }"#, "\"replies\".\"maxSyncAge\" must be"),
            (#""replies": { "outOfOfficeDefaultDays": 0 }"#, "between 1 and 60"),
            (#""replies": { "bouncePercent": "5%" }"#, "\"replies\".\"bouncePercent\" must be a number above 0"),
            (#""replies": { "bouncePercent": 0 }"#, "above 0"),
            (#""replies": { "bounce": 5 }"#, "bounce"),
            (#""server": { "port": 70000 }"#, "between 1 and 65535"),
            (#""push": { "topic": "gmail-inbox", "token": { "env": "T" } }"#, "projects/PROJECT/topics/TOPIC"),
            (#""push": { "topic": "projects/a/topics/b" }"#, "no way to authenticate pushes"),
            (#""push": { "path": "hooks", "token": { "env": "T" } }"#, "must start with /"),
            (#""push": { "token": "s3cr3t" }"#, "must say where the secret is"),
            (#""push": { "oidc": { "audience": "https://h.example.com" } }"#, "serviceAccountEmail"),
            (#""push": { "oidc": { "audience": "a", "serviceAccountEmail": "push@x.com", "certsURL": "http://example.com/certs" } }"#, "must be an https:// address"),
        ])
    func errors(section: String, expected: String) {
        let found = errors(section)
        #expect(decode(section).configuration == nil)
        #expect(found.contains { $0.hasPrefix("cadence.json:1:") && $0.contains(expected) }, "\(found)")
    }
}
