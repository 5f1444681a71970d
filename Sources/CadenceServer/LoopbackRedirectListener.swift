import CadenceCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// The loopback half of the installed-app OAuth flow (RFC 8252 §7.3): a one-shot HTTP server on 127.0.0.1 and a
/// random port that waits for the browser to come back from Google's consent page with `?state=…&code=…`.
public enum LoopbackRedirectListener {
    /// Listens, tells `listening` the redirect URI to put in the consent URL, and returns that URI with the query
    /// of the first request that carries `state` — or nil after `timeout` seconds. Other requests get a 404.
    /// `accepts` decides whether a request is the answer (its `state` matches); others get a page saying the link
    /// is stale, and the listener keeps waiting.
    public static func receive(
        timeout: Double, sleeper: any Sleeper, logger: Logger, accepts: @escaping @Sendable ([(String, String)]) -> Bool = { _ in true },
        listening: @escaping @Sendable (String) async -> Void
    ) async throws -> (redirectURI: String, query: [(String, String)])? {
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let (answers, answerContinuation) = AsyncStream<[(String, String)]>.makeStream()
        // The first answer is also kept here, so a timeout that races with it still sees it.
        let received = Mutex<[(String, String)]?>(nil)
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let query = FormEncoding.decode(request.uri.query ?? "")
            guard request.method == .get, query.contains(where: { $0.0 == "state" }) else {
                return Response(status: .notFound)
            }
            guard accepts(query) else {
                var headers = HTTPFields()
                headers[.contentType] = "text/html; charset=utf-8"
                let stale = "<!doctype html><meta charset=utf-8><title>Cadence</title><p>This answer belongs to an older login. Use the link the running <code>cadence auth login</code> printed.</p>"
                return Response(status: .badRequest, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: stale)))
            }
            received.withLock { if $0 == nil { $0 = query } }
            answerContinuation.yield(query)
            let page = "<!doctype html><meta charset=utf-8><title>Cadence</title><p>Cadence received Google's answer. You can close this tab and return to the terminal.</p>"
            var headers = HTTPFields()
            headers[.contentType] = "text/html; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
        }
        // The server is stopped by cancellation once the answer is in, which Hummingbird logs as errors; those
        // are not the person's concern, so this one-shot server logs nothing.
        let quiet = Logger(label: "cadence.auth-listener") { _ in SwiftLogNoOpLogHandler() }
        let app = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0), serverName: "cadence-auth"),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: quiet)
        return try await withThrowingTaskGroup(of: [(String, String)]?.self) { group in
            group.addTask {
                try await app.runService(gracefulShutdownSignals: [])
                return nil
            }
            var portIterator = ports.makeAsyncIterator()
            guard let port = await portIterator.next(), port > 0 else {
                group.cancelAll()
                throw ListenerError("could not listen on 127.0.0.1 for Google's redirect")
            }
            await listening("http://127.0.0.1:\(port)")
            group.addTask {
                var iterator = answers.makeAsyncIterator()
                return await iterator.next()
            }
            group.addTask {
                try await sleeper.sleep(seconds: timeout)
                return nil
            }
            var result: [(String, String)]?
            for try await value in group {
                result = value
                break
            }
            // Let the "you can close this tab" page reach the browser before the server stops.
            try? await Task.sleep(nanoseconds: 300_000_000)
            group.cancelAll()
            return (result ?? received.withLock { $0 }).map { ("http://127.0.0.1:\(port)", $0) }
        }
    }
}

public struct ListenerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
