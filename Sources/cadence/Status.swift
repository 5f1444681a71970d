import ArgumentParser
import CadenceCore
import CadenceEngine
import CadenceStore
import Foundation

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Where every candidate stands, per campaign and step, with reasons.")

    @OptionGroup var project: ProjectOptions

    @Argument(help: ArgumentHelp("One campaign (default: all).", valueName: "campaign"))
    var campaign: String?

    @Option(help: "text or json.")
    var format: OutputFormat = .text

    @Option(help: ArgumentHelp("Count what is due as of this time, ISO 8601 (default: now).", valueName: "time"))
    var at: String?

    @Flag(help: "Also say when each campaign's last step is expected and how many days of work each mailbox has queued.")
    var forecast = false

    @Option(help: ArgumentHelp("With --forecast: the seed `cadence run` uses (default 1), for the gap's jitter.", valueName: "n"))
    var seed: UInt64 = 1

    func run() async throws {
        try await runReportingFailuresAsync {
            let now = try Timestamp.parse(at, option: "--at") ?? CommandClock.now
            let database = try project.openDatabase(.readOnly)
            if forecast {
                let location = project.location
                guard let bytes = FileManager.default.contents(atPath: location.configurationPath),
                    let configuration = ConfigurationDecoder.decode(bytes, file: location.display(location.configurationPath)).configuration
                else { throw CommandFailure("--forecast needs the mailboxes' limits: cannot read a valid \(location.display(location.configurationPath)); run `cadence validate`", code: .dataError) }
                if let campaign { _ = try database.status(campaign: campaign, now: now) }  // an unknown campaign is an error, as without --forecast
                let result = try await CampaignForecast.make(database, configuration: configuration, now: now, seed: seed, only: campaign)
                print(format == .json ? result.json : result.text)
                return
            }
            let statuses = try database.status(campaign: campaign, now: now)
            print(format == .json ? StatusOutput.json(statuses) : StatusOutput.text(statuses))
            // How fresh each Gmail mailbox's reply watching is: what `run` last read, pushes waiting, the watch.
            if format == .text, let bytes = FileManager.default.contents(atPath: project.location.configurationPath),
                let configuration = ConfigurationDecoder.decode(bytes, file: "cadence.json").configuration, !configuration.gmailMailboxes.isEmpty
            {
                let states = try configuration.gmailMailboxes.map { ($0.0.name, try database.syncState($0.0.name)) }
                print("\n" + StatusOutput.watching(states, now: now))
            }
        }
    }
}
