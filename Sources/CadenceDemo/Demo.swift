import CadenceCore
import CadenceEngine
import CadenceStore
import Foundation

/// `cadence demo`: the example campaign from start to finish, in a temporary folder, on a fixed clock.
///
/// It validates, previews one message, launches the example candidates, simulates the campaign to its end through
/// the outbox, and shows status and stats. No credentials, no network, and the same output every time.
public enum Demo {
    public static let start = Date(timeIntervalSince1970: 1_796_108_400)  // Tue 2026-12-01 07:00 UTC
    public static let campaign = ExampleProject.campaign

    static func writeReport(_ database: CadenceDatabase, configuration: ProjectConfiguration, now: Date, to path: String, output: (String) -> Void) async throws {
        let limits = Dictionary(configuration.mailboxes.map { ($0.name, $0.limits) }) { first, _ in first }
        let html = ReportHTML.render(try await CampaignReport.gather(database, campaign: campaign, limits: limits, now: now, anonymous: false))
        try Data(html.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        output("The campaign's report (cadence report \(campaign) --out \(path)) is written to \(path): open it in a browser.\n\n")
    }
    public static let candidates = ExampleProject.candidates

    /// Why the demo stopped short; each says what to do next.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The example has errors; the validation report was printed above.
        case invalidExample(ExampleSource)
        /// A project's cadence.json that the sandbox cannot turn into a Gmail mailbox.
        case unusableConfiguration(String)

        public var description: String {
            switch self {
            case .invalidExample(.project(let root)):
                return "the example in \(root) has errors (above); fix them (cadence validate shows them), or run cadence demo in a folder "
                    + "without cadence.json to use the example built into cadence"
            case .invalidExample(.builtIn):
                return "the example built into cadence has errors (above); this is a bug in this build of cadence"
            case .unusableConfiguration(let message):
                return message
            }
        }
    }

    /// Runs the demo from `source`, writing only inside the empty folder `scratch`.
    /// `reportPath`: also write the campaign's HTML report (`cadence report`) there, from the demo's database.
    public static func run(source: ExampleSource, scratch: String, reportPath: String? = nil, output: (String) -> Void) async throws {
        try source.copy(to: scratch)
        let location = ProjectLocation(configurationPath: scratch + "/cadence.json", displayBase: scratch)

        output("1. Check the configuration and the campaigns (cadence validate)\n")
        let report = ProjectValidator.validate(location: location)
        output(report.text + "\n\n")
        guard !report.hasErrors else { throw Failure.invalidExample(source) }

        output("2. Preview one email (cadence preview \(campaign) --candidates \(candidates) --candidate ana.ruiz@example.org --step intro)\n")
        let loaded = try LoadedCampaign.load(campaign, location: location)
        let preview = BufferedOutput.memory()
        let coverage = try Preview.run(loaded, options: .init(candidatesPath: candidates, candidate: "ana.ruiz@example.org", step: "intro", date: start), output: preview)
        preview.flush()
        output(preview.capturedText + coverage.text + "\n\n")

        output("3. Launch it (cadence launch \(campaign) --candidates \(candidates))\n")
        let database = try CadenceDatabase.open(path: scratch + "/cadence.sqlite", mode: .create)
        let launch = try Launcher.launch(loaded, database: database, options: .init(candidatesPath: candidates, now: start, actor: "demo"))
        output(launch.text + "\n\n")

        output("4. Run it to the end on a simulated clock (cadence run --simulate --until …)\n")
        let simulation = try await Simulation.run(
            database: database, configuration: loaded.configuration, scratchFolder: scratch, from: start,
            until: start.addingTimeInterval(60 * 86_400), seed: 1)
        output(Simulation.text(simulation) + "\n")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: scratch + "/outbox/sam")) ?? []
        output("The outbox holds \(files.filter { $0.hasSuffix(".eml") }.count) .eml files, one per email sent.\n\n")

        output("5. Where everyone stands (cadence status)\n")
        output(StatusOutput.text(try await database.status(campaign: nil, now: simulation.finished[campaign] ?? start)) + "\n\n")
        output("6. Per step and variant (cadence stats)\n")
        output(StatsOutput.text(try database.stats(campaign: nil, now: start)) + "\n\n")
        if let reportPath {
            try await writeReport(database, configuration: loaded.configuration, now: simulation.finished[campaign] ?? start, to: reportPath, output: output)
        }
        output("`cadence demo --sandbox` sends the same campaign through a sandbox Gmail, with opens, clicks and one-click unsubscribe.\n")
        output(source.nextSteps + "\n")
        output("Everything above ran in a temporary folder, which is now deleted; nothing was sent.\n")
    }
}
