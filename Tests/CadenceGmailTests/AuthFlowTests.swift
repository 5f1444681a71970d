import CadenceCore
import CadenceEngine
import CadenceFakeGmail
import CadenceGmail
import Foundation
import Testing

@Suite("cadence auth and config check against the fake, over real HTTP")
struct AuthFlowTests {
    func login(_ project: GmailProject, mailbox: Mailbox? = nil, sleeper: (any Sleeper)? = nil, tamper: @escaping @Sendable (String) -> String = { $0 }) async throws -> Result<
        AuthLogin.Result, LoginFailure
    > {
        var random = SystemRandomNumberGenerator()
        let access = GmailAccess(store: project.store, clock: project.clock, sleeper: sleeper ?? project.sleeper, logger: project.logs.logger)
        let target = try mailbox ?? project.mailbox()
        do throws(LoginFailure) {
            return .success(
                try await AuthLogin.run(mailbox: target, access: access, timeoutMinutes: 1, random: &random) { url in
                    #expect(url.contains("code_challenge_method=S256"))
                    #expect(url.contains("access_type=offline"))
                    if sleeper == nil { try? await GmailProject.browse(url, tamper: tamper) }
                })
        } catch {
            return .failure(error)
        }
    }

    @Test("login: consent, PKCE exchange, the account confirmed, the refresh token saved with mode 0600")
    func loginHappy() async throws {
        try await GmailProject.with { project in
            let result = try await login(project).get()
            #expect(result.address == GmailProject.sam)
            #expect(result.scopes == GmailScope.required)
            let path = project.root + "/secrets/sam.token.json"
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
            let file = try TokenFile.read("secrets/sam.token.json", from: project.store)
            #expect(file.address == GmailProject.sam)
            #expect(file.revoked == nil)
            let rows = AuthStatus.rows(ProjectConfiguration(mailboxes: [try project.mailbox()]), access: project.access)
            #expect(rows.first?.state == "authorised 2026-11-30 00:53 UTC")
            #expect(rows.first?.scopes == "gmail.send gmail.readonly")
            #expect(rows.first?.token == "access token until 2026-11-30 01:53 UTC")
            // A login after invalid_grant clears the mark.
            project.gmail.revokeGrants(of: GmailProject.sam)
            project.clock.advance(by: 3_600)
            let lines = await ConfigCheck.run(ProjectConfiguration(mailboxes: [try project.mailbox()]), access: project.access, online: true)
            #expect(lines.first?.ok == false)
            _ = try await login(project).get()
            #expect(try TokenFile.read("secrets/sam.token.json", from: project.store).revoked == nil)
        }
    }

    @Test("login refuses another account, a denial, an unticked scope, a forged state and a browser that never comes back; nothing is saved")
    func loginRefusals() async throws {
        try await GmailProject.with { project in
            project.gmail.setConsent(Consent(user: "other@northwind.example.com"))
            let wrong = try await login(project)
            #expect(
                wrong.failure?.description
                    == "you signed in as other@northwind.example.com, but this mailbox is sam@northwind.example.com; nothing was saved (the new grant was revoked); run the command again and choose sam@northwind.example.com in Google's account picker"
            )
            project.gmail.setConsent(Consent(deny: true))
            #expect(try await login(project).failure?.description == "consent was refused in the browser; nothing was saved; run the command again and press Allow")
            project.gmail.setConsent(Consent(scopes: [GmailScope.send]))
            #expect(
                try await login(project).failure?.description
                    == "the grant lacks gmail.readonly (a box was unticked on the consent screen); nothing was saved; run the command again and leave every box ticked")
            project.gmail.setConsent(Consent())
            let forged = try await login(project) { $0.replacingOccurrences(of: "state=", with: "state=x") }
            // A redirect with another state is turned away (a stale tab); the login keeps waiting for its own.
            #expect(forged.failure?.description.hasPrefix("no answer from the browser") == true)
            // A client secret Google does not accept: the exchange is refused with Google's code.
            try project.write("secrets/client_secret.json", "GOCSPX-wrong", mode: 0o600)
            #expect(try await login(project).failure?.description == "Google refused the code (invalid_client: Unauthorized); nothing was saved; run the command again")
            try project.write("secrets/client_secret.json", GmailProject.clientSecret, mode: 0o600)
            let timedOut = try await login(project, sleeper: RecordingSleeper())
            #expect(timedOut.failure?.description == "no answer from the browser within 1 minutes; nothing was saved; run the command again")
            #expect(!FileManager.default.fileExists(atPath: project.root + "/secrets/sam.token.json"))
            // The refused grants were revoked at Google: only the wrong-account one and the missing-scope one existed.
            #expect(project.gmail.calls(of: "revoke") == 2)
        }
    }

    @Test("config check: offline reads secrets; online confirms address and scopes, naming a missing scope with its fix")
    func configCheck() async throws {
        try await GmailProject.with { project in
            let configuration = ProjectConfiguration(mailboxes: [try project.mailbox()])
            let before = await ConfigCheck.run(configuration, access: project.access, online: false)
            #expect(before.first == .init(mailbox: "sam", ok: false, text: "not authorised: run `cadence auth login sam`"))
            try project.authorize()
            #expect(await ConfigCheck.run(configuration, access: project.access, online: false).first?.ok == true)
            let online = await ConfigCheck.run(configuration, access: project.access, online: true)
            #expect(online.first == .init(mailbox: "sam", ok: true, text: "sam@northwind.example.com reachable; scopes gmail.send gmail.readonly"))
            try project.authorize(scopes: [GmailScope.send])
            let sendOnly = await ConfigCheck.run(configuration, access: project.access, online: false)
            #expect(sendOnly.first?.text == "lacks gmail.readonly: run `cadence auth login sam` and leave every box ticked")
            // Online, Gmail itself refuses: a token file that claims both scopes for a send-only grant.
            let sendOnlyRefresh = project.gmail.issueRefreshToken(clientID: GmailProject.clientID, user: GmailProject.sam, scopes: [GmailScope.send])
            try TokenFile(address: GmailProject.sam, scopes: GmailScope.required, refreshToken: Secret(sendOnlyRefresh), authorizedAt: project.clock.now).write(
                "secrets/sam.token.json", to: project.store)
            let refused = await ConfigCheck.run(configuration, access: project.access, online: true)
            #expect(refused.first?.ok == false)
            #expect(refused.first?.text.hasPrefix("Gmail refused to read the profile: the grant lacks") == true)
            #expect(refused.first?.text.hasSuffix("run `cadence auth login sam`, sign in as sam@northwind.example.com and leave every box ticked") == true)
            // Online, Gmail says the grant is someone else's although the file claims sam.
            let otherRefresh = project.gmail.issueRefreshToken(clientID: GmailProject.clientID, user: "other@northwind.example.com", scopes: GmailScope.required)
            try TokenFile(address: GmailProject.sam, scopes: GmailScope.required, refreshToken: Secret(otherRefresh), authorizedAt: project.clock.now).write(
                "secrets/sam.token.json", to: project.store)
            let foreign = await ConfigCheck.run(configuration, access: project.access, online: true)
            #expect(
                foreign.first?.text
                    == "Gmail says this grant is for other@northwind.example.com, not sam@northwind.example.com; run `cadence auth login sam`, sign in as sam@northwind.example.com and leave every box ticked"
            )
            try project.authorize(user: "other@northwind.example.com")
            let wrong = await ConfigCheck.run(configuration, access: project.access, online: true)
            #expect(wrong.first?.text == "token is for other@northwind.example.com, not sam@northwind.example.com: run `cadence auth login sam`")
            try project.authorize()
            chmod(project.root + "/secrets/client_secret.json", 0o640)
            let exposed = await ConfigCheck.run(configuration, access: project.access, online: true)
            #expect(exposed.first?.text == "the OAuth client secret: secrets/client_secret.json can be read by other users (mode 640); run `chmod 600 secrets/client_secret.json` and try again")
        }
    }

    @Test("auth status reads the client secret too: a missing variable makes the mailbox not ready")
    func statusNeedsClientSecret() async throws {
        try await GmailProject.with { project in
            try project.authorize()
            let mailbox = try project.mailbox(credentials: .oauth(clientID: GmailProject.clientID, clientSecret: .environment("NOT_SET_ANYWHERE"), tokenFile: "secrets/sam.token.json"))
            let row = try #require(AuthStatus.rows(ProjectConfiguration(mailboxes: [mailbox]), access: project.access).first)
            #expect(!row.healthy)
            #expect(row.state == "the OAuth client secret: the environment variable NOT_SET_ANYWHERE is not set; export it before running cadence")
            #expect(AuthStatus.readiness(access: project.access)(mailbox) == row.state)
        }
    }

    @Test("config check online for a service account whose delegation lacks a scope names the admin's fix")
    func serviceAccountScopes() async throws {
        try await GmailProject.with { project in
            let key = try project.gmail.createServiceAccount(email: "bot@fake.iam.gserviceaccount.com", delegations: [GmailProject.sam: [GmailScope.send]])
            try project.write("secrets/sa.json", String(decoding: key, as: UTF8.self), mode: 0o600)
            let mailbox = try project.mailbox(credentials: .serviceAccount(key: .file("secrets/sa.json"), actAs: try EmailAddress.parse(GmailProject.sam).get()))
            let lines = await ConfigCheck.run(ProjectConfiguration(mailboxes: [mailbox]), access: project.access, online: true)
            #expect(lines.first?.ok == false)
            #expect(lines.first?.text.contains("Domain-wide delegation") == true)
        }
    }

    @Test("logout revokes the grant at Google and deletes the token file")
    func logout() async throws {
        try await GmailProject.with { project in
            _ = try await login(project).get()
            let refresh = try TokenFile.read("secrets/sam.token.json", from: project.store).refreshToken
            let message = try await AuthLogout.run(mailbox: try project.mailbox(), access: project.access)
            #expect(message == "Revoked Cadence's access to sam@northwind.example.com at Google, and deleted secrets/sam.token.json.")
            #expect(!FileManager.default.fileExists(atPath: project.root + "/secrets/sam.token.json"))
            let refused = try await project.withHTTP { http -> TokenEndpoint.Refusal? in
                do throws(TokenEndpoint.Refusal) {
                    _ = try await TokenEndpoint(http: http, endpoints: project.endpoints, sleeper: project.sleeper, clock: project.clock).refresh(
                        refresh, clientID: GmailProject.clientID, clientSecret: Secret(GmailProject.clientSecret))
                    return nil
                } catch {
                    return error
                }
            }
            #expect(refused?.code == "invalid_grant")
            // When Google cannot be reached the file is kept, unless --force.
            _ = try await login(project).get()
            project.gmail.addFault(FaultRule(method: "revoke", calls: 1...10, fault: .status(503)))
            let target = try project.mailbox()
            do throws(LoginFailure) {
                _ = try await AuthLogout.run(mailbox: target, access: project.access)
                Issue.record("logout claimed success without revoking")
            } catch {
                #expect(error.description.contains("is kept so you can try again later"))
            }
            #expect(FileManager.default.fileExists(atPath: project.root + "/secrets/sam.token.json"))
            #expect(project.gmail.calls(of: "revoke") >= 5)  // retried with backoff
            #expect(try await AuthLogout.run(mailbox: try project.mailbox(), access: project.access, force: true).hasPrefix("Could not revoke at Google; deleted"))
            #expect(!FileManager.default.fileExists(atPath: project.root + "/secrets/sam.token.json"))
            #expect(try await AuthLogout.run(mailbox: try project.mailbox(), access: project.access) == "Mailbox sam was not logged in (no secrets/sam.token.json); nothing to do.")
        }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { error } else { nil }
    }
}
