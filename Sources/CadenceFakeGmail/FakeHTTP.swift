import CadenceCore
import Foundation

/// A request as the fake's handlers see it: transport-free, so the rules read as Gmail's documentation does.
struct FakeRequest: Sendable {
    var method: String
    var path: String
    var query: [(String, String)]
    /// Lowercased names.
    var headers: [String: String]
    var body: [UInt8]

    func parameter(_ name: String) -> String? { query.first { $0.0 == name }?.1 }
    func parameters(_ name: String) -> [String] { query.filter { $0.0 == name }.map(\.1) }

    var bearerToken: String? {
        guard let value = headers["authorization"], value.lowercased().hasPrefix("bearer ") else { return nil }
        return String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }

    /// `application/x-www-form-urlencoded` body fields.
    var form: [(String, String)] { FormEncoding.decode(String(decoding: body, as: UTF8.self)) }
}

struct FakeResponse: Sendable {
    var status: Int
    var headers: [(String, String)] = [("Content-Type", "application/json; charset=UTF-8")]
    var body: [UInt8]
    /// Close the connection instead of answering.
    var drop = false

    static func json(_ status: Int, _ object: Any) -> FakeResponse {
        FakeResponse(status: status, body: JSONBody.encode(object))
    }

    static func empty(_ status: Int) -> FakeResponse {
        FakeResponse(status: status, headers: [], body: [])
    }

    static func redirect(_ location: String) -> FakeResponse {
        FakeResponse(status: 302, headers: [("Location", location)], body: [])
    }

    static func html(_ status: Int, _ text: String) -> FakeResponse {
        FakeResponse(status: status, headers: [("Content-Type", "text/html; charset=UTF-8")], body: Array("<!doctype html><title>fake Google</title><p>\(text)</p>".utf8))
    }

    /// Gmail API's error shape (`{"error":{"code","message","errors":[…],"status"}}`).
    static func apiError(_ code: Int, _ message: String, reason: String, domain: String = "global", extraHeaders: [(String, String)] = []) -> FakeResponse {
        let status =
            switch code {
            case 400: "INVALID_ARGUMENT"
            case 401: "UNAUTHENTICATED"
            case 403: "PERMISSION_DENIED"
            case 404: "NOT_FOUND"
            case 413: "INVALID_ARGUMENT"
            case 429: "RESOURCE_EXHAUSTED"
            case 503: "UNAVAILABLE"
            default: "INTERNAL"
            }
        var response = json(code, ["error": ["code": code, "message": message, "errors": [["message": message, "domain": domain, "reason": reason]], "status": status]])
        response.headers += extraHeaders
        return response
    }

    /// The token endpoint's error shape (RFC 6749 §5.2).
    static func oauthError(_ code: Int, _ error: String, _ description: String) -> FakeResponse {
        json(code, ["error": error, "error_description": description])
    }
}

enum JSONBody {
    static func encode(_ object: Any) -> [UInt8] {
        (try? Array(JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))) ?? Array("{}".utf8)
    }

    static func decodeObject(_ bytes: [UInt8]) -> [String: Any]? {
        guard !bytes.isEmpty else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
    }
}
