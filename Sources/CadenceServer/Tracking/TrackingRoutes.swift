import CadenceCore
import HTTPTypes
import Hummingbird
import NIOCore

/// The HTTP side of `TrackingEndpoint`: `<path>/o/<token>.gif`, `<path>/c/<token>`, `<path>/u/<token>`.
enum TrackingRoutes {
    /// An unsubscribe form is a few hundred bytes; anything much larger is refused before it is read.
    static let maximumBody = 16 * 1024

    static func add(_ endpoint: TrackingEndpoint, under path: String, to router: Router<BasicRequestContext>) {
        for method in [HTTPRequest.Method.get, .head] {
            router.on(RouterPath("\(path)/o/:token"), method: method) { request, context -> Response in
                let token = context.parameters.get("token") ?? ""
                return response(await endpoint.pixel(token, request: trackingRequest(request, endpoint)), head: method == .head)
            }
            router.on(RouterPath("\(path)/c/:token"), method: method) { request, context -> Response in
                let token = context.parameters.get("token") ?? ""
                return response(await endpoint.click(token, request: trackingRequest(request, endpoint)), head: method == .head)
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

    static func trackingRequest(_ request: Request, _ endpoint: TrackingEndpoint) -> TrackingRequest {
        TrackingRequest(
            method: request.method.rawValue, userAgent: request.headers[.userAgent] ?? "", clientIP: nil, at: endpoint.clock.now, sentAt: nil)
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
