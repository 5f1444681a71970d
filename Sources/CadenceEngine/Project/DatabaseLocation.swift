import CadenceCore
import CadenceStore
import Foundation

/// Where the database file is: `--db`, then `CADENCE_DB`, then `database` in `cadence.json` (relative to its
/// folder), then `cadence.sqlite` beside the configuration.
public enum DatabaseLocation {
    public static let environmentVariable = "CADENCE_DB"

    public static func resolve(explicit: String?, environment: [String: String], project: ProjectLocation) -> String {
        if let explicit { return ProjectLocation.absolute(explicit, base: project.displayBase) }
        if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty {
            return ProjectLocation.absolute(fromEnvironment, base: project.displayBase)
        }
        var relative = ProjectConfiguration.defaultDatabasePath
        if let bytes = FileManager.default.contents(atPath: project.configurationPath),
            let configuration = ConfigurationDecoder.decode(bytes, file: "cadence.json").configuration
        {
            relative = configuration.databasePath
        }
        return ProjectLocation.absolute(relative, base: project.root)
    }
}
