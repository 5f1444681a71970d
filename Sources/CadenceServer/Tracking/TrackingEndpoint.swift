import CadenceCore
import CadenceStore
import Foundation
import Logging

/// What `cadence serve` answers on the tracking routes, apart from HTTP: verify the token, look the send up,
/// record, answer. The pixel always answers a valid GIF so no mail shows a broken image; a click redirects only to
/// the address the send recorded for that link; unsubscribing takes a POST, since link scanners prefetch GETs.
public struct TrackingEndpoint: Sendable {
    let keys: TrackingKeys
    let store: any CadenceStore
    let recorder: TrackingRecorder
    let policy: IncomingPolicy
    let clock: any WallClock
    let logger: Logger
    /// Sends already looked up by a pixel, so a busy pixel route does not read the database for every fetch. An
    /// entry never goes stale in a way that matters: a send's id and time do not change, and an event for a send
    /// erased since is dropped when it is written. Only found sends are kept.
    let sends = BoundedCache<String, TrackedSend>()
    /// Click targets already looked up, by tracking id and link. Unlike a pixel's send, a target must not outlive
    /// an erasure: both caches are emptied when `refreshErasures` sees one.
    let clicks = BoundedCache<ClickKey, (send: TrackedSend, url: String)>()
    let erasures = ErasureWatch()

    struct ClickKey: Hashable, Sendable {
        var trackingID: String
        var link: Int
    }

    public init(keys: TrackingKeys, store: any CadenceStore, recorder: TrackingRecorder, policy: IncomingPolicy, clock: any WallClock, logger: Logger) {
        self.keys = keys
        self.store = store
        self.recorder = recorder
        self.policy = policy
        self.clock = clock
        self.logger = logger
    }

    public struct Answer: Sendable, Equatable {
        public var status: Int
        public var headers: [String: String]
        public var body: [UInt8]
    }

    /// A transparent 1×1 GIF (43 bytes).
    public static let gif: [UInt8] = [
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x21, 0xF9, 0x04, 0x01, 0x00,
        0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
    ]

    static let noStore = "no-store, no-cache, must-revalidate, private"

    /// `<path>/o/<token>.gif`: 200 with the GIF whatever happens; recorded only for a genuine token of a send
    /// that has a record.
    public func pixel(_ tokenText: String, request: TrackingRequest) async -> Answer {
        let answer = Answer(status: 200, headers: ["Content-Type": "image/gif", "Cache-Control": Self.noStore, "Pragma": "no-cache"], body: Self.gif)
        let bare = tokenText.hasSuffix(".gif") ? String(tokenText.dropLast(4)) : tokenText
        guard case .success(let token) = TrackingToken.verify(bare, keys: keys), token.kind == .open else {
            logger.debug("pixel with a token that does not verify")
            return answer
        }
        do {
            let send: TrackedSend
            if let known = sends.lookup(token.sendTrackingID) {
                send = known
            } else {
                guard let found = try await store.trackedSend(trackingID: token.sendTrackingID) else { return answer }
                send = found
                if found.state == .sent { sends.remember(found, as: token.sendTrackingID) }
            }
            guard send.state != .failed else { return answer }
            record(.open, link: nil, send: send, request: request)
        } catch {
            logger.error("a pixel's send could not be looked up", metadata: ["error": "\(error)"])
        }
        return answer
    }

    /// `<path>/c/<token>`: 302 to the link's recorded address; a token that does not verify, or names no link
    /// of a recorded send, gets a 404 page and goes nowhere.
    public func click(_ tokenText: String, request: TrackingRequest) async -> Answer {
        guard case .success(let token) = TrackingToken.verify(tokenText, keys: keys), token.kind == .click, token.link > 0 else {
            return Self.page(404, title: "Link not found", text: "This link is not valid. If you copied it from an email, check that it was copied whole.")
        }
        let key = ClickKey(trackingID: token.sendTrackingID, link: token.link)
        if let (send, target) = clicks.lookup(key) {
            return redirect(to: target, send: send, link: token.link, request: request)
        }
        do {
            guard let (send, url) = try await store.clickTarget(trackingID: token.sendTrackingID, link: token.link) else {
                // A person erased with `forget` still has the email: a neutral page, nothing recorded.
                if try await store.isErased(trackingID: token.sendTrackingID) {
                    return Self.page(200, title: "Link no longer available", text: "This link is no longer available.")
                }
                return Self.page(404, title: "Link not found", text: "This link is not known here.")
            }
            guard let target = url else {
                return Self.page(200, title: "Link no longer available", text: "This link is no longer available.")
            }
            if send.state == .sent { clicks.remember((send, target), as: key) }
            return redirect(to: target, send: send, link: token.link, request: request)
        } catch {
            logger.error("a click's link could not be looked up", metadata: ["error": "\(error)"])
            return Self.page(503, title: "Try again", text: "This link cannot be followed right now. Please try again in a minute.")
        }
    }

    /// Records the click and answers the redirect to the recorded address.
    func redirect(to target: String, send: TrackedSend, link: Int, request: TrackingRequest) -> Answer {
        record(.click, link: link, send: send, request: request)
        return Answer(status: 302, headers: ["Location": target, "Cache-Control": Self.noStore, "Referrer-Policy": "no-referrer"], body: [])
    }

    /// Classes the request against its send's time and queues the event for the recorder.
    func record(_ kind: TrackingEventRecord.Kind, link: Int?, send: TrackedSend, request: TrackingRequest) {
        var classified = request
        classified.sentAt = send.sentAt
        recorder.record(
            TrackingEventRecord(sendRecordID: send.recordID, kind: kind, link: link, eventClass: TrackingEventClassifier.classify(classified), at: request.at))
    }

    /// Drops the sends and click targets kept in memory when `forget` has erased someone since the last look
    /// (`cadence serve` calls it every second), so an erased person's links stop redirecting.
    public func refreshErasures() async {
        guard let count = try? await store.erasedTrackingCount() else { return }
        if erasures.changed(to: count) {
            clicks.removeAll()
            sends.removeAll()
        }
    }

    /// `GET <path>/u/<token>`: a page with a button, changing nothing (mail scanners fetch every link). A link
    /// signed with a key no longer held gets a page that unsubscribes by the address the person types.
    public func unsubscribePage(_ tokenText: String) -> Answer {
        switch TrackingToken.verify(tokenText, keys: keys) {
        case .success(let token) where token.kind == .unsubscribe:
            return Self.page(
                200, title: "Unsubscribe",
                text: "Press the button and no more emails from this sender's campaigns will reach you. You can say why, if you like.",
                form: .confirm)
        case .failure(.unknownKey) where TrackingToken.unverified(tokenText)?.token.kind == .unsubscribe:
            return Self.page(200, title: "Unsubscribe", text: Self.byAddressText, form: .address)
        default:
            return Self.page(404, title: "Link not found", text: "This unsubscribe link is not valid. Reply to the email with the word \"unsubscribe\" instead.")
        }
    }

    static let byAddressText =
        "This link is older than the keys this server still holds. Type the address the email was sent to, and no more emails from these campaigns will reach it."

    /// `POST <path>/u/<token>`: RFC 8058's one-click (`List-Unsubscribe=One-Click`, form-encoded or multipart) or
    /// the page's button. Suppresses and stops before answering 200; a repeat answers the same. A link whose key
    /// was rotated out is honoured too: its one click by the send it names, its page by the address typed.
    public func unsubscribe(_ tokenText: String, body: [UInt8], contentType: String?) async -> Answer {
        let token: TrackingToken
        // The key id an unverifiable token claims, when its key was rotated out.
        let rotatedOut: UInt8?
        switch TrackingToken.verify(tokenText, keys: keys) {
        case .success(let verified) where verified.kind == .unsubscribe:
            (token, rotatedOut) = (verified, nil)
        case .failure(.unknownKey):
            guard let unverified = TrackingToken.unverified(tokenText), unverified.token.kind == .unsubscribe else { fallthrough }
            (token, rotatedOut) = (unverified.token, unverified.keyID)
        default:
            return Self.page(404, title: "Link not found", text: "This unsubscribe link is not valid. Reply to the email with the word \"unsubscribe\" instead.")
        }
        guard let fields = Self.formFields(body, contentType: contentType),
            fields["List-Unsubscribe"] == "One-Click" || fields["confirm"] == "yes"
        else {
            return Self.page(
                400, title: "Not understood",
                text: "An unsubscribe request must be a form with List-Unsubscribe=One-Click (RFC 8058), or the button on this link's page.")
        }
        let reason = fields["reason"]?.trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            let outcome: LinkUnsubscribeOutcome
            let oneClick = fields["List-Unsubscribe"] == "One-Click"
            if let keyID = rotatedOut {
                var address: EmailAddress?
                if !oneClick {
                    let typed = fields["address"]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                    guard case .success(let parsed) = EmailAddress.parse(typed) else {
                        return Self.page(
                            400, title: "Unsubscribe",
                            text: typed.isEmpty ? "Type the address the email was sent to." : "\"\(typed)\" is not an email address. Type the address the email was sent to.",
                            form: .address)
                    }
                    address = parsed
                }
                outcome = try await store.unsubscribeRotated(
                    trackingID: token.sendTrackingID, keyID: keyID, address: address, reason: reason, policy: policy, now: clock.now)
                if outcome == .unknownSend {
                    // Nothing was written: a one click must not hear 200, and the page says what to do.
                    if oneClick { return Self.page(404, title: "Link not found", text: "This unsubscribe link is not known here.") }
                    return Self.page(
                        400, title: "Unsubscribe",
                        text: "That is not the address this link was sent to. Type that address, or reply to the email with the word \"unsubscribe\".",
                        form: .address)
                }
            } else {
                outcome = try await store.unsubscribe(trackingID: token.sendTrackingID, reason: reason, policy: policy, now: clock.now)
            }
            switch outcome {
            case .unsubscribed, .alreadyUnsubscribed:
                logger.info(rotatedOut != nil ? "unsubscribed by a link whose key was rotated out" : "unsubscribed by link")
                return Self.page(200, title: "Unsubscribed", text: "You are unsubscribed. No more emails from these campaigns will be sent to you.")
            case .erased:
                return Self.page(200, title: "Unsubscribed", text: "No more emails from these campaigns will be sent to you.")
            case .unknownSend:
                return Self.page(404, title: "Link not found", text: "This unsubscribe link is not known here. Reply to the email with the word \"unsubscribe\" instead.")
            }
        } catch {
            logger.error("an unsubscribe could not be recorded", metadata: ["error": "\(error)"])
            return Self.page(503, title: "Try again", text: "Your request could not be recorded just now. Please try again in a minute.")
        }
    }

    /// The fields of an `application/x-www-form-urlencoded` or `multipart/form-data` body; nil when it is neither.
    static func formFields(_ body: [UInt8], contentType: String?) -> [String: String]? {
        let type = (contentType ?? "").lowercased()
        if type.hasPrefix("multipart/form-data") {
            let head = Array("Content-Type: \(contentType!)\r\n\r\n".utf8)
            guard let message = try? MailMessage.parse(head + body), !message.parts.isEmpty else { return nil }
            var fields: [String: String] = [:]
            for part in message.parts {
                guard let name = part.parameter("name", of: "Content-Disposition") else { continue }
                fields[name] = String(decoding: part.decodedBody, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return fields
        }
        if type.isEmpty || type.hasPrefix("application/x-www-form-urlencoded") {
            guard let text = String(validating: body, as: UTF8.self) else { return nil }
            return Dictionary(FormEncoding.decode(text), uniquingKeysWith: { first, _ in first })
        }
        return nil
    }

    /// What an unsubscribe page asks for: nothing, the button, or the address and the button.
    enum Form {
        case none, confirm, address
    }

    /// A small self-contained page: no scripts, no outside resources.
    static func page(_ status: Int, title: String, text: String, form: Form = .none) -> Answer {
        let address = #"<p><label>Your email address<br><input type="email" name="address" size="40" required></label></p>"#
        let button =
            form == .none
            ? ""
            : """
            <form method="post"><input type="hidden" name="confirm" value="yes">\(form == .address ? "\n" + address : "")
            <p><label>Why (optional)<br><textarea name="reason" rows="3" cols="40"></textarea></label></p>
            <p><button type="submit">Unsubscribe</button></p></form>
            """
        let html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex"><title>\(HTMLEscaping.escape(title))</title>
            <style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}</style></head>
            <body><h1>\(HTMLEscaping.escape(title))</h1><p>\(HTMLEscaping.escape(text))</p>\(button)</body></html>

            """
        return Answer(
            status: status, headers: ["Content-Type": "text/html; charset=utf-8", "Cache-Control": noStore, "X-Robots-Tag": "noindex"], body: Array(html.utf8))
    }
}
