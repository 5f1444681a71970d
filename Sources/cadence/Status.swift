import ArgumentParser
import CadenceCore
import CadenceEngine
import CadenceStore
import Foundation

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Where every candidate stands, per campaign and step, with reasons.")

    @OptionGroup var project: ProjectOptions

    @Argument(help: ArgumentHelp("One campaign (default: all).", valueName: "campaign"))
    var campaign: String?

    @Option(help: "text or json.")
    var format: OutputFormat = .text

    func run() throws {
        try runReportingFailures {
            let statuses = try project.openDatabase().status(campaign: campaign, now: SystemClock().now)
            print(format == .json ? StatusOutput.json(statuses) : StatusOutput.text(statuses))
        }
    }
}
