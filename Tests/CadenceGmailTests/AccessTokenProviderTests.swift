import CadenceCore
import CadenceEngine
import CadenceFakeGmail
import CadenceGmail
import Foundation
import Synchronization
import Testing

@Suite("access tokens against the fake: caching, single-flight refresh, 401 retry, invalid_grant, retries")
struct AccessTokenProviderTests {
    @Test("many sends asking at once cause one refresh; the token is cached, saved for the next process, and refreshed before expiry")
    func singleFlightAndCache() async throws {
        try await GmailProject.with { project in
            try project.authorize()
            let mailbox = try project.mailbox()
            try await project.withHTTP { http in
                let tokens = try project.provider(mailbox, http: http)
                let all = try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<20 { group.addTask { try await tokens.token().revealed } }
                    return try await group.reduce(into: Set<String>()) { $0.insert($1) }
                }
                #expect(all.count == 1)
                #expect(project.gmail.calls(of: "token") == 1)
                _ = try await tokens.token()
                #expect(project.gmail.calls(of: "token") == 1)
                // A second process reads the saved access token instead of refreshing.
                let other = try project.provider(mailbox, http: http)
                #expect(try await other.token().revealed == all.first)
                #expect(project.gmail.calls(of: "token") == 1)
                // Within 3 min 45 s of expiry, a new one.
                project.clock.advance(by: 3_599 - 200)
                let renewed = try await tokens.token().revealed
                #expect(renewed != all.first)
                #expect(project.gmail.calls(of: "token") == 2)
                let saved = try TokenFile.read("secrets/sam.token.json", from: project.store)
                #expect(saved.accessToken?.revealed == renewed)
                let mode = try FileManager.default.attributesOfItem(atPath: project.root + "/secrets/sam.token.json")[.posixPermissions] as? Int
                #expect(mode == 0o600)
            }
        }
    }

    @Test("a 401 from Gmail gets one refresh and one retry; a second 401 is final")
    func unauthorizedRetry() async throws {
        try await GmailProject.with { project in
            try project.authorize()
            let mailbox = try project.mailbox()
            try await project.withHTTP { http in
                let tokens = try project.provider(mailbox, http: http)
                let client = GmailClient(mailbox: "sam", http: http, tokens: tokens, endpoints: project.endpoints)
                #expect(try await client.profile().emailAddress == GmailProject.sam)
                project.gmail.expireAccessTokens(of: GmailProject.sam)
                #expect(try await client.profile().emailAddress == GmailProject.sam)
                #expect(project.gmail.calls(of: "token") == 2)
                #expect(project.gmail.calls(of: "getProfile") == 3)
                project.gmail.addFault(FaultRule(method: "getProfile", calls: 4...5, fault: .status(401)))
                await #expect(throws: GmailError.self) { _ = try await client.profile() }
                #expect(project.gmail.calls(of: "getProfile") == 5)
                #expect(project.gmail.calls(of: "token") == 3)
            }
        }
    }

    @Test("invalid_grant marks the mailbox for re-authorisation, in memory and in its token file; nobody asks Google again")
    func invalidGrant() async throws {
        try await GmailProject.with { project in
            try project.authorize()
            project.gmail.revokeGrants(of: GmailProject.sam)
            let mailbox = try project.mailbox()
            try await project.withHTTP { http in
                let tokens = try project.provider(mailbox, http: http)
                do throws(AuthError) {
                    _ = try await tokens.token()
                    Issue.record("a revoked grant gave a token")
                } catch {
                    #expect(error.description == "mailbox sam needs re-authorisation (Google said: Token has been expired or revoked.); run `cadence auth login sam`")
                }
                for _ in 0..<10 { _ = try? await tokens.token() }
                #expect(project.gmail.calls(of: "token") == 1)
                #expect(try TokenFile.read("secrets/sam.token.json", from: project.store).revoked?.reason == "Token has been expired or revoked.")
                let nextProcess = try project.provider(mailbox, http: http)
                await #expect(throws: AuthError.self) { _ = try await nextProcess.token() }
                #expect(project.gmail.calls(of: "token") == 1)
                #expect(project.sleeper.count == 0)
            }
            let status = AuthStatus.rows(ProjectConfiguration(mailboxes: [mailbox]), access: project.access)
            #expect(status.first?.healthy == false)
            #expect(status.first?.state.hasPrefix("needs re-authorisation since 2026-11-30 00:53 UTC (Token has been expired or revoked.): run `cadence auth login sam`") == true)
        }
    }

    @Test("token endpoint 5xx and 429 are retried with backoff; persistent failure is 'unavailable', not a dead mailbox")
    func tokenEndpointRetries() async throws {
        try await GmailProject.with { project in
            try project.authorize()
            let mailbox = try project.mailbox()
            project.gmail.addFault(FaultRule(method: "token", call: 1, fault: .status(503)))
            project.gmail.addFault(FaultRule(method: "token", call: 2, fault: .status(429)))
            try await project.withHTTP { http in
                let tokens = try project.provider(mailbox, http: http)
                _ = try await tokens.token()
                #expect(project.gmail.calls(of: "token") == 3)
                #expect(project.sleeper.count == 2)
                #expect(project.sleeper.waits.withLock { $0 }.allSatisfy { $0 >= 0 && $0 <= 2 })
                project.gmail.clearFaults()
                project.gmail.addFault(FaultRule(method: "token", calls: 4...7, fault: .status(500)))
                project.clock.advance(by: 3_600)
                do throws(AuthError) {
                    _ = try await tokens.token()
                    Issue.record("a failing endpoint gave a token")
                } catch {
                    guard case .unavailable = error else { Issue.record("unexpected \(error)"); return }
                    #expect(!error.needsPerson)
                }
                #expect(project.gmail.calls(of: "token") == 7)
                _ = try await tokens.token()  // not dead: the next pass tries again and succeeds
                #expect(project.gmail.calls(of: "token") == 8)
            }
        }
    }

    @Test("the token endpoint's Retry-After is honoured, and a 400 that is not Google's JSON does not kill the mailbox")
    func retryAfterAndForeignErrors() async throws {
        try await GmailProject.with { project in
            try project.authorize()
            project.gmail.addFault(FaultRule(method: "token", call: 1, fault: .rateLimited(retryAfterSeconds: 7)))
            try await project.withHTTP { http in
                let tokens = try project.provider(try project.mailbox(), http: http)
                _ = try await tokens.token()
                #expect(project.sleeper.waits.withLock { $0 }.first.map { $0 >= 7 } == true)
            }
        }
    }

    @Test("a refresh that races a new login does not overwrite it: the new grant survives, and the next token comes from it")
    func refreshRacesLogin() async throws {
        try await GmailProject.with { project in
            try project.authorize()
            project.gmail.revokeGrants(of: GmailProject.sam)  // the old grant is dead…
            // The fake holds the refresh for 5 seconds: the login below lands inside that window even on a loaded machine.
            project.gmail.addFault(FaultRule(method: "token", call: 1, fault: .latency(seconds: 5)))
            let mailbox = try project.mailbox()
            try await project.withHTTP { http in
                let tokens = try project.provider(mailbox, http: http)
                let refreshing = Task { try? await tokens.token() }
                #expect(try await Patience.waitUntil { project.gmail.calls(of: "token") == 1 })  // the refresh is out…
                try project.authorize()  // …and a login writes a new one before Google answers it
                _ = await refreshing.value
                #expect(try TokenFile.read("secrets/sam.token.json", from: project.store).revoked == nil)
                _ = try await tokens.token()  // from the new grant
                let status = AuthStatus.rows(ProjectConfiguration(mailboxes: [mailbox]), access: project.access)
                #expect(status.first?.healthy == true)
            }
        }
    }

    @Test("a wrong client secret is invalid_client, named with where to look")
    func invalidClient() async throws {
        try await GmailProject.with { project in
            try project.authorize()
            try project.write("secrets/client_secret.json", "GOCSPX-wrong", mode: 0o600)
            try await project.withHTTP { http in
                let tokens = try project.provider(try project.mailbox(), http: http)
                do throws(AuthError) {
                    _ = try await tokens.token()
                    Issue.record("a wrong secret gave a token")
                } catch {
                    guard case .invalidClient = error else { Issue.record("unexpected \(error)"); return }
                    #expect(error.description.contains("check \"clientId\" and the client secret"))
                }
            }
        }
    }

    @Test("a service account signs an assertion, acts as the mailbox, re-signs when the token expires; without delegation it stops")
    func serviceAccount() async throws {
        try await GmailProject.with { project in
            let key = try project.gmail.createServiceAccount(email: "bot@fake.iam.gserviceaccount.com", delegations: [GmailProject.sam: GmailScope.required])
            try project.write("secrets/sa.json", String(decoding: key, as: UTF8.self), mode: 0o600)
            let sam = try EmailAddress.parse(GmailProject.sam).get()
            let mailbox = try project.mailbox(credentials: .serviceAccount(key: .file("secrets/sa.json"), actAs: sam))
            try await project.withHTTP { http in
                let tokens = try project.provider(mailbox, http: http)
                let client = GmailClient(mailbox: "sam", http: http, tokens: tokens, endpoints: project.endpoints)
                #expect(try await client.profile().emailAddress == GmailProject.sam)
                project.clock.advance(by: 3_500)
                _ = try await client.profile()
                #expect(await tokens.refreshes == 2)
            }
            let other = try EmailAddress.parse("other@northwind.example.com").get()
            let undelegated = try project.mailbox("other", address: "other@northwind.example.com", credentials: .serviceAccount(key: .file("secrets/sa.json"), actAs: other))
            try await project.withHTTP { http in
                let tokens = try project.provider(undelegated, http: http)
                do throws(AuthError) {
                    _ = try await tokens.token()
                    Issue.record("an undelegated user gave a token")
                } catch {
                    guard case .unauthorizedClient = error else { Issue.record("unexpected \(error)"); return }
                    #expect(error.description.contains("Domain-wide delegation"))
                }
                let calls = project.gmail.calls(of: "token")
                _ = try? await tokens.token()
                #expect(project.gmail.calls(of: "token") == calls)
            }
        }
    }
}
