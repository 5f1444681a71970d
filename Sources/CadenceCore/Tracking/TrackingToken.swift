/// What a tracking link carries: which send it belongs to, what it is (pixel, link, unsubscribe) and which link of
/// the message, signed. Nothing else: the address a click goes to is looked up from what was sent, never read
/// from the URL, so no token can make Cadence redirect anywhere the campaign did not link to.
///
/// Layout, 25 bytes, 34 characters of base64url: kind (1), key id (1), the send's tracking id (10, the hash in
/// its send id), link index (1), then the first 12 bytes of HMAC-SHA256 over the 13 before. 96 bits of MAC make
/// a forgery a 2⁻⁹⁶ guess per request.
public struct TrackingToken: Sendable, Hashable {
    public enum Kind: UInt8, Sendable {
        case open = 1
        case click = 2
        case unsubscribe = 3
    }

    public var kind: Kind
    /// The 10 bytes that identify the send (`SendIdentity.trackingID`), as 20 lowercase hex digits.
    public var sendTrackingID: String
    /// For a click, which link of the message (1-based, in the order they appear); 0 otherwise.
    public var link: Int

    public init(kind: Kind, sendTrackingID: String, link: Int = 0) {
        self.kind = kind
        self.sendTrackingID = sendTrackingID
        self.link = link
    }

    static let macLength = 12
    static let length = 13 + macLength

    /// The token, signed with `key`.
    public func signed(with key: TrackingKey) -> String {
        var payload: [UInt8] = [kind.rawValue, key.id]
        payload += Hex.bytes(sendTrackingID) ?? Array(repeating: 0, count: 10)
        payload.append(UInt8(clamping: link))
        return Base64URL.encode(payload + key.mac(payload).prefix(Self.macLength))
    }

    /// Why a token was not accepted; each is answered the same way to the requester, but logged apart.
    public enum Rejection: Error, Sendable, Equatable {
        /// Not base64url, or not 25 bytes: damaged or truncated.
        case malformed
        /// Signed with a key this process no longer holds (rotated out): well formed, not checkable.
        case unknownKey
        /// The signature does not match: tampered with, or made up.
        case badSignature
    }

    /// The token `text` says, if a key we hold signed it. Compared in constant time.
    public static func verify(_ text: some StringProtocol, keys: TrackingKeys) -> Result<TrackingToken, Rejection> {
        guard text.utf8.count == 34, let bytes = Base64URL.decode(text), bytes.count == length, let kind = Kind(rawValue: bytes[0]) else {
            return .failure(.malformed)
        }
        let payload = Array(bytes[0..<13])
        let mac = bytes[13...]
        let keys = keys.candidates(id: bytes[1])
        guard !keys.isEmpty else { return .failure(.unknownKey) }
        for key in keys where constantTimeEqual(key.mac(payload).prefix(macLength), mac) {
            return .success(TrackingToken(kind: kind, sendTrackingID: Hex.string(bytes[2..<12]), link: Int(bytes[12])))
        }
        return .failure(.badSignature)
    }

    /// What a well-formed token says and the id of the key it claims, without checking its signature: only to
    /// honour an unsubscribe whose key was rotated out, and only where the store confirms that this send was
    /// signed with that key id (which a held key no longer has) and, on the page, that the address typed is the
    /// one it was sent to. Never for a pixel or a click.
    public static func unverified(_ text: some StringProtocol) -> (token: TrackingToken, keyID: UInt8)? {
        guard text.utf8.count == 34, let bytes = Base64URL.decode(text), bytes.count == length, let kind = Kind(rawValue: bytes[0]) else { return nil }
        return (TrackingToken(kind: kind, sendTrackingID: Hex.string(bytes[2..<12]), link: Int(bytes[12])), bytes[1])
    }

    static func constantTimeEqual(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
