import CadenceCore
import CadenceStore
import Foundation

/// Where the database is: `--db`, then `CADENCE_DB`, then `database` in `cadence.json` (a file relative to its
/// folder), then `cadence.sqlite` beside the configuration. A PostgreSQL URL (`postgres://…`) is kept as it is.
public enum DatabaseLocation {
    public static let environmentVariable = "CADENCE_DB"

    public static func resolve(explicit: String?, environment: [String: String], project: ProjectLocation) -> String {
        if let explicit { return PostgresSettings.isURL(explicit) ? explicit : ProjectLocation.absolute(explicit, base: project.displayBase) }
        if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty {
            return PostgresSettings.isURL(fromEnvironment) ? fromEnvironment : ProjectLocation.absolute(fromEnvironment, base: project.displayBase)
        }
        var relative = ProjectConfiguration.defaultDatabasePath
        if let bytes = FileManager.default.contents(atPath: project.configurationPath),
            let configuration = ConfigurationDecoder.decode(bytes, file: "cadence.json").configuration
        {
            relative = configuration.databasePath
        }
        return PostgresSettings.isURL(relative) ? relative : ProjectLocation.absolute(relative, base: project.root)
    }

    /// Where cadence.json says the PostgreSQL password is, when `url` is the URL it names.
    public static func passwordReference(for url: String, project: ProjectLocation) -> SecretReference? {
        guard let bytes = FileManager.default.contents(atPath: project.configurationPath),
            let configuration = ConfigurationDecoder.decode(bytes, file: "cadence.json").configuration,
            configuration.databasePath == url
        else { return nil }
        return configuration.databasePassword
    }
}
