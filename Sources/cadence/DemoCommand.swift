import ArgumentParser
import CadenceEngine
import Foundation

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the bundled example campaign from start to finish in a temporary folder. Sends nothing.")

    @OptionGroup var project: ProjectOptions

    @Flag(help: "Send through a sandbox Gmail (the strict fake, on 127.0.0.1 for the demo only): OAuth, messages.send, threads, quotas.")
    var sandbox = false

    func run() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-demo-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        do {
            let ok = sandbox
                ? try await SandboxDemo.run(source: project.location.root, scratch: scratch) { print($0, terminator: "") }
                : try await Demo.run(source: project.location.root, scratch: scratch) { print($0, terminator: "") }
            if !ok { throw ExitCode.dataError }
        } catch let failure as Demo.Failure {
            guard case .missingExample(let message) = failure else { throw failure }
            FileHandle.standardError.write(Data("cadence: error: \(message)\n".utf8))
            throw ExitCode.dataError
        }
    }
}
