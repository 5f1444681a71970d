import ArgumentParser
import CadenceEngine

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
        let report = ProjectValidator.validate(location: project.location, paths: paths)
        print(format == .json ? report.json : report.text)
        if report.hasErrors { throw ExitCode.dataError }
    }
}
