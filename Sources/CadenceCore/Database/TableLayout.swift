/// Cadence's tables as both stores hold them, for `cadence db copy`: each table's columns in order, what kind of
/// value each holds, and its key (rows are read in key order, so both sides checksum the same sequence). Listed so
/// that a table comes after the tables it refers to. Tests hold this list to the SQLite store's migrations and to
/// the PostgreSQL schema, so a new column cannot be forgotten on either side.
public struct TableLayout: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case integer, real, text, blob, date, boolean
    }

    public var name: String
    public var key: [String]
    /// Whether `key` is an id PostgreSQL generates (an identity column), whose sequence a copy moves past the rows.
    public var identity: Bool
    public var columns: [(name: String, kind: Kind)]
    /// Whether the stores read this table's rows in the order they were recorded (SQLite's `rowid`, PostgreSQL's
    /// `seq`): a person's incoming mail breaks ties of `receivedAt` by it, and the push queue is handled "up to this
    /// one". A copy reads such a table in that order, each row with its number as one more cell at the end (the
    /// page's cursor), and writes the rows (without it) in the same order, so the destination numbers them alike.
    public var arrival: Bool

    public init(name: String, key: [String], identity: Bool, columns: [(name: String, kind: Kind)], arrival: Bool = false) {
        self.name = name
        self.key = key
        self.identity = identity
        self.columns = columns
        self.arrival = arrival
    }

    /// A page as a store reads it: its rows as they are written elsewhere, and where the next page starts after.
    public func page(_ read: [[CellValue]]) -> (rows: [[CellValue]], next: [CellValue]?) {
        guard arrival else { return (read, read.last.map(key(of:))) }
        return (read.map { Array($0.dropLast()) }, read.last.map { [$0[$0.count - 1]] })
    }

    /// A row's key values (its columns in `columns` order): where the next page of the table starts after.
    public func key(of row: [CellValue]) -> [CellValue] {
        key.map { name in row[columns.firstIndex { $0.name == name }!] }
    }

    public static func == (a: TableLayout, b: TableLayout) -> Bool {
        a.name == b.name && a.key == b.key && a.identity == b.identity && a.arrival == b.arrival && a.columns.map(\.name) == b.columns.map(\.name)
            && a.columns.map(\.kind) == b.columns.map(\.kind)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(columns.map(\.name))
    }

    /// The tables `cadence db copy` and the snapshots of dry runs carry: all but each runner's own metrics, which
    /// belong to the processes of one database (as PostgreSQL's lease tables do).
    public static var copied: [TableLayout] { all.filter { $0.name != "runnerMetrics" } }

    public static let all: [TableLayout] = [
        TableLayout(
            name: "campaign", key: ["id"], identity: false,
            columns: [("id", .text), ("name", .text), ("sourcePath", .text), ("version", .integer), ("state", .text), ("createdAt", .date), ("updatedAt", .date), ("timeZone", .text)]),
        TableLayout(
            name: "campaignVersion", key: ["campaignId", "version"], identity: false,
            columns: [("campaignId", .text), ("version", .integer), ("digest", .text), ("createdAt", .date)]),
        TableLayout(
            name: "snapshotFile", key: ["campaignId", "version", "kind", "path"], identity: false,
            columns: [("campaignId", .text), ("version", .integer), ("kind", .text), ("path", .text), ("content", .blob), ("digest", .text)]),
        TableLayout(
            name: "candidate", key: ["id"], identity: true,
            columns: [("id", .integer), ("addressKey", .text), ("address", .text), ("fields", .text), ("timeZone", .text), ("createdAt", .date), ("updatedAt", .date)]),
        TableLayout(
            name: "enrollment", key: ["id"], identity: true,
            columns: [
                ("id", .integer), ("campaignId", .text), ("candidateId", .integer), ("mailbox", .text), ("fields", .text), ("variants", .text), ("csvLine", .integer), ("launchId", .text),
                ("state", .text), ("stepId", .text), ("dueAt", .date), ("reason", .text), ("taskId", .integer), ("createdAt", .date), ("updatedAt", .date),
                ("enrolledBy", .text), ("enrolledAs", .text),
            ]),
        TableLayout(
            name: "event", key: ["id"], identity: true,
            columns: [("id", .integer), ("at", .date), ("campaignId", .text), ("candidateId", .integer), ("enrollmentId", .integer), ("kind", .text), ("actor", .text), ("detail", .text)]),
        TableLayout(
            name: "task", key: ["id"], identity: true,
            columns: [("id", .integer), ("enrollmentId", .integer), ("stepId", .text), ("openedAt", .date), ("doneAt", .date), ("doneBy", .text), ("note", .text), ("dueAt", .date)]),
        TableLayout(
            name: "suppression", key: ["id"], identity: true,
            columns: [("id", .integer), ("kind", .text), ("value", .text), ("reason", .text), ("actor", .text), ("createdAt", .date)]),
        TableLayout(
            name: "sendRecord", key: ["id"], identity: true,
            columns: [
                ("id", .integer), ("enrollmentId", .integer), ("campaignId", .text), ("stepId", .text), ("sendId", .text), ("mailbox", .text), ("state", .text), ("message", .blob),
                ("providerMessageId", .text), ("providerThreadId", .text), ("rfcMessageId", .text), ("error", .text), ("createdAt", .date), ("sentAt", .date), ("storedMessageId", .text),
                ("lookupMisses", .integer), ("lookedUpAt", .date), ("historyId", .text), ("historyCursor", .text), ("fence", .integer), ("trackingId", .text), ("trackingKeyId", .integer),
                ("variantId", .text),
            ]),
        TableLayout(
            name: "mailboxLedger", key: ["id"], identity: true,
            columns: [("id", .integer), ("mailbox", .text), ("sentAt", .date), ("recipientDomain", .text), ("campaignId", .text)]),
        TableLayout(
            name: "runnerLease", key: ["id"], identity: false,
            columns: [("id", .integer), ("owner", .text), ("expiresAt", .date), ("fence", .integer)]),
        TableLayout(
            name: "runnerMetrics", key: ["owner"], identity: false,
            columns: [("owner", .text), ("exposition", .text), ("updatedAt", .date)]),
        TableLayout(
            name: "mailboxPause", key: ["mailbox"], identity: false,
            columns: [("mailbox", .text), ("until", .date), ("reason", .text)]),
        TableLayout(
            name: "mailboxSync", key: ["mailbox"], identity: false,
            columns: [("mailbox", .text), ("historyId", .text), ("syncedAt", .date), ("resyncedAt", .date), ("resyncCount", .integer)]),
        TableLayout(
            name: "incomingMessage", key: ["mailbox", "providerMessageId"], identity: false,
            columns: [("mailbox", .text), ("providerMessageId", .text), ("enrollmentId", .integer), ("class", .text), ("snippet", .text), ("receivedAt", .date), ("rule", .text), ("label", .text)],
            arrival: true),
        TableLayout(
            name: "pushNotification", key: ["messageId"], identity: false,
            columns: [("messageId", .text), ("mailbox", .text), ("historyId", .text), ("receivedAt", .date), ("handledAt", .date)], arrival: true),
        TableLayout(
            name: "mailboxWatch", key: ["mailbox"], identity: false,
            columns: [("mailbox", .text), ("topic", .text), ("expiresAt", .date), ("renewedAt", .date)]),
        TableLayout(
            name: "trackedLink", key: ["sendRecordId", "link"], identity: false,
            columns: [("sendRecordId", .integer), ("link", .integer), ("url", .text)]),
        TableLayout(
            name: "trackingEvent", key: ["id"], identity: true,
            columns: [("id", .integer), ("sendRecordId", .integer), ("kind", .text), ("link", .integer), ("class", .text), ("isRepeat", .boolean), ("at", .date)]),
        TableLayout(
            name: "erasedTracking", key: ["trackingId"], identity: false,
            columns: [("trackingId", .text)]),
        TableLayout(
            name: "stepTally", key: ["campaignId", "stepId", "variantId", "mailbox", "launchId", "day"], identity: false,
            columns: [
                ("campaignId", .text), ("stepId", .text), ("variantId", .text), ("mailbox", .text), ("launchId", .text), ("day", .text), ("enrolled", .integer), ("sent", .integer),
                ("bounced", .integer), ("replied", .integer), ("repliedEventually", .integer), ("positive", .integer), ("unsubscribed", .integer), ("outOfOffice", .integer), ("opened", .integer),
                ("openedHuman", .integer), ("clicked", .integer), ("clickedHuman", .integer), ("unsubscribedByLink", .integer), ("tasksDone", .integer),
            ]),
        TableLayout(
            name: "stepTotal", key: ["campaignId", "stepId", "variantId", "mailbox", "launchId"], identity: false,
            columns: [
                ("campaignId", .text), ("stepId", .text), ("variantId", .text), ("mailbox", .text), ("launchId", .text), ("enrolled", .integer), ("sent", .integer), ("bounced", .integer),
                ("replied", .integer), ("repliedEventually", .integer), ("positive", .integer), ("unsubscribed", .integer), ("outOfOffice", .integer), ("opened", .integer), ("openedHuman", .integer),
                ("clicked", .integer), ("clickedHuman", .integer), ("unsubscribedByLink", .integer), ("tasksDone", .integer),
            ]),
        TableLayout(
            name: "stepOutcome", key: ["id"], identity: true,
            columns: [
                ("id", .integer), ("enrollmentId", .integer), ("campaignId", .text), ("stepId", .text), ("variantId", .text), ("mailbox", .text), ("launchId", .text), ("day", .text), ("kind", .text),
                ("seconds", .real),
            ]),
    ]
}
