import ArgumentParser
import CadenceDemo
import Foundation

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a working example project into a folder: configuration, a campaign, its templates, candidates.",
        discussion: """
            Writes cadence.json (one mailbox with the outbox provider, which writes .eml files and sends nothing), the \
            example campaign in sequences/, its templates in templates/, examples/candidates.csv, JSON Schemas for \
            editors, and a .gitignore. Never overwrites a file: if any of them exists, nothing is written (exit 73).
            """)

    @Argument(help: ArgumentHelp("The folder to write into, created if missing (default: the current folder).", valueName: "dir"))
    var directory: String?

    func run() throws {
        try runReportingFailures {
            let here = FileManager.default.currentDirectoryPath
            let folder = directory.map { $0.hasPrefix("/") ? $0 : here + "/" + $0 } ?? here
            do throws(ExampleProject.WriteFailure) {
                try ExampleProject.write(into: folder, display: directory ?? "this folder")
            } catch {
                throw CommandFailure(error.description, code: .cannotCreate)
            }
            print(ExampleProject.summary(folder: directory))
        }
    }
}
