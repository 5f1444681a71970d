import CadenceCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import UnixSignals

/// Cadence's long-running HTTP server (`cadence serve`): the Gmail push endpoint, and the tracking routes (pixel,
/// click, unsubscribe) under the `tracking` path. A plain `GET /healthz` answers 200 for load balancers and scripts.
public enum CadenceHTTPServer {
    /// Serves until one of `shutdownSignals` arrives (requests in flight are finished: a push being queued is
    /// answered) or the task is cancelled; `listening` gets the bound address.
    public static func run(
        host: String, port: Int, push: PushEndpoint?, pushPath: String, tracking: TrackingEndpoint? = nil, trackingPath: String = "/t",
        trustedProxies: IPRangeSet = .empty, logger: Logger, shutdownSignals: [UnixSignal] = [], listening: @escaping @Sendable (String) async -> Void = { _ in }
    ) async throws {
        let router = Router(context: ServerRequestContext.self)
        router.get("/healthz") { _, _ in "ok\n" }
        if let tracking { TrackingRoutes.add(tracking, under: trackingPath, trustedProxies: trustedProxies, to: router) }
        if let push {
            router.post(RouterPath(pushPath)) { request, _ -> Response in
                let body = try await request.body.collect(upTo: 64 * 1024)
                let query = FormEncoding.decode(request.uri.query ?? "")
                let answer = await push.handle(
                    queryToken: query.first { $0.0 == "token" }?.1, authorization: request.headers[.authorization], body: Array(buffer: body))
                var headers = HTTPFields()
                headers[.contentType] = "text/plain; charset=utf-8"
                return Response(
                    status: HTTPResponse.Status(code: answer.status), headers: headers,
                    body: answer.text.isEmpty ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(string: answer.text + "\n")))
            }
        }
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "cadence"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                await listening("http://\(host.contains(":") ? "[\(host)]" : host):\(bound)")
            },
            logger: logger)
        // `forget` runs in another process: look for erasures every second, so kept click targets are dropped.
        let refresher = Task {
            guard let tracking else { return }
            while !Task.isCancelled {
                await tracking.refreshErasures()
                try? await Task.sleep(for: .seconds(1))
            }
        }
        defer { refresher.cancel() }
        try await app.runService(gracefulShutdownSignals: shutdownSignals)
        // Opens and clicks accepted before the signal are written before the process ends.
        await tracking?.recorder.drain()
    }

    /// Serves on 127.0.0.1, on a free port, for as long as `body` runs with the server's base address, then stops
    /// it: for the sandbox demo and for tests, which must not leave a server behind.
    public static func whileServing<T: Sendable>(
        push: PushEndpoint? = nil, pushPath: String = "/hooks/gmail", tracking: TrackingEndpoint? = nil, trackingPath: String = "/t",
        trustedProxies: IPRangeSet = .empty, logger: Logger, _ body: @escaping @Sendable (_ base: String) async throws -> T
    ) async throws -> T {
        let (addresses, continuation) = AsyncStream<String>.makeStream()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await run(
                    host: "127.0.0.1", port: 0, push: push, pushPath: pushPath, tracking: tracking, trackingPath: trackingPath, trustedProxies: trustedProxies,
                    logger: logger
                ) {
                    continuation.yield($0)
                    continuation.finish()
                }
                return nil
            }
            var iterator = addresses.makeAsyncIterator()
            guard let base = await iterator.next() else {
                group.cancelAll()
                throw CancellationError()
            }
            defer { group.cancelAll() }
            return try await body(base)
        }
    }
}
