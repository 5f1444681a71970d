import CadenceCore
import Foundation

/// A person's sends and incoming mail, as every store reads them: what they count for is derived here once, so the
/// SQLite and PostgreSQL stores move the same counters for the same facts.
package struct PersonFacts: Sendable {
    package struct Send: Sendable {
        package var step: String
        package var variant: String
        package var mailbox: String
        package var at: Date

        package init(step: String, variant: String, mailbox: String, at: Date) {
            self.step = step
            self.variant = variant
            self.mailbox = mailbox
            self.at = at
        }
    }

    package struct Incoming: Sendable {
        /// `incomingMessage.class`.
        package var incomingClass: String
        package var label: String?
        package var receivedAt: Date

        package init(incomingClass: String, label: String?, receivedAt: Date) {
            self.incomingClass = incomingClass
            self.label = label
            self.receivedAt = receivedAt
        }
    }

    package var campaign: String
    package var launch: String
    package var zone: TimeZone
    /// In (sentAt, id) order.
    package var sends: [Send]
    /// In the order they were received (and recorded).
    package var incoming: [Incoming]

    package init(campaign: String, launch: String, zone: TimeZone, sends: [Send], incoming: [Incoming]) {
        self.campaign = campaign
        self.launch = launch
        self.zone = zone
        self.sends = sends
        self.incoming = incoming
    }

    /// Each incoming message counts for the last step sent to the person before it arrived ("replied after this
    /// step"), once per step and kind; a reply also counts for every step sent before it ("replied eventually").
    package func outcomes() -> [TallyOutcome] {
        guard !sends.isEmpty else { return [] }
        var found: [String: TallyOutcome] = [:]
        func add(_ kind: TallyMeasure, _ send: Send, at: Date, seconds: Double? = nil) {
            let id = "\(send.step)\u{0}\(kind.rawValue)"
            guard found[id] == nil else { return }
            found[id] = TallyOutcome(
                kind: kind,
                key: TallyKey(
                    campaign: campaign, step: send.step, variant: send.variant, mailbox: send.mailbox, launch: launch,
                    day: CadenceDatabase.reportingDay(at, zone)),
                seconds: seconds)
        }
        for message in incoming {
            let kind: TallyMeasure
            switch message.incomingClass {
            case "reply", "unparsed": kind = .replied
            case "bounce": kind = .bounced
            case "unsubscribe": kind = .unsubscribed
            case "out-of-office": kind = .outOfOffice
            default: continue
            }
            let received = message.receivedAt
            // Sends are in (sentAt, id) order: the last at or before the message is the one it answers.
            guard let send = sends.last(where: { $0.at <= received }) else { continue }
            add(kind, send, at: received, seconds: kind == .replied ? received.timeIntervalSince(send.at) : nil)
            if kind == .replied, message.label == ReplyLabel.interested.rawValue { add(.positive, send, at: received) }
            if kind == .replied {
                for earlier in sends where earlier.at <= received { add(.repliedEventually, earlier, at: received) }
            }
        }
        return Array(found.values)
    }
}
