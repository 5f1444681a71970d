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
        host: String, port: Int, push: PushEndpoint?, pushPath: String, tracking: TrackingEndpoint? = nil, trackingPath: String = "/t", logger: Logger,
        shutdownSignals: [UnixSignal] = [], listening: @escaping @Sendable (String) async -> Void = { _ in }
    ) async throws {
        let router = Router()
        router.get("/healthz") { _, _ in "ok\n" }
        if let tracking { TrackingRoutes.add(tracking, under: trackingPath, to: router) }
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
        try await app.runService(gracefulShutdownSignals: shutdownSignals)
        // Opens and clicks accepted before the signal are written before the process ends.
        await tracking?.recorder.drain()
    }
}
