import Crypto

/// A key that signs (the current one) or only verifies (a previous one) tracking tokens. Its id travels in each
/// token, so a link signed before a rotation is still checked against the key that signed it.
public struct TrackingKey: Sendable {
    /// One byte derived from the key itself: no configuration to keep in step with the secret.
    public let id: UInt8
    let symmetric: SymmetricKey

    /// `secret` is the key file's or variable's contents, at least 32 bytes (refused otherwise, as a short key
    /// would make tokens guessable).
    public init?(secret: [UInt8]) {
        guard secret.count >= 32 else { return nil }
        symmetric = SymmetricKey(data: secret)
        id = Array(HMAC<SHA256>.authenticationCode(for: Array("cadence tracking key id".utf8), using: symmetric))[0]
    }

    func mac(_ payload: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: payload, using: symmetric))
    }
}

/// The keys a process signs and verifies with: the current key first, then the previous ones.
public struct TrackingKeys: Sendable {
    public let current: TrackingKey
    public let previous: [TrackingKey]

    public init(current: TrackingKey, previous: [TrackingKey] = []) {
        self.current = current
        self.previous = previous
    }

    /// Every key with this id: usually one, more only when two keys' one-byte ids collide.
    func candidates(id: UInt8) -> [TrackingKey] {
        ([current] + previous).filter { $0.id == id }
    }
}
