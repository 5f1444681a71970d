import CadenceCore
import Foundation
import NIOHTTP1

/// Gmail's REST API for one mailbox. Every call carries a fresh access token; a 401 gets one refresh and one
/// retry, then is final, as Google's guidance says.
public struct GmailClient: Sendable {
    public let mailbox: String
    let http: GoogleHTTP
    public let tokens: AccessTokenProvider
    let apiURL: String

    public init(mailbox: String, http: GoogleHTTP, tokens: AccessTokenProvider, endpoints: GoogleEndpoints) {
        self.mailbox = mailbox
        self.http = http
        self.tokens = tokens
        self.apiURL = endpoints.apiURL
    }

    public struct Profile: Sendable, Equatable {
        public var emailAddress: String
        public var historyID: String
        public var messagesTotal: Int
    }

    /// `users.getProfile`: who the token acts for. Needs any scope but `gmail.send` alone.
    public func profile() async throws(GmailError) -> Profile {
        let response = try await call(.GET, "/gmail/v1/users/me/profile", label: "getProfile")
        return try Self.profile(response)
    }

    /// `users.getProfile` with a token in hand (during `cadence auth login`, before anything is saved).
    public static func profile(token: Secret, http: GoogleHTTP, endpoints: GoogleEndpoints) async throws(GmailError) -> Profile {
        let response: GoogleHTTP.Response
        do {
            response = try await http.perform(.GET, endpoints.apiURL + "/gmail/v1/users/me/profile", headers: [("Authorization", "Bearer \(token.revealed)")], label: "getProfile")
        } catch {
            throw GmailError.transport(error)
        }
        guard response.status == 200 else { throw GmailError.api(GmailAPIFailure(response)) }
        return try profile(response)
    }

    private static func profile(_ response: GoogleHTTP.Response) throws(GmailError) -> Profile {
        guard let profile = response.decoded(GmailResponses.Profile.self), let address = profile.emailAddress else {
            throw GmailError.malformed("getProfile answered without an emailAddress")
        }
        return Profile(emailAddress: address, historyID: profile.historyId?.value ?? "", messagesTotal: profile.messagesTotal ?? 0)
    }

    /// The upload endpoint (`path` includes `uploadType`), with the same 401 rule.
    public func upload(_ path: String, body: [UInt8], contentType: String) async throws(GmailError) -> GoogleHTTP.Response {
        try await call(.POST, path, json: body, contentType: contentType, label: "messages.send (upload)")
    }

    /// One API call with the 401 rule; a non-2xx answer becomes `GmailError.api`. `path` may also be an absolute
    /// URL Gmail handed out (a resumable upload's session URI).
    public func call(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], json: [UInt8]? = nil, contentType: String = "application/json",
        headers extra: [(String, String)] = [], label: String
    ) async throws(GmailError) -> GoogleHTTP.Response {
        let base = path.hasPrefix("https://") || path.hasPrefix("http://") ? path : apiURL + path
        let url = base + (query.isEmpty ? "" : (path.contains("?") ? "&" : "?") + FormEncoding.encode(query))
        for attempt in 0..<2 {
            let token: Secret
            do { token = try await tokens.token() } catch { throw GmailError.auth(error) }
            var headers = [("Authorization", "Bearer \(token.revealed)")] + extra
            if json != nil { headers.append(("Content-Type", contentType)) }
            let response: GoogleHTTP.Response
            do {
                response = try await http.perform(method, url, headers: headers, body: json, label: label)
            } catch {
                throw GmailError.transport(error)
            }
            if (200..<300).contains(response.status) { return response }
            if response.status == 401, attempt == 0 {
                await tokens.invalidate(token)
                continue
            }
            throw GmailError.api(GmailAPIFailure(response))
        }
        throw GmailError.malformed("unreachable")
    }
}
