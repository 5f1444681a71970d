import ArgumentParser
import CadenceCore
import CadenceStore
import Foundation

extension ReplyLabel: ExpressibleByArgument {}

/// `cadence label EMAIL interested|not-now|no`: what a reply meant, for the positive-reply rate in `stats`.
struct Label: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Label a person's latest reply interested, not-now or no; stats counts the interested as positive replies.")

    @OptionGroup var project: ProjectOptions

    @Argument(help: ArgumentHelp("The person's address.", valueName: "email"))
    var email: String

    @Argument(help: ArgumentHelp("What the reply meant.", valueName: "interested|not-now|no"))
    var label: ReplyLabel

    @Option(help: ArgumentHelp("The campaign, when they replied in more than one.", valueName: "id"))
    var campaign: String?

    func run() throws {
        try runReportingFailures {
            let key = try AddressArgument.key(email)
            let labelled = try project.openDatabase().label(addressKey: key, campaign: campaign, as: label, actor: Actor.current("label"), now: CommandClock.now)
            let was = labelled.previous.map { " (it was \($0.rawValue))" } ?? ""
            print("Labelled \(email)'s reply of \(Timestamps.display(labelled.receivedAt)) in \(labelled.campaignID) as \(labelled.label.rawValue)\(was).")
        }
    }
}
