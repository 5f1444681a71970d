import ArgumentParser
import CadenceCore
import CadenceEngine
import CadenceStore
import Foundation

struct Explain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Why a person has (not) been emailed, and when their next step can go, by the runner's own rules.",
        discussion: """
            Shows each send with its Gmail ids and the person's timeline, then for the next step: the delay from the \
            step before, and every rule the runner applies at its due time (mailbox authorisation, a pause Gmail put \
            on the mailbox, the send window in their zone with holidays and blackouts, the mailbox's daily and hourly \
            caps and minimum gap, the campaign's and the domain's daily caps), the merge fields it lacks, and the \
            earliest time it can go. Held, paused, waiting and stopped people get what lifts it.
            """)

    @OptionGroup var project: ProjectOptions

    @Argument(help: ArgumentHelp("The candidate's address.", valueName: "email"))
    var email: String

    @Option(help: ArgumentHelp("Only this campaign.", valueName: "id"))
    var campaign: String?

    @Option(help: ArgumentHelp("The seed `cadence run` uses (its default is 1): it fixes the gap's jitter.", valueName: "n"))
    var seed: UInt64 = 1

    @Option(help: "text or json.")
    var format: OutputFormat = .text

    func run() async throws {
        try await runReportingFailuresAsync {
            let key = try AddressArgument.key(email)
            let (configuration, access) = try project.gmailContext()
            let (campaign, now, seed, readiness) = (campaign, CommandClock.now, seed, AuthStatus.readiness(access: access))
            let explanations = try await project.withReadingStore { store in
                try await Explainer.explain(store, configuration: configuration, addressKey: key, campaign: campaign, now: now, seed: seed, readiness: readiness)
            }
            print(format == .json ? ExplainOutput.json(explanations) : ExplainOutput.text(explanations))
        }
    }
}
