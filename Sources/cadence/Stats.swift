import ArgumentParser
import CadenceCore
import CadenceEngine
import CadenceStore
import Foundation

struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per step and variant: sent, delivered, replies, bounces, opens, clicks, tasks, with each rate's denominator.",
        discussion: """
            --by mailbox|launch repeats the table for each mailbox's or launch's people. --by day|week counts what \
            happened on each day or week in the campaign's time zone. --since/--until (YYYY-MM-DD, inclusive) take \
            the cohort of people first sent to in those days, or with --by day|week the events of those days.
            """)

    @OptionGroup var project: ProjectOptions

    @Argument(help: ArgumentHelp("One campaign (default: all).", valueName: "campaign"))
    var campaign: String?

    @Option(help: "text, json or csv.")
    var format: StatsFormat = .text

    @Option(help: ArgumentHelp("Slice by mailbox, launch, day or week.", valueName: "slice"))
    var by: StatsSliceOption?

    @Option(help: ArgumentHelp("First day (YYYY-MM-DD, in the campaign's time zone).", valueName: "date"), transform: DayOption.parse)
    var since: DayOption?

    @Option(help: ArgumentHelp("Last day, inclusive (YYYY-MM-DD).", valueName: "date"), transform: DayOption.parse)
    var until: DayOption?

    func validate() throws {
        if let since, let until, until.day < since.day {
            throw ValidationError("--until \(until.day) is before --since \(since.day); give the earlier day first")
        }
    }

    func run() async throws {
        try await runReportingFailuresAsync {
            let query = StatsQuery(campaign: campaign, slice: by?.slice, since: since?.day, until: until?.day)
            let now = CommandClock.now
            let stats = try await project.withReadingStore { store in try await store.stats(query, now: now) }
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

struct StatsSliceOption: ExpressibleByArgument {
    var slice: StatsQuery.Slice

    init?(argument: String) {
        guard let slice = StatsQuery.Slice(rawValue: argument) else { return nil }
        self.slice = slice
    }

    static var allValueStrings: [String] { StatsQuery.Slice.allCases.map(\.rawValue) }
}

/// A day written `YYYY-MM-DD`, one that exists.
struct DayOption {
    var day: CalendarDate

    static func parse(_ argument: String) throws -> DayOption {
        guard let day = CalendarDate.parse(argument) else {
            throw ValidationError("\"\(argument)\" is not a day; write one that exists as YYYY-MM-DD, e.g. 2026-11-30")
        }
        return DayOption(day: day)
    }
}
