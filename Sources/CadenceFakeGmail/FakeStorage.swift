import CadenceCore
import Foundation

/// Everything the fake knows, in one value guarded by one lock, and Codable so `--state DIR` can keep it.
struct FakeStorage: Codable {
    var options: FakeGmailOptions
    var mailboxes: [String: FakeMailbox] = [:]  // by lowercased address
    var clients: [String: String] = [:]  // client id → secret
    var serviceAccounts: [String: FakeServiceAccount] = [:]  // by email
    var refreshTokens: [String: RefreshGrant] = [:]
    var accessTokens: [String: AccessGrant] = [:]
    var codes: [String: AuthorizationCode] = [:]
    var consent = Consent()
    var faults: [FaultRule] = []
    var calls: [String: Int] = [:]
    var sequence: UInt64 = 0
    /// Secrets clients sent that the fake does not keep otherwise (PKCE verifiers, signed assertions), so tests
    /// can look for them in logs and output.
    var secretsSeen: [String] = []
    /// 429s answered for a user's own rate and sending limits (not injected faults): provoked, so a client's
    /// pacing was wrong.
    var rateLimitedAnswers = 0
    /// Resumable upload sessions: upload id → the user and the thread the message asks to join.
    var uploads: [String: UploadSession] = [:]
    /// Quota units charged per user, in all.
    var unitsCharged: [String: Int] = [:]

    init(options: FakeGmailOptions) { self.options = options }

    /// A fresh opaque value: the same sequence for the same history, so runs are reproducible.
    mutating func nextToken(_ prefix: String) -> String {
        sequence += 1
        var bytes: [UInt8] = []
        var x = sequence &* 0x9E37_79B9_7F4A_7C15
        for _ in 0..<12 {
            x ^= x >> 29; x = x &* 0xBF58_476D_1CE4_E5B9; x ^= x >> 32
            bytes.append(UInt8(truncatingIfNeeded: x))
        }
        return prefix + Base64.urlEncoded(bytes)
    }

    mutating func nextMessageID() -> String {
        sequence += 1
        return String(0x18f2_c0a1_0000_0000 + sequence, radix: 16)
    }
}

struct FakeMailbox: Codable {
    var address: String
    var aliases: [String] = []
    var messages: [FakeMessage] = []
    var history: [HistoryRecord] = []
    var historyID: UInt64
    /// `history.list` from before this answers 404, as Gmail does once its history has expired.
    var oldestHistoryID: UInt64
    var charges: [QuotaCharge] = []
    var watch: Watch?

    func message(_ id: String) -> FakeMessage? { messages.first { $0.id == id } }
}

struct FakeMessage: Codable {
    var id: String
    var threadID: String
    var labelIDs: [String]
    var raw: [UInt8]
    var internalDate: Date
    var historyID: UInt64
    /// The Message-ID the message carries now (Gmail's, when it replaced ours).
    var messageID: String?
    /// The Message-ID the sender wrote, when Gmail replaced it.
    var originalMessageID: String?
    var sendID: String?
    var subject: String
    var from: String
    var recipients: [String]
    var references: [String]
    var fromRewritten = false

    var isSent: Bool { labelIDs.contains("SENT") }
}

struct UploadSession: Codable {
    var user: String
    var threadID: String?
    var length: Int?
}

struct HistoryRecord: Codable {
    var id: UInt64
    var messageID: String
    var threadID: String
    var labelIDs: [String]
}

struct QuotaCharge: Codable {
    var at: Date
    var units: Int
}

struct Watch: Codable {
    var topicName: String
    var expiration: Date
    var labelIDs: [String]
}

struct RefreshGrant: Codable {
    var clientID: String
    var user: String
    var scopes: [String]
    var revoked = false
}

struct AccessGrant: Codable {
    var user: String
    var scopes: [String]
    var expires: Date
    var refreshToken: String?
}

struct AuthorizationCode: Codable {
    /// `access_type=offline`: only then does the exchange return a refresh token, as Google does.
    var offline = false
    var clientID: String
    var redirectURI: String
    var challenge: String
    var user: String
    var scopes: [String]
    var expires: Date
    var used = false
}

/// What the next person at the authorisation page does.
public struct Consent: Sendable, Codable, Equatable {
    /// Who signs in; nil is the first mailbox added.
    public var user: String?
    /// The scopes they leave ticked; nil keeps every requested scope.
    public var scopes: [String]?
    /// They press "Cancel".
    public var deny = false

    public init(user: String? = nil, scopes: [String]? = nil, deny: Bool = false) {
        self.user = user
        self.scopes = scopes
        self.deny = deny
    }
}

struct FakeServiceAccount: Codable {
    var email: String
    var publicKeyPEM: String
    /// Domain-wide delegation as a Workspace admin set it: user → scopes. `*` stands for every user of the fake.
    var delegations: [String: [String]]
}
