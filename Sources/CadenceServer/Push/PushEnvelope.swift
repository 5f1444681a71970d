import CadenceCore
import Foundation

/// A Cloud Pub/Sub push request carrying a Gmail notification:
/// `{"message": {"data": base64({"emailAddress", "historyId"}), "messageId", …}, "subscription"}`.
public struct PushEnvelope: Sendable, Equatable {
    /// Pub/Sub's id for the message: the same on every redelivery.
    public var messageID: String
    public var emailAddress: String
    /// Gmail's history id, as a string whether it came as a number or a string.
    public var historyID: String
    public var subscription: String?

    /// Decodes a push body, or says exactly what is wrong with it (for the 400 answer and the log).
    public static func decode(_ body: [UInt8]) -> Result<PushEnvelope, PushRejection> {
        func bad(_ why: String) -> Result<PushEnvelope, PushRejection> { .failure(.malformed(why)) }
        guard let root = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            return bad("the body is not a JSON object")
        }
        guard let message = root["message"] as? [String: Any] else { return bad("no \"message\" object") }
        // Pub/Sub sends both spellings.
        guard let messageID = (message["messageId"] ?? message["message_id"]) as? String, !messageID.isEmpty, messageID.count <= 200 else {
            return bad("\"message\".\"messageId\" is missing or not a string")
        }
        guard let encoded = message["data"] as? String else { return bad("\"message\".\"data\" is missing") }
        // Either base64 alphabet, with or without padding.
        guard let data = Base64.decode(Array(encoded.utf8)) else { return bad("\"message\".\"data\" is not base64") }
        // Cadence's own JSON parser keeps a number exactly as written: a history id is never rounded via Double.
        guard let parsed = JSONParser.parse(data, file: "push").value, case .object(let members) = parsed.kind else {
            return bad("\"message\".\"data\" is not a JSON object")
        }
        let fields = Dictionary(members.map { ($0.key, $0.value.kind) }, uniquingKeysWith: { first, _ in first })
        guard case .string(let address)? = fields["emailAddress"], address.contains("@") else {
            return bad("the notification has no \"emailAddress\"")
        }
        let historyID: String
        switch fields["historyId"] {
        case .string(let text)? where UInt64(text) != nil: historyID = text
        case .number(let text)? where UInt64(text) != nil: historyID = text
        default: return bad("the notification's \"historyId\" is missing or not an unsigned whole number")
        }
        return .success(PushEnvelope(messageID: messageID, emailAddress: address, historyID: historyID, subscription: root["subscription"] as? String))
    }
}

/// Why a push request was refused. The answer says which check failed, never what a secret was.
public enum PushRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// 401: no credential, or one that does not check out.
    case unauthenticated(String)
    /// 400: the body is not a Pub/Sub push of a Gmail notification.
    case malformed(String)

    public var description: String {
        switch self {
        case .unauthenticated(let why): "push refused: \(why)"
        case .malformed(let why): "push body refused: \(why)"
        }
    }

    public var status: Int {
        switch self {
        case .unauthenticated: 401
        case .malformed: 400
        }
    }
}
