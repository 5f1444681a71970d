import Foundation

/// The limits the fake enforces, Gmail's documented values by default (`../shared/docs/gmail-api.md` §5), so a
/// client that passes against the fake does not provoke Gmail. Tests loosen one limit at a time.
public struct FakeGmailOptions: Sendable, Codable, Equatable {
    /// Quota units per user per rolling minute; nil turns the check off.
    public var unitsPerMinute: Int? = 6_000
    /// Quota units per user per rolling second (Gmail's 250/s moving average); nil turns the check off.
    public var unitsPerSecond: Int? = 250
    /// Messages a mailbox may send per rolling 24 hours (Workspace: 2,000) before the "(Mail sending)" 429.
    public var dailySendLimit = 2_000
    /// How long an access token lives.
    public var accessTokenLifetime: TimeInterval = 3_599
    /// How long an authorisation code may wait to be exchanged.
    public var authorizationCodeLifetime: TimeInterval = 600
    /// Gmail may replace a sent message's Message-ID; on, the fake always does.
    public var replaceMessageIDs = false
    /// Google's token endpoint sometimes sends `expires_in` as a string; on, the fake always does.
    public var expiresInAsString = false
    /// The JSON request limit of `messages.send` ([obs] 1,048,576 bytes).
    public var jsonPayloadLimit = 1_048_576
    /// The largest message Gmail takes (35 MiB), through the upload endpoint.
    public var maxMessageBytes = 36_700_160
    public var maxRecipients = 100
    /// Google's upload guide: `multipart` is for media up to 5 MB; larger messages must use a resumable upload.
    public var multipartLimit = 5 * 1024 * 1024
    /// How long a new message stays invisible to `messages.list`'s `q` search, as Gmail's index lags its store.
    /// History and `messages.get` see it at once.
    public var searchIndexLag: TimeInterval = 0
    /// How long `users.watch` lasts.
    public var watchLifetime: TimeInterval = 7 * 86_400

    public init() {}

    /// Every rate limit off: for measuring the client, not Gmail's pacing.
    public static var unlimited: FakeGmailOptions {
        var options = FakeGmailOptions()
        options.unitsPerMinute = nil
        options.unitsPerSecond = nil
        options.dailySendLimit = .max
        return options
    }
}
