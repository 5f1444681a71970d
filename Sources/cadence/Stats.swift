import ArgumentParser
import CadenceCore
import CadenceEngine
import CadenceStore
import Foundation

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per step and variant: enrolled, sent, tasks done, and where people stand, with each rate's denominator.")

    @OptionGroup var project: ProjectOptions

    @Argument(help: ArgumentHelp("One campaign (default: all).", valueName: "campaign"))
    var campaign: String?

    @Option(help: "text, json or csv.")
    var format: StatsFormat = .text

    func run() throws {
        try runReportingFailures {
            let stats = try project.openDatabase(.readOnly).stats(campaign: campaign, now: CommandClock.now)
            switch format {
            case .text: print(StatsOutput.text(stats))
            case .json: print(StatsOutput.json(stats))
            case .csv: print(StatsOutput.csv(stats))
            }
        }
    }
}

enum StatsFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, csv
}
