import Foundation

/// An email ready to be written as MIME: everything that goes into the bytes, and nothing else.
public struct OutgoingMessage: Sendable, Equatable {
    public struct Address: Sendable, Equatable {
        public var name: String?
        public var address: String
        public init(name: String?, address: String) {
            self.name = name
            self.address = address
        }
    }

    public struct Attachment: Sendable, Equatable {
        public var filename: String
        public var contentType: String
        public var data: [UInt8]
        public init(filename: String, contentType: String, data: [UInt8]) {
            self.filename = filename
            self.contentType = contentType
            self.data = data
        }
    }

    public var from: Address
    public var to: Address
    public var subject: String
    public var date: Date
    /// Without angle brackets: `id@domain`.
    public var messageID: String
    /// The Message-ID this replies to (without brackets), for follow-ups in a thread.
    public var inReplyTo: String?
    public var references: [String]
    /// Further headers in order, e.g. `X-Cadence-Send-Id`, `List-Unsubscribe`. Values must be ASCII.
    public var extraHeaders: [(name: String, value: String)]
    public var text: String
    public var html: String
    public var attachments: [Attachment]

    public init(
        from: Address, to: Address, subject: String, date: Date, messageID: String, inReplyTo: String? = nil,
        references: [String] = [], extraHeaders: [(name: String, value: String)] = [], text: String, html: String,
        attachments: [Attachment] = []
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.date = date
        self.messageID = messageID
        self.inReplyTo = inReplyTo
        self.references = references
        self.extraHeaders = extraHeaders
        self.text = text
        self.html = html
        self.attachments = attachments
    }

    public static func == (lhs: OutgoingMessage, rhs: OutgoingMessage) -> Bool {
        lhs.from == rhs.from && lhs.to == rhs.to && lhs.subject == rhs.subject && lhs.date == rhs.date
            && lhs.messageID == rhs.messageID && lhs.inReplyTo == rhs.inReplyTo && lhs.references == rhs.references
            && lhs.extraHeaders.map(\.name) == rhs.extraHeaders.map(\.name)
            && lhs.extraHeaders.map(\.value) == rhs.extraHeaders.map(\.value) && lhs.text == rhs.text
            && lhs.html == rhs.html && lhs.attachments == rhs.attachments
    }
}
