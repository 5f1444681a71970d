/// The stable identity of one step sent to one candidate, carried in the message itself.
///
/// A candidate is enrolled in a campaign at most once, so campaign, step and address name a send uniquely. The
/// identity goes into a deterministic `Message-ID` and an `X-Cadence-Send-Id` header, which is how Cadence later
/// recognises its own message in the Sent folder after a crash and never sends it twice.
public struct SendIdentity: Sendable, Hashable {
    public let campaignID: String
    public let stepID: String
    public let address: EmailAddress

    public init(campaignID: String, stepID: String, address: EmailAddress) {
        self.campaignID = campaignID
        self.stepID = stepID
        self.address = address
    }

    /// `backend-engineers.intro.3f9a…`: readable in logs, unique per send, no personal data.
    public var sendID: String {
        "\(campaignID).\(stepID).\(trackingID)"
    }

    /// The 20 hex digits that end the send id: what a tracking token carries to name the send in 10 bytes.
    public var trackingID: String {
        StableHash.hex("send", campaignID, stepID, address.description.lowercased(), bytes: 10)
    }

    /// The Message-ID (without brackets) in the sending mailbox's domain.
    public func messageID(domain: String) -> String {
        "cadence.\(sendID)@\(domain)"
    }
}

/// The `List-Unsubscribe` mailto the reply watcher recognises: mail to the sending mailbox with a subject naming
/// the campaign and an opaque token for the candidate.
public enum UnsubscribeMailto {
    public static func token(campaignID: String, address: EmailAddress) -> String {
        "\(campaignID).\(StableHash.hex("unsubscribe", campaignID, address.description.lowercased(), bytes: 8))"
    }

    public static func subject(campaignID: String, address: EmailAddress) -> String {
        "unsubscribe \(token(campaignID: campaignID, address: address))"
    }

    public static func header(mailbox: EmailAddress, campaignID: String, address: EmailAddress) -> String {
        "<mailto:\(mailbox)?subject=unsubscribe%20\(token(campaignID: campaignID, address: address))>"
    }
}
