import ArgumentParser
import CadenceCore
import CadenceEngine
import CadenceStore
import Foundation

/// The target of pause, resume and stop: a campaign, or one candidate (in one campaign or all).
struct SteeringTarget: ParsableArguments {
    @Argument(help: ArgumentHelp("The campaign (optional with --candidate).", valueName: "campaign"))
    var campaign: String?

    @Option(help: ArgumentHelp("Only this candidate.", valueName: "email"))
    var candidate: String?

    @Option(help: ArgumentHelp("Why, for the event log.", valueName: "text"))
    var note: String?

    func selection() throws -> EnrollmentSelection {
        if let candidate { return .candidate(addressKey: try AddressArgument.key(candidate), campaign: campaign) }
        guard let campaign else { throw ValidationError("name a campaign, or a candidate with --candidate EMAIL") }
        return .campaign(campaign)
    }

    var what: String {
        if let candidate { return campaign.map { "\(candidate) in \($0)" } ?? candidate }
        return campaign ?? ""
    }
}

struct Pause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Pause a campaign or a candidate; resume picks up where it stopped.")
    @OptionGroup var project: ProjectOptions
    @OptionGroup var target: SteeringTarget

    func run() async throws {
        try await runReportingFailuresAsync {
            let (selection, note, actor, now) = (try target.selection(), target.note, Actor.current("pause"), CommandClock.now)
            let changed = try await project.withWritingStore { store in try await store.pause(selection, note: note, actor: actor, now: now) }
            print(
                changed == 0
                    ? "Nothing to pause for \(target.what): no enrolment there is active, held or waiting on a task."
                    : "Paused \(target.what): \(changed) enrolment\(changed == 1 ? "" : "s").")
        }
    }
}

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Resume a paused campaign or candidate.",
        discussion: "Resuming one candidate by hand also releases them from a hold, once its cause is fixed; their message is checked again before it goes.")
    @OptionGroup var project: ProjectOptions
    @OptionGroup var target: SteeringTarget

    func run() async throws {
        try await runReportingFailuresAsync {
            let (selection, note, actor, now) = (try target.selection(), target.note, Actor.current("resume"), CommandClock.now)
            let changed = try await project.withWritingStore { store in try await store.resume(selection, note: note, actor: actor, now: now) }
            print(
                changed == 0
                    ? "Nothing to resume for \(target.what): no enrolment there is paused\(target.candidate == nil ? "" : " or held") (stopped ones stay stopped)."
                    : "Resumed \(target.what): \(changed) enrolment\(changed == 1 ? "" : "s").")
        }
    }
}

struct Stop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop a campaign or a candidate for good.")
    @OptionGroup var project: ProjectOptions
    @OptionGroup var target: SteeringTarget

    func run() async throws {
        try await runReportingFailuresAsync {
            let (selection, reason, actor, now) = (try target.selection(), StopReason.manual(note: target.note), Actor.current("stop"), CommandClock.now)
            let changed = try await project.withWritingStore { store in try await store.stop(selection, reason: reason, actor: actor, now: now) }
            print(
                changed == 0
                    ? "Nothing to stop for \(target.what): no enrolment there is in progress (already stopped or finished)."
                    : "Stopped \(target.what): \(changed) enrolment\(changed == 1 ? "" : "s"); stopping is final.")
        }
    }
}
