import ArgumentParser
import CadenceCore
import CadenceEngine
import CadenceGmail
import Foundation

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the configuration, campaigns, templates and attachments. Writes nothing.",
        discussion: """
            With no PATH, checks cadence.json and every campaign in sequences/. A PATH may be a campaign file, a \
            folder of campaigns, or a project folder holding its own cadence.json. Prints every problem as \
            path:line:column: error: message and exits 65 if there is any error.
            """
    )

    @OptionGroup var project: ProjectOptions

    @Option(help: "text, or json for editors and CI.")
    var format: OutputFormat = .text

    @Argument(help: ArgumentHelp("Files or folders to check.", valueName: "path"))
    var paths: [String] = []

    func run() throws {
        var report = ProjectValidator.validate(location: project.location, paths: paths)
        // With the whole project in view, and a database to look in: no tracking key still needed may be dropped.
        if paths.isEmpty, let configuration = report.configuration {
            report.diagnostics += TrackingKeyRotation.check(
                configuration, databasePath: project.databasePath,
                secrets: SecretStore(root: project.location.root, environment: ProcessInfo.processInfo.environment),
                file: project.location.display(project.location.configurationPath), now: CommandClock.now)
        }
        print(format == .json ? report.json : report.text)
        if report.hasErrors { throw ExitCode.dataError }
    }
}
