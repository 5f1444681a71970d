import CadenceCore
import Foundation
import JWTKit

/// Google's OIDC signing keys (a JSON Web Key Set), fetched from a configurable URL and cached for as long as
/// the answer's `Cache-Control: max-age` says. A token naming a key the cache lacks triggers one refetch (Google
/// rotates keys), but at most once a minute, so forged tokens with random key ids cannot make Cadence hammer
/// Google.
public actor GoogleKeySet {
    /// The key set's bytes and how long they may be cached.
    public typealias Fetch = @Sendable () async throws -> (body: [UInt8], maxAge: TimeInterval?)

    let fetch: Fetch
    let clock: any WallClock
    private var keys: JWTKeyCollection?
    private var kids: Set<String> = []
    private var fetchedAt: Date?
    private var expiresAt: Date = .distantPast
    static let defaultMaxAge: TimeInterval = 3_600
    static let refetchFloor: TimeInterval = 60

    public init(clock: any WallClock, fetch: @escaping Fetch) {
        self.clock = clock
        self.fetch = fetch
    }

    /// Keys that can verify a token signed with `kid`, or nil with the reason.
    func keys(for kid: String?) async -> Result<JWTKeyCollection, PushRejection> {
        let now = clock.now
        let known = kid.map { kids.contains($0) } ?? !kids.isEmpty
        let mayRefetch = fetchedAt.map { now.timeIntervalSince($0) >= Self.refetchFloor } ?? true
        if keys == nil || now >= expiresAt || (!known && mayRefetch) {
            do {
                let (body, maxAge) = try await fetch()
                let jwks = try JSONDecoder().decode(JWKS.self, from: Data(body))
                let collection = JWTKeyCollection()
                try await collection.add(jwks: jwks)
                keys = collection
                kids = Set(jwks.keys.compactMap { $0.keyIdentifier?.string })
                fetchedAt = now
                expiresAt = now.addingTimeInterval(maxAge ?? Self.defaultMaxAge)
            } catch {
                if keys == nil { return .failure(.unauthenticated("Google's signing keys could not be fetched (\(error)); the push will be retried by Pub/Sub")) }
            }
        }
        guard let keys else { return .failure(.unauthenticated("no signing keys")) }
        if let kid, !kids.contains(kid) { return .failure(.unauthenticated("the token is signed with a key Google does not publish")) }
        return .success(keys)
    }
}
