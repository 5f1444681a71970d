import CadenceCore
import CadenceEngine
import CadenceFakeGmail
import CadenceGmail
import Foundation
import Testing

@Suite("secrets: where they come from, and that they never show")
struct SecretsTests {
    @Test("a Secret prints, interpolates, dumps and reflects as redacted")
    func redaction() {
        let secret = Secret("ya29.super-secret")
        #expect("\(secret)" == "‹redacted›")
        #expect(String(reflecting: secret) == "Secret(‹redacted›)")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("super-secret"))
        #expect(!"\(TokenFile(address: "a@b.c", scopes: [], refreshToken: secret, authorizedAt: Date()))".contains("super-secret"))
        #expect(secret.revealed == "ya29.super-secret")
    }

    @Test("secret files readable by others are refused with the chmod that fixes them; missing files and variables say what to do")
    func sources() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        FileManager.default.createFile(atPath: root + "/open.txt", contents: Data("GOCSPX-open".utf8))
        chmod(root + "/open.txt", 0o644)
        let store = SecretStore(root: root, environment: ["CLIENT_SECRET": "GOCSPX-env\n"])
        #expect(throws: SecretError("the OAuth client secret: open.txt can be read by other users (mode 644); run `chmod 600 open.txt` and try again")) {
            _ = try store.clientSecret(.file("open.txt"))
        }
        chmod(root + "/open.txt", 0o600)
        #expect(try store.clientSecret(.file("open.txt")).revealed == "GOCSPX-open")
        #expect(try store.clientSecret(.environment("CLIENT_SECRET")).revealed == "GOCSPX-env")
        #expect(throws: SecretError("the OAuth client secret: the environment variable MISSING is not set; export it before running cadence")) {
            _ = try store.clientSecret(.environment("MISSING"))
        }
        #expect(throws: SecretError("the OAuth client secret: nope.json does not exist; create it, or fix the path in cadence.json")) {
            _ = try store.clientSecret(.file("nope.json"))
        }
        FileManager.default.createFile(atPath: root + "/cs.json", contents: Data(#"{"installed":{"client_id":"x","client_secret":"GOCSPX-json"}}"#.utf8), attributes: [.posixPermissions: 0o600])
        #expect(try store.clientSecret(.file("cs.json")).revealed == "GOCSPX-json")
        FileManager.default.createFile(atPath: root + "/bad.json", contents: Data(#"{"other":{}}"#.utf8), attributes: [.posixPermissions: 0o600])
        #expect(throws: SecretError.self) { _ = try store.clientSecret(.file("bad.json")) }
        // The key file of a service account is checked the same way, and must be a service account key.
        FileManager.default.createFile(atPath: root + "/sa.json", contents: Data(#"{"type":"authorized_user"}"#.utf8), attributes: [.posixPermissions: 0o600])
        #expect(throws: SecretError.self) { _ = try ServiceAccountKey(json: Array(#"{"type":"authorized_user"}"#.utf8), what: "sa.json") }
    }

    @Test("a whole authorisation session logs at trace level and errs, and no token, secret or key appears in any of it")
    func nothingLeaks() async throws {
        try await GmailProject.with { project in
            var outputs: [String] = []
            // Login through the browser, status, online check, a refresh, a 401 retry, invalid_grant, logout.
            var random = SystemRandomNumberGenerator()
            let login = try await AuthLogin.run(mailbox: try project.mailbox(), access: project.access, timeoutMinutes: 1, random: &random) { url in
                try? await GmailProject.browse(url)
            }
            outputs.append("\(login)")
            let configuration = ProjectConfiguration(mailboxes: [try project.mailbox()])
            outputs += AuthStatus.rows(configuration, access: project.access).map { "\($0)" }
            outputs += await ConfigCheck.run(configuration, access: project.access, online: true).map { "\($0)" }
            project.gmail.expireAccessTokens(of: GmailProject.sam)
            outputs += await ConfigCheck.run(configuration, access: project.access, online: true).map { "\($0)" }
            project.clock.advance(by: 4_000)
            project.gmail.revokeGrants(of: GmailProject.sam)
            outputs += await ConfigCheck.run(configuration, access: project.access, online: true).map { "\($0)" }
            outputs.append(try await AuthLogout.run(mailbox: try project.mailbox(), access: project.access))
            let key = try project.gmail.createServiceAccount(email: "bot@fake.iam.gserviceaccount.com", delegations: [GmailProject.sam: GmailScope.required])
            try project.write("secrets/sa.json", String(decoding: key, as: UTF8.self), mode: 0o600)
            let sa = try project.mailbox(credentials: .serviceAccount(key: .file("secrets/sa.json"), actAs: try EmailAddress.parse(GmailProject.sam).get()))
            outputs += await ConfigCheck.run(ProjectConfiguration(mailboxes: [sa]), access: project.access, online: true).map { "\($0)" }
            let everything = outputs.joined(separator: "\n") + "\n" + project.logs.text
            #expect(project.logs.text.contains("google request"))
            let privateKey = try #require((try JSONSerialization.jsonObject(with: Data(key)) as? [String: Any])?["private_key"] as? String)
            let secrets = project.gmail.issuedSecrets() + [GmailProject.clientSecret, String(privateKey.split(separator: "\n")[1])]
            #expect(secrets.count > 6)
            #expect(secrets.contains { $0.hasPrefix("eyJ") })  // a signed assertion was seen…
            #expect(secrets.contains { $0.hasPrefix("4/0fake") })  // …and an authorisation code
            for secret in secrets {
                #expect(!everything.contains(secret), "a secret leaked: \(secret.prefix(8))…")
            }
        }
    }
}

@Suite("cadence config check: the push URL token")
struct PushTokenCheckTests {
    @Test("a missing, short or open push token is a problem line; a good one is readable, and its value is never shown")
    func pushToken() async throws {
        try await GmailProject.with { project in
            var configuration = ProjectConfiguration(mailboxes: [try project.mailbox()])
            func pushLine() async -> ConfigCheck.Line? {
                await ConfigCheck.run(configuration, access: project.access, online: false).first { $0.mailbox == "push" }
            }
            #expect(await pushLine() == nil)  // no token configured: nothing to check
            configuration.push.token = .file("secrets/push-token")
            let missing = try #require(await pushLine())
            #expect(!missing.ok)
            try project.write("secrets/push-token", "short", mode: 0o600)
            let short = try #require(await pushLine())
            #expect(!short.ok)
            #expect(short.text.contains("shorter than 16 characters"))
            #expect(!short.text.contains("short)"))
            let value = UUID().uuidString
            try project.write("secrets/push-token", value, mode: 0o644)
            let open = try #require(await pushLine())
            #expect(!open.ok)
            #expect(open.text.contains("chmod"))
            try project.write("secrets/push-token", value, mode: 0o600)
            let good = try #require(await pushLine())
            #expect(good.ok)
            #expect(good.text == "URL token readable (file secrets/push-token)")
            #expect(![missing, short, open, good].contains { $0.text.contains(value) })
        }
    }
}
