import AsyncHTTPClient
import CadenceCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// The one HTTP client Cadence uses for Google: connect and request timeouts from `cadence.json`, no redirects
/// (a token request must never be sent anywhere else), and errors sorted by whether the request may have
/// reached the server, which is what decides if a send may be retried blindly.
public final class GoogleHTTP: Sendable {
    let client: HTTPClient
    let requestTimeout: Int
    /// The longest one request can take, connecting included: a request starts only if it fits in the call's
    /// deadline (a token refresh, the retry after a 401 and uploads included).
    let longestRequest: Double
    let logger: Logger

    public init(endpoints: GoogleEndpoints, logger: Logger) {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(Int64(endpoints.connectTimeoutSeconds)), read: .seconds(Int64(endpoints.requestTimeoutSeconds))))
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        requestTimeout = endpoints.requestTimeoutSeconds
        longestRequest = Double(endpoints.connectTimeoutSeconds + endpoints.requestTimeoutSeconds)
        self.logger = logger
    }

    /// Runs `body` with a client for `endpoints` and shuts it down afterwards, however `body` ends.
    public static func with<T>(
        _ endpoints: GoogleEndpoints, logger: Logger, _ body: (GoogleHTTP) async throws -> T
    ) async throws -> T {
        let http = GoogleHTTP(endpoints: endpoints, logger: logger)
        do {
            let result = try await body(http)
            try? await http.client.shutdown()
            return result
        } catch {
            try? await http.client.shutdown()
            throw error
        }
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        }
    }

    /// `label` names the call in logs (`token`, `messages.send`); URLs are logged without their query, and no
    /// header or body is ever logged, so no secret can reach a log.
    public func perform(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil, label: String
    ) async throws(TransportError) -> Response {
        guard CallDeadline.allows(longestRequest) else {
            throw .notSent("not started: the runner's lease could run out before an answer came")
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let shown = url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
        logger.debug("google request", metadata: ["call": .string(label), "method": .string(method.rawValue), "url": .string(shown)])
        do {
            let response = try await client.execute(request, timeout: .seconds(Int64(requestTimeout)))
            let collected = try await response.body.collect(upTo: 64 * 1024 * 1024)
            logger.debug("google response", metadata: ["call": .string(label), "status": .stringConvertible(response.status.code)])
            return Response(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: Array(buffer: collected))
        } catch {
            let failure = TransportError.classify(error)
            logger.notice("google call failed", metadata: ["call": .string(label), "error": .string(failure.description)])
            throw failure
        }
    }
}

/// A request that got no HTTP answer.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection was never made: the request certainly did not reach Google.
    case notSent(String)
    /// The request may have reached Google (a timeout or a dropped connection after it left).
    case noAnswer(String)

    public var description: String {
        switch self {
        case .notSent(let reason): "could not connect: \(reason)"
        case .noAnswer(let reason): "no answer: \(reason)"
        }
    }

    static func classify(_ error: any Error) -> TransportError {
        if let client = error as? HTTPClientError {
            switch client {
            case .connectTimeout, .getConnectionFromPoolTimeout, .invalidURL, .emptyHost, .emptyScheme, .alreadyShutdown:
                return .notSent("\(client)")
            case .deadlineExceeded, .readTimeout:
                return .noAnswer("timed out")
            case .remoteConnectionClosed:
                return .noAnswer("the connection closed before the answer")
            default:
                return .noAnswer("\(client)")
            }
        }
        let text = "\(error)"
        if text.contains("NIOConnectionError") || text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("connect(descriptor") {
            return .notSent("connection refused")
        }
        return .noAnswer(text)
    }
}
