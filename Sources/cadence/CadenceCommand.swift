import ArgumentParser
import Foundation

/// The root command only lists the subcommands; each lives in its own file.
@main
struct CadenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cadence",
        abstract: "Outreach sequences over Gmail: campaigns as files, sends exactly once, stops on reply.",
        version: CadenceVersion.current,
        subcommands: [
            DemoCommand.self, InitCommand.self, Validate.self, PreviewCommand.self, Launch.self, Run.self, Serve.self, Watch.self, Status.self, Show.self, Tasks.self, Pause.self, Resume.self,
            Stop.self, Stats.self, Report.self, Explain.self, Label.self, Classify.self, Suppress.self, Forget.self, Update.self, Auth.self, Config.self, Db.self,
        ]
    )

    /// ArgumentParser's own `main`, except that a `ValidationError` thrown while a command runs (a bad `--until`,
    /// found after parsing) gets Cadence's one-line error, exit 64, from sync and async commands alike, instead of
    /// ArgumentParser's error and usage block. Errors found while parsing keep ArgumentParser's form.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch let error as ValidationError {
            FileHandle.standardError.write(Data("cadence: error: \(error.message)\n".utf8))
            exit(withError: ExitCode.validationFailure)
        } catch {
            exit(withError: error)
        }
    }
}

enum CadenceVersion {
    static let current = "0.1.0"
}
