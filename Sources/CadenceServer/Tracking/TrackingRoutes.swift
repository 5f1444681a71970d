import CadenceCore
import HTTPTypes
import Hummingbird
import NIOCore

/// The HTTP side of `TrackingEndpoint`: `<path>/o/<token>.gif`, `<path>/c/<token>`, `<path>/u/<token>`.
enum TrackingRoutes {
    /// An unsubscribe form is a few hundred bytes; anything much larger is refused before it is read.
    static let maximumBody = 16 * 1024
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    static func add(_ endpoint: TrackingEndpoint, under path: String, trustedProxies: IPRangeSet, to router: Router<ServerRequestContext>) {
        for method in [HTTPRequest.Method.get, .head] {
            router.on(RouterPath("\(path)/o/:token"), method: method) { request, context -> Response in
                let token = context.parameters.get("token") ?? ""
                let tracked = trackingRequest(.pixel, request, context, trustedProxies, endpoint)
                return response(await endpoint.pixel(token, request: tracked), head: method == .head)
            }
            router.on(RouterPath("\(path)/c/:token"), method: method) { request, context -> Response in
                let token = context.parameters.get("token") ?? ""
                let tracked = trackingRequest(.click, request, context, trustedProxies, endpoint)
                return response(await endpoint.click(token, request: tracked), head: method == .head)
            }
            router.on(RouterPath("\(path)/u/:token"), method: method) { _, context -> Response in
                response(endpoint.unsubscribePage(context.parameters.get("token") ?? ""), head: method == .head)
            }
        }
        router.post(RouterPath("\(path)/u/:token")) { request, context -> Response in
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: maximumBody)
            } catch {
                return response(TrackingEndpoint.page(413, title: "Too large", text: "An unsubscribe request is a short form; this one is too large."), head: false)
            }
            let answer = await endpoint.unsubscribe(context.parameters.get("token") ?? "", body: Array(buffer: body), contentType: request.headers[.contentType])
            return response(answer, head: false)
        }
    }

    static func trackingRequest(
        _ target: TrackingRequest.Target, _ request: Request, _ context: ServerRequestContext, _ trustedProxies: IPRangeSet, _ endpoint: TrackingEndpoint
    ) -> TrackingRequest {
        let peer: IPAddress? = context.remoteAddress?.ipAddress.flatMap { IPAddress($0) }
        let client = ClientAddress.resolve(peer: peer, forwardedFor: request.headers[values: forwardedFor], trusted: trustedProxies)
        return TrackingRequest(
            target: target, method: request.method.rawValue, userAgent: request.headers[.userAgent] ?? "", clientAddress: client, at: endpoint.clock.now,
            sentAt: nil)
    }

    static func response(_ answer: TrackingEndpoint.Answer, head: Bool) -> Response {
        var headers = HTTPFields()
        for (name, value) in answer.headers.sorted(by: { $0.key < $1.key }) {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        headers[.contentLength] = "\(answer.body.count)"
        return Response(
            status: HTTPResponse.Status(code: answer.status), headers: headers,
            body: head || answer.body.isEmpty ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}
