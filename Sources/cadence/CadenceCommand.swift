import ArgumentParser

/// The root command only lists the subcommands; each lives in its own file.
@main
struct CadenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cadence",
        abstract: "Outreach sequences over Gmail: campaigns as files, sends exactly once, stops on reply.",
        version: CadenceVersion.current,
        subcommands: [
            DemoCommand.self, Validate.self, PreviewCommand.self, Launch.self, Run.self, Serve.self, Watch.self, Status.self, Show.self, Tasks.self, Pause.self, Resume.self,
            Stop.self, Stats.self, Suppress.self, Forget.self, Update.self, Auth.self, Config.self,
        ]
    )
}

enum CadenceVersion {
    static let current = "0.1.0"
}
