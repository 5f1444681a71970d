import Foundation

/// Where a Cadence project lives: its configuration file and the folder beside it that holds `sequences/` and
/// `templates/`.
public struct ProjectLocation: Sendable, Hashable {
    public static let configurationFileName = "cadence.json"
    public static let environmentVariable = "CADENCE_CONFIG"

    /// Absolute path of `cadence.json` (or whatever file `--config` named).
    public var configurationPath: String
    /// The configuration's folder: `sequences/` and `templates/` are read from here.
    public var root: String
    /// Paths in messages are shown relative to this folder (the working directory).
    public var displayBase: String

    public init(configurationPath: String, displayBase: String) {
        let absolute = Self.absolute(configurationPath, base: displayBase)
        self.configurationPath = absolute
        self.root = (absolute as NSString).deletingLastPathComponent
        self.displayBase = displayBase
    }

    /// `--config` wins, then `CADENCE_CONFIG`, then `cadence.json` in the working directory.
    public static func resolve(explicit: String?, environment: [String: String], currentDirectory: String) -> ProjectLocation {
        let path = explicit ?? environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 } ?? configurationFileName
        return ProjectLocation(configurationPath: path, displayBase: currentDirectory)
    }

    public var sequencesFolder: String { root + "/sequences" }
    public var templatesFolder: String { root + "/templates" }

    /// `path` as a person typing commands in `displayBase` would write it.
    public func display(_ path: String) -> String {
        let base = displayBase.hasSuffix("/") ? displayBase : displayBase + "/"
        let standardized = (path as NSString).standardizingPath
        if standardized.hasPrefix(base) { return String(standardized.dropFirst(base.count)) }
        return standardized
    }

    static func absolute(_ path: String, base: String) -> String {
        let joined = path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)
        return (joined as NSString).standardizingPath
    }
}
