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
            let location = project.location
            let configuration = FileManager.default.contents(atPath: location.configurationPath).flatMap {
                ConfigurationDecoder.decode($0, file: location.display(location.configurationPath)).configuration
            }
            let (campaign, format, forecast, seed) = (campaign, format, forecast, seed)
            let configurationFile = location.display(location.configurationPath)
            let output = try await project.withReadingStore { store in
                if forecast {
                    guard let configuration else {
                        throw CommandFailure("--forecast needs the mailboxes' limits: cannot read a valid \(configurationFile); run `cadence validate`", code: .dataError)
                    }
                    if let campaign { _ = try await store.status(campaign: campaign, now: now) }  // an unknown campaign is an error, as without --forecast
                    let result = try await CampaignForecast.make(store, configuration: configuration, now: now, seed: seed, only: campaign)
                    return format == .json ? result.json : result.text
                }
                let statuses = try await store.status(campaign: campaign, now: now)
                var output = format == .json ? StatusOutput.json(statuses) : StatusOutput.text(statuses)
                // How fresh each Gmail mailbox's reply watching is: what `run` last read, pushes waiting, the watch.
                if format == .text, let configuration, !configuration.gmailMailboxes.isEmpty {
                    var states: [(String, MailboxSyncState)] = []
                    for (mailbox, _) in configuration.gmailMailboxes { states.append((mailbox.name, try await store.syncState(mailbox.name))) }
                    output += "\n\n" + StatusOutput.watching(states, now: now)
                }
                return output
            }
            print(output)
        }
    }
}
