import AsyncHTTPClient
import CadenceCore
import CadenceFakeGmail
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

extension ProcessTests {
    @Suite("cadence auth and cadence config check, as processes against the fake Gmail")
    struct AuthCommandTests {
        static let now = "2026-11-30T10:00:00Z"
        static let start = ISO8601DateFormatter().date(from: now)!
        static let clientSecret = "cli-test-secret-" + UUID().uuidString  // made at run time: no secret-shaped value in the repository

        /// A project folder whose cadence.json points at `server`.
        static func project(_ server: FakeGmailServer) throws -> URL {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-auth-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: root.appendingPathComponent("secrets"), withIntermediateDirectories: true)
            let google = server.googleSection(clientID: "1234-cli.apps.googleusercontent.com", clientSecret: .file("secrets/client_secret.txt"))
            let config = """
                {
                  "google": \(google),
                  "mailboxes": [
                    { "name": "sam", "address": "sam@northwind.example.com", "displayName": "Sam Carter", "timeZone": "America/New_York", "provider": "gmail" }
                  ]
                }
                """
            try Data(config.utf8).write(to: root.appendingPathComponent("cadence.json"))
            let secret = root.appendingPathComponent("secrets/client_secret.txt").path
            FileManager.default.createFile(atPath: secret, contents: Data((clientSecret + "\n").utf8))
            chmod(secret, 0o600)
            server.gmail.addMailbox("sam@northwind.example.com")
            server.gmail.addClient(id: "1234-cli.apps.googleusercontent.com", secret: clientSecret)
            return root
        }

        static func environment(now: String = now) -> [String: String] {
            ["CADENCE_NOW": now, "CADENCE_LOG_LEVEL": "trace", "CADENCE_DB": "/nonexistent/never-used.sqlite"]
        }

        /// Runs `cadence auth login sam`, plays the browser when the URL appears, and returns the output.
        static func login(in root: URL) async throws -> CadenceBinary.Output {
            let process = Process()
            process.executableURL = CadenceBinary.executable
            process.arguments = ["auth", "login", "sam", "--timeout", "5"]  // minutes; the test plays the browser at once
            process.currentDirectoryURL = root
            process.environment = ProcessInfo.processInfo.environment.merging(environment()) { $1 }.filter { $0.key != "CADENCE_CONFIG" }
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let collected = Mutex<[UInt8]>([])
            let reader = Thread {
                while true {
                    let chunk = out.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    collected.withLock { $0 += chunk }
                }
            }
            reader.start()
            var url: String?
            _ = try await Patience.waitUntil {
                let text = String(decoding: collected.withLock { $0 }, as: UTF8.self)
                url = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix("http://127.0.0.1:") && $0.contains("/o/oauth2/v2/auth?") }
                return url != nil || !process.isRunning
            }
            if let url {
                do { try await browse(url) } catch { process.terminate(); process.waitUntilExit(); throw error }
            } else {
                process.terminate()
            }
            let errors = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(try await Patience.waitUntil { reader.isFinished })
            return CadenceBinary.Output(status: process.terminationStatus, stdout: String(decoding: collected.withLock { $0 }, as: UTF8.self), stderr: String(decoding: errors, as: UTF8.self))
        }

        static func browse(_ url: String) async throws {
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: .init(redirectConfiguration: .disallow))
            defer { _ = client.shutdown() as EventLoopFuture<Void> }
            let consent = try await client.execute(HTTPClientRequest(url: url), timeout: Patience.request)
            _ = try await consent.body.collect(upTo: 1 << 20)
            let location = try #require(consent.headers.first(name: "Location"))
            let back = try await client.execute(HTTPClientRequest(url: location), timeout: Patience.request)
            _ = try await back.body.collect(upTo: 1 << 20)
        }

        @Test("login, status, online check, invalid_grant, logout: each says what it did, and no secret reaches stdout or stderr at trace level")
        func wholeLifecycle() async throws {
            let clock = AdjustableClock(Self.start)
            try await withFakeGmail(options: .unlimited, clock: clock) { server in
                let root = try Self.project(server)
                defer { try? FileManager.default.removeItem(at: root) }
                var transcript = ""
                let before = try CadenceBinary.run(["config", "check"], in: root, environment: Self.environment())
                transcript += before.stdout + before.stderr
                #expect(before.status == 1)
                #expect(before.stdout.contains("problem  sam: not authorised: run `cadence auth login sam`"))

                let login = try await Self.login(in: root)
                transcript += login.stdout + login.stderr
                #expect(login.status == 0, "\(login.stderr)")
                #expect(!login.stderr.contains("HummingbirdCore"))  // stopping the loopback listener is not an error
                #expect(login.stdout.contains("Open this address in a browser and sign in as sam@northwind.example.com:"))
                #expect(login.stdout.contains("Authorised mailbox sam as sam@northwind.example.com with gmail.send, gmail.readonly; refresh token saved to secrets/sam.token.json (mode 600)."))
                let mode = try FileManager.default.attributesOfItem(atPath: root.appendingPathComponent("secrets/sam.token.json").path)[.posixPermissions] as? Int
                #expect(mode == 0o600)

                let status = try CadenceBinary.run(["auth", "status"], in: root, environment: Self.environment())
                transcript += status.stdout + status.stderr
                #expect(status.status == 0)
                #expect(
                    status.stdout.hasPrefix(
                        """
                        sam  sam@northwind.example.com  OAuth (installed app)
                          state:  authorised 2026-11-30 10:00 UTC
                          scopes: gmail.send gmail.readonly
                          token:  access token until 2026-11-30 10:59 UTC
                        """))

                let online = try CadenceBinary.run(["config", "check", "--online"], in: root, environment: Self.environment())
                transcript += online.stdout + online.stderr
                #expect(online.status == 0, "\(online.stderr)")
                #expect(online.stdout == "ok       sam: sam@northwind.example.com reachable; scopes gmail.send gmail.readonly\n")

                // Two hours later the grant has been revoked (a password change): the check names the fix, once.
                server.gmail.revokeGrants(of: "sam@northwind.example.com")
                clock.advance(by: 7_200)
                let later = Self.environment(now: "2026-11-30T12:00:00Z")
                let revoked = try CadenceBinary.run(["config", "check", "--online"], in: root, environment: later)
                transcript += revoked.stdout + revoked.stderr
                #expect(revoked.status == 1)
                #expect(revoked.stdout.contains("problem  sam: mailbox sam needs re-authorisation (Google said: Token has been expired or revoked.); run `cadence auth login sam`"))
                let tokenCalls = server.gmail.calls(of: "token")
                let again = try CadenceBinary.run(["config", "check", "--online"], in: root, environment: later)
                #expect(again.status == 1)
                #expect(server.gmail.calls(of: "token") == tokenCalls)  // no retry storm across processes
                let statusAfter = try CadenceBinary.run(["auth", "status"], in: root, environment: later)
                transcript += statusAfter.stdout
                #expect(statusAfter.status == 1)
                #expect(statusAfter.stdout.contains("state:  needs re-authorisation since 2026-11-30 12:00 UTC (Token has been expired or revoked.): run `cadence auth login sam`"))

                let logout = try CadenceBinary.run(["auth", "logout", "sam"], in: root, environment: later)
                transcript += logout.stdout + logout.stderr
                #expect(logout.status == 0)
                #expect(logout.stdout.contains("and deleted secrets/sam.token.json."))

                #expect(transcript.contains("google request"))  // trace logging was on
                for secret in server.gmail.issuedSecrets() + [Self.clientSecret] {
                    #expect(!transcript.contains(secret), "a secret leaked: \(secret.prefix(8))…")
                }
            }
        }

        @Test("secrets in cadence.json and secret files others can read are refused with what to do")
        func secretRules() async throws {
            try await withFakeGmail(options: .unlimited, clock: AdjustableClock(Self.start)) { server in
                let root = try Self.project(server)
                defer { try? FileManager.default.removeItem(at: root) }
                let unknown = try CadenceBinary.run(["auth", "login", "alex"], in: root, environment: Self.environment())
                #expect(unknown.status == 64)
                #expect(unknown.stderr == "cadence: error: no mailbox named \"alex\" in cadence.json; it has sam\n")
                chmod(root.appendingPathComponent("secrets/client_secret.txt").path, 0o644)
                let exposed = try CadenceBinary.run(["config", "check"], in: root, environment: Self.environment())
                #expect(exposed.status == 1)
                #expect(
                    exposed.stdout.contains(
                        "problem  sam: the OAuth client secret: secrets/client_secret.txt can be read by other users (mode 644); run `chmod 600 secrets/client_secret.txt` and try again"))
                let config = try String(contentsOf: root.appendingPathComponent("cadence.json"), encoding: .utf8)
                try Data(config.replacingOccurrences(of: #"{"file": "secrets/client_secret.txt"}"#, with: "\"\(Self.clientSecret)\"").utf8).write(to: root.appendingPathComponent("cadence.json"))
                let inline = try CadenceBinary.run(["auth", "status"], in: root, environment: Self.environment())
                #expect(inline.status == 65)
                #expect(inline.stderr.contains("error: \"google\".\"clientSecret\" must say where the secret is, not hold it"))
                #expect(!inline.stderr.contains(Self.clientSecret))
            }
        }
    }
}
