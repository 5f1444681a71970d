import ArgumentParser
import CadenceDemo
import CadenceEngine
import Foundation

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the example campaign from start to finish in a temporary folder. Sends nothing.",
        discussion: """
            Runs from any folder: it uses the example in the current project when that holds one (cadence.json, \
            sequences/, templates/ and examples/candidates.csv), else the copy built into cadence.
            """)

    @OptionGroup var project: ProjectOptions

    @Flag(help: "Send through a sandbox Gmail (the strict fake, on 127.0.0.1 for the demo only): OAuth, messages.send, threads, quotas.")
    var sandbox = false

    @Option(help: ArgumentHelp("Also write the campaign's HTML report (cadence report) to this file.", valueName: "path"))
    var report: String?

    func run() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-demo-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let source = ExampleSource.find(projectRoot: project.location.root)
        // Relative to where the command runs, not the temporary folder.
        let reportPath = report.map { URL(fileURLWithPath: $0, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/")).path }
        do {
            if sandbox {
                try await SandboxDemo.run(source: source, scratch: scratch, reportPath: reportPath) { print($0, terminator: "") }
            } else {
                try await Demo.run(source: source, scratch: scratch, reportPath: reportPath) { print($0, terminator: "") }
            }
        } catch {
            // Every way the demo can stop says why: never a bare exit status.
            FileHandle.standardError.write(Data("cadence: error: \(error)\n".utf8))
            throw ExitCode.dataError
        }
    }
}
