import ArgumentParser
import CadenceCore
import CadenceEngine
import CadenceStore
import Foundation

struct Tasks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open manual tasks (LinkedIn, calls) with instructions; `tasks done ID` completes one.",
        subcommands: [List.self, Done.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List open tasks (opening those now due).")
        @OptionGroup var project: ProjectOptions
        @Argument(help: ArgumentHelp("One campaign (default: all).", valueName: "campaign"))
        var campaign: String?
        @Option(help: "text or json.")
        var format: OutputFormat = .text
        @Option(help: ArgumentHelp("Open the tasks due by this time, ISO 8601 (default: now).", valueName: "time"))
        var at: String?

        func run() async throws {
            try await runReportingFailuresAsync {
                let now = try Timestamp.parse(at, option: "--at") ?? CommandClock.now
                let (campaign, actor) = (campaign, Actor.current("tasks"))
                let tasks = try await project.withStore { store in try await store.openTasks(campaign: campaign, actor: actor, now: now) }
                print(format == .json ? StatusOutput.json(tasks) : StatusOutput.text(tasks))
            }
        }
    }

    struct Done: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a task done; the candidate's sequence goes on.")
        @OptionGroup var project: ProjectOptions
        @Argument(help: ArgumentHelp("The task's number, as `cadence tasks` shows it.", valueName: "id"))
        var id: Int64
        @Option(help: ArgumentHelp("What happened, for the event log.", valueName: "text"))
        var note: String?

        func run() async throws {
            try await runReportingFailuresAsync {
                let (id, note, actor, now) = (id, note, Actor.current("tasks done"), CommandClock.now)
                let next = try await project.withStore { store in try await store.completeTask(id, note: note, actor: actor, now: now) }
                print("Task \(id) done; the candidate is \(StatusOutput.describe(next)).")
            }
        }
    }
}
