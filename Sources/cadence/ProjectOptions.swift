import ArgumentParser
import CadenceEngine
import Foundation

/// Options every command that reads a project shares.
struct ProjectOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The configuration file (default: $CADENCE_CONFIG, else ./cadence.json).", valueName: "path"))
    var config: String?

    var location: ProjectLocation {
        ProjectLocation.resolve(
            explicit: config, environment: ProcessInfo.processInfo.environment,
            currentDirectory: FileManager.default.currentDirectoryPath)
    }
}

/// Output formats for commands whose results editors and CI read.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

/// EX_DATAERR from sysexits.h: the input files are wrong. Usage errors exit 64 through ArgumentParser.
extension ExitCode {
    static let dataError = ExitCode(65)
}
