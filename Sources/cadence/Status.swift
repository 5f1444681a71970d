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

    @Option(help: ArgumentHelp("Count what is due as of this time, ISO 8601 (default: now).", valueName: "time"))
    var at: String?

    func run() throws {
        try runReportingFailures {
            let now = try Timestamp.parse(at, option: "--at") ?? CommandClock.now
            let statuses = try project.openDatabase(.readOnly).status(campaign: campaign, now: now)
            print(format == .json ? StatusOutput.json(statuses) : StatusOutput.text(statuses))
        }
    }
}
