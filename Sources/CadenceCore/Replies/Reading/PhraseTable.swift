/// One language's words for reading incoming mail, as written in `Phrases/<language>.json`: what auto-replies,
/// bounces and unsubscribe requests say in it, how its mail clients head a quote, and how it writes dates. The
/// tables are data so that a language is added or corrected without touching the classifier, and each fixed phrase
/// can say which mail system's template it came from.
public struct PhraseTable: Sendable, Decodable {
    public struct Phrase: Sendable, Decodable {
        public var text: String
        /// Only an absence notice (or a "no longer here" notice) says this: it decides even without an automation
        /// header, as when a server-side rule answers with a plain "Re:" subject.
        public var strong: Bool?
        /// Where a mail system's fixed wording came from.
        public var source: String?
    }

    /// How numeric dates are written: "dmy" (9.12. is 9 December), "ymd" (2026/12/09), or "mdy-or-dmy" (English:
    /// 9/12 could be either, so only a day above 12 decides).
    public enum DateOrder: String, Sendable, Decodable {
        case dmy, ymd
        case mdyOrDmy = "mdy-or-dmy"
    }

    public struct ReturnMarkers: Sendable, Decodable {
        /// Words written just before the return date ("back on", "bis zum").
        public var before: [String]
        /// Words written just after it (Japanese まで, Turkish "'e kadar").
        public var after: [String]
    }

    public struct QuoteHeaders: Sendable, Decodable {
        /// The verb of the attribution line above a quote ("wrote", "schrieb", "a écrit").
        public var wrote: [String]
        /// The words of Outlook's "-----Original Message-----" line.
        public var originalMessage: [String]
        /// Outlook's quoted header block labels: from, sent (or date), to, subject.
        public var headerFields: [String: [String]]
    }

    public struct Phrases: Sendable, Decodable {
        public var autoReplySubject: [Phrase]
        public var outOfOffice: [Phrase]
        public var noLongerHere: [Phrase]
        public var notMonitored: [Phrase]
        public var ticket: [Phrase]
        public var unsubscribe: [Phrase]
        public var bounceSubject: [Phrase]
        public var bounceText: [Phrase]
        public var delayText: [Phrase]
        public var readReceiptSubject: [Phrase]
        public var meetingAccepted: [Phrase]
        public var meetingDeclined: [Phrase]
        public var meetingTentative: [Phrase]
    }

    public var language: String
    public var name: String
    public var dateOrder: DateOrder
    public var months: [String: Int]
    public var weekdays: [String: Int]
    public var returnMarkers: ReturnMarkers
    public var quoteHeaders: QuoteHeaders
    public var phrases: Phrases
    /// Words that, written just before an unsubscribe phrase, turn it around ("no need to unsubscribe me").
    public var negations: [String]?
}
