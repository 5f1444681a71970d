import CadenceCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// The fake on a real HTTP server (Hummingbird) bound to 127.0.0.1.
public struct FakeGmailServer: Sendable {
    public let gmail: FakeGmail
    public let port: Int

    /// `http://127.0.0.1:PORT`: the API, token, authorisation and revoke base for `cadence.json`'s `google`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The `"google"` section of `cadence.json` that points Cadence at this fake.
    public func googleSection(clientID: String? = nil, clientSecret: SecretReference? = nil) -> String {
        var pairs = [
            "\"apiURL\": \"\(baseURL)\"", "\"tokenURL\": \"\(baseURL)/token\"",
            "\"authorizationURL\": \"\(baseURL)/o/oauth2/v2/auth\"", "\"revokeURL\": \"\(baseURL)/revoke\"",
        ]
        if let clientID { pairs.append("\"clientId\": \"\(clientID)\"") }
        switch clientSecret {
        case .file(let path)?: pairs.append("\"clientSecret\": {\"file\": \"\(path)\"}")
        case .environment(let name)?: pairs.append("\"clientSecret\": {\"env\": \"\(name)\"}")
        case nil: break
        }
        return "{" + pairs.joined(separator: ", ") + "}"
    }

    /// Endpoints pointing at this fake, for code that takes `GoogleEndpoints` directly.
    public var endpoints: GoogleEndpoints {
        var endpoints = GoogleEndpoints()
        endpoints.apiURL = baseURL
        endpoints.tokenURL = baseURL + "/token"
        endpoints.authorizationURL = baseURL + "/o/oauth2/v2/auth"
        endpoints.revokeURL = baseURL + "/revoke"
        return endpoints
    }

    /// Serves `gmail` on 127.0.0.1:`port` (0: a free port) until `body` returns or throws, then stops the server.
    public static func run<T: Sendable>(
        _ gmail: FakeGmail, port: Int = 0, logger: Logger? = nil, _ body: @Sendable (FakeGmailServer) async throws -> T
    ) async throws -> T {
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            try await respond(gmail, request)
        }
        // Stopped by cancellation, which Hummingbird reports as errors: keep only what is worse than that.
        var quiet = Logger(label: "cadence.fake-gmail")
        quiet.logLevel = .critical
        let app = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: port), serverName: "fake-gmail"),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger ?? quiet)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.runService(gracefulShutdownSignals: [])
                return nil
            }
            var iterator = stream.makeAsyncIterator()
            guard let bound = await iterator.next(), bound > 0 else {
                group.cancelAll()
                throw FakeGmailServerError("the fake Gmail could not listen on 127.0.0.1:\(port)")
            }
            gmail.baseURL.withLock { $0 = "http://127.0.0.1:\(bound)" }
            let server = FakeGmailServer(gmail: gmail, port: bound)
            do {
                let result = try await body(server)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    private static func respond(_ gmail: FakeGmail, _ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024 * 1024)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let fake = FakeRequest(
            method: request.method.rawValue, path: request.uri.path, query: FormEncoding.decode(request.uri.query ?? ""),
            headers: headers, body: Array(buffer: body))
        let answer = await gmail.handle(fake)
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        if answer.drop {
            // The head goes out, then the connection closes mid-answer: the client cannot know what happened.
            return Response(status: .ok, headers: fields, body: ResponseBody { _ in throw FakeGmailServerError("connection dropped on purpose") })
        }
        return Response(status: HTTPResponse.Status(code: answer.status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}

/// Runs a fake Gmail for the duration of `body`: a fresh one on a free port of 127.0.0.1, on `clock`.
public func withFakeGmail<T: Sendable>(
    options: FakeGmailOptions = FakeGmailOptions(), clock: any WallClock = AdjustableClock(), _ body: @Sendable (FakeGmailServer) async throws -> T
) async throws -> T {
    try await FakeGmailServer.run(FakeGmail(options: options, clock: clock), body)
}

public struct FakeGmailServerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
