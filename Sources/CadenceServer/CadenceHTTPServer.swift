import CadenceCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// Cadence's long-running HTTP server (`cadence serve`): the Gmail push endpoint, and the tracking routes (pixel,
/// click, unsubscribe) under the `tracking` path. A plain `GET /healthz` answers 200 for load balancers and scripts.
public enum CadenceHTTPServer {
    /// Serves until one of `shutdownSignals` arrives (requests in flight are finished: a push being queued is
    /// answered) or the task is cancelled; `listening` gets the bound address.
    public static func run(
        host: String, port: Int, push: PushEndpoint?, pushPath: String, tracking: TrackingEndpoint? = nil, trackingPath: String = "/t",
        trustedProxies: IPRangeSet = .empty, metrics: MetricsEndpoint? = nil, logger: Logger, shutdownSignals: [UnixSignal] = [],
        listening: @escaping @Sendable (String) async -> Void = { _ in }
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
        if let metrics {
            let group = ServiceGroup(
                configuration: .init(
                    services: [app, metricsApplication(metrics, logger: logger)], gracefulShutdownSignals: shutdownSignals, logger: logger))
            try await group.run()
        } else {
            try await app.runService(gracefulShutdownSignals: shutdownSignals)
        }
        // Opens and clicks accepted before the signal are written before the process ends.
        await tracking?.recorder.drain()
    }

    /// The metrics listener: `GET /metrics` and nothing else.
    static func metricsApplication(_ metrics: MetricsEndpoint, logger: Logger) -> some Service {
        let router = Router(context: ServerRequestContext.self)
        router.get("/metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            switch await metrics.page() {
            case .success(let page):
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
            case .failure(let problem):
                return Response(status: .serviceUnavailable, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: problem.reason + "\n")))
            }
        }
        return Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(metrics.host, port: metrics.port), serverName: "cadence"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? metrics.port
                await metrics.listening("http://\(metrics.host.contains(":") ? "[\(metrics.host)]" : metrics.host):\(bound)")
            },
            logger: logger)
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
