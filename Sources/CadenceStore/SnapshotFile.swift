import GRDB

/// One file of a campaign as launched: the campaign JSON, a template, or an attachment, with its digest.
public struct SnapshotFile: Sendable, Equatable {
    public enum Kind: String, Sendable, DatabaseValueConvertible {
        case campaign, template, attachment
        /// The settings of a sending mailbox that shape its emails (address, display name, signature).
        case mailbox
    }

    public var kind: Kind
    public var path: String
    public var content: [UInt8]
    public var digest: String

    public init(kind: Kind, path: String, content: [UInt8], digest: String) {
        self.kind = kind
        self.path = path
        self.content = content
        self.digest = digest
    }
}

/// A campaign as the database knows it.
public struct StoredCampaign: Sendable, Equatable {
    public var id: String
    public var name: String
    public var sourcePath: String
    public var version: Int
    public var paused: Bool
    /// Stopped campaigns take no new candidates.
    public var stopped: Bool
    /// Over every file of the current version.
    public var digest: String
    public var files: [SnapshotFile]

    package init(id: String, name: String, sourcePath: String, version: Int, paused: Bool, stopped: Bool, digest: String, files: [SnapshotFile]) {
        self.id = id
        self.name = name
        self.sourcePath = sourcePath
        self.version = version
        self.paused = paused
        self.stopped = stopped
        self.digest = digest
        self.files = files
    }
}
