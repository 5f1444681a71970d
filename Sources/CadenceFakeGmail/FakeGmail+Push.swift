import AsyncHTTPClient
import CadenceCore
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Where the fake's "Pub/Sub" pushes a watched mailbox's notifications, and how it authenticates them.
public struct FakePushSubscription: Sendable, Codable, Equatable {
    /// The push URL, query included (e.g. `http://127.0.0.1:8080/hooks/gmail?token=…`).
    public var endpoint: String
    /// The OIDC token's service account, or nil to push without a token (a URL-secret subscription).
    public var serviceAccountEmail: String?
    /// The token's audience; Pub/Sub's default is the push URL.
    public var audience: String?
    /// How long the endpoint has to answer a push before it counts as failed (Pub/Sub's `ackDeadlineSeconds`:
    /// 10 by default, up to 600); tests on a loaded machine give it longer.
    public var ackDeadlineSeconds: Int

    public init(endpoint: String, serviceAccountEmail: String? = nil, audience: String? = nil, ackDeadlineSeconds: Int = 10) {
        self.endpoint = endpoint
        self.serviceAccountEmail = serviceAccountEmail
        self.audience = audience
        self.ackDeadlineSeconds = ackDeadlineSeconds
    }
}

/// One push the fake made, for tests and the latency benchmark.
public struct FakePushDelivery: Sendable, Equatable {
    public var messageID: String
    public var mailbox: String
    public var historyID: String
    /// Machine time when the request left and when its answer came back.
    public var sentAt: Date
    public var answeredAt: Date
    /// The HTTP status, or nil when the endpoint could not be reached.
    public var status: Int?
}

extension FakeGmail {
    /// The push subscription on the watch topic: once set, mail delivered to a mailbox with an active
    /// `users.watch` is pushed there, as Gmail → Pub/Sub → push would.
    public func setPushSubscription(_ subscription: FakePushSubscription?) {
        pushState.withLock { $0.subscription = subscription }
    }

    /// Every push made so far, in order.
    public func pushDeliveries() -> [FakePushDelivery] {
        pushState.withLock { $0.deliveries }
    }

    /// Waits for pushes in flight to be answered.
    public func waitForPushes() async {
        let tasks = pushState.withLock { state in
            defer { state.inFlight = [] }
            return state.inFlight
        }
        for task in tasks { await task.value }
    }

    /// The JWKS the fake's push tokens verify against (served at `/oauth2/v3/certs`).
    public func pushKeySet() -> [UInt8] {
        (try? pushSigner().jwks()) ?? Array(#"{"keys":[]}"#.utf8)
    }

    /// A token signed with the fake's published key, as Pub/Sub would attach: tests vary the claims.
    public func signPushToken(_ claims: PushTokenSigner.Claims) async throws -> String {
        try await pushSigner().token(claims)
    }

    /// Google rotates its signing keys: from now on pushes are signed with a new key under a new key id, and the
    /// key set the fake publishes holds only the new key.
    public func rotatePushKey() throws {
        let next = try PushTokenSigner(keyID: "fake-google-key-\(UUID().uuidString.prefix(8))")
        pushState.withLock { $0.signer = next }
    }

    func pushSigner() throws -> PushTokenSigner {
        try pushState.withLock { state in
            if let signer = state.signer { return signer }
            let signer = try PushTokenSigner()
            state.signer = signer
            return signer
        }
    }

    /// Called after a message lands in `mailbox`: pushes when the mailbox is watched (unexpired, and the
    /// message carries one of the watch's labels when it names any) and a subscription exists.
    func pushIfWatched(_ mailbox: String, labelIDs: [String]) {
        let now = clock.now
        let found: (watch: Watch, historyID: UInt64, address: String)? = storage.withLock { storage in
            guard let box = storage.mailboxes[mailbox.lowercased()], let watch = box.watch, watch.expiration > now else { return nil }
            return (watch, box.historyID, box.address)
        }
        guard let found, found.watch.labelIDs.isEmpty || !Set(found.watch.labelIDs).isDisjoint(with: labelIDs),
            let subscription = pushState.withLock({ $0.subscription })
        else { return }
        let messageID = pushState.withLock { state -> String in
            state.sequence += 1
            return String(2_070_443_601_311_540 + state.sequence)
        }
        let notification = #"{"emailAddress":"\#(found.address)","historyId":\#(found.historyID)}"#
        let body: [String: Any] = [
            "message": [
                "data": Data(notification.utf8).base64EncodedString(), "messageId": messageID, "message_id": messageID,
                "publishTime": ISO8601DateFormatter().string(from: now), "publish_time": ISO8601DateFormatter().string(from: now), "attributes": [String: String](),
            ],
            "subscription": "projects/fake-project/subscriptions/gmail-push",
        ]
        let bytes = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
        let task = Task<Void, Never> {
            var request = HTTPClientRequest(url: subscription.endpoint)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            if let email = subscription.serviceAccountEmail, let signer = try? pushSigner() {
                let audience = subscription.audience ?? subscription.endpoint
                if let token = try? await signer.token(.init(audience: audience, email: email, issuedAt: now)) {
                    request.headers.add(name: "Authorization", value: "Bearer \(token)")
                }
            }
            request.body = .bytes(ByteBuffer(bytes: bytes))
            let sentAt = Date()
            let status = try? await HTTPClient.shared.execute(request, timeout: .seconds(Int64(subscription.ackDeadlineSeconds))).status.code
            let delivery = FakePushDelivery(
                messageID: messageID, mailbox: found.address, historyID: String(found.historyID), sentAt: sentAt, answeredAt: Date(), status: status.map { Int($0) })
            pushState.withLock { $0.deliveries.append(delivery) }
        }
        pushState.withLock { $0.inFlight.append(task) }
    }
}

/// The fake's push machinery; not persisted (a restarted fake needs its subscription set again).
struct PushState: Sendable {
    var subscription: FakePushSubscription?
    var signer: PushTokenSigner?
    var deliveries: [FakePushDelivery] = []
    var inFlight: [Task<Void, Never>] = []
    var sequence: UInt64 = 0
}
