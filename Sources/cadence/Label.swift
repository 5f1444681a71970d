import ArgumentParser
import CadenceCore
import CadenceStore
import Foundation

extension ReplyLabel: ExpressibleByArgument {}

/// `cadence label EMAIL interested|not-now|no`: what a reply meant, for the positive-reply rate in `stats`.
struct Label: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Label a person's latest reply interested, not-now or no; stats counts the interested as positive replies.")

    @OptionGroup var project: ProjectOptions

    @Argument(help: ArgumentHelp("The person's address.", valueName: "email"))
    var email: String

    @Argument(help: ArgumentHelp("What the reply meant.", valueName: "interested|not-now|no"))
    var label: ReplyLabel

    @Option(help: ArgumentHelp("The campaign, when they replied in more than one.", valueName: "id"))
    var campaign: String?

    func run() async throws {
        try await runReportingFailuresAsync {
            let key = try AddressArgument.key(email)
            let (campaign, label, actor, now) = (campaign, label, Actor.current("label"), CommandClock.now)
            let labelled = try await project.withWritingStore { store in
                try await store.label(addressKey: key, campaign: campaign, as: label, actor: actor, now: now)
            }
            let was = labelled.previous.map { " (it was \($0.rawValue))" } ?? ""
            print("Labelled \(email)'s reply of \(Timestamps.display(labelled.receivedAt)) in \(labelled.campaignID) as \(labelled.label.rawValue)\(was).")
        }
    }
}
