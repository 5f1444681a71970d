import ArgumentParser
import CadenceCore
import CadenceEngine
import CadenceStore
import Foundation

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One campaign as a self-contained HTML page: funnel, replies over time, reply hours, variants, mailboxes, tasks and holds.",
        discussion: """
            The page fetches nothing (no script, font or image; CSS and SVG charts inline), so it opens offline and \
            can be attached to an email. Every chart has a table with its figures. --anonymous leaves out the names \
            and addresses of the people (the tasks list says "a person"). An existing file at --out is replaced.
            """)

    @OptionGroup var project: ProjectOptions

    @Argument(help: ArgumentHelp("The campaign.", valueName: "campaign"))
    var campaign: String

    @Option(name: .long, help: ArgumentHelp("Where to write the HTML file.", valueName: "path"))
    var out: String

    @Flag(help: "Leave out people's names and addresses.")
    var anonymous = false

    func run() async throws {
        try await runReportingFailuresAsync {
            let folder = URL(fileURLWithPath: out).deletingLastPathComponent().path
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw CommandFailure("cannot write \(out): the folder \(folder) does not exist; create it or choose another --out", code: .cannotCreate)
            }
            let (campaign, limits, now, anonymous) = (campaign, mailboxLimits(), CommandClock.now, anonymous)
            let report = try await project.withReadingStore { store in
                try await CampaignReport.gather(store, campaign: campaign, limits: limits, now: now, anonymous: anonymous)
            }
            let html = ReportHTML.render(report)
            do {
                try Data(html.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
            } catch {
                throw CommandFailure("cannot write \(out): \(error.localizedDescription)", code: .cannotCreate)
            }
            print("Wrote \(out) (\(html.utf8.count / 1024) KB): \(report.stats.name), \(report.stats.enrolled) enrolled. It opens in any browser, offline.")
        }
    }

    /// The configured mailboxes' caps, for the mailbox table; without a readable cadence.json the caps are left out.
    func mailboxLimits() -> [String: MailboxLimits] {
        let location = project.location
        guard let bytes = FileManager.default.contents(atPath: location.configurationPath),
            let configuration = ConfigurationDecoder.decode(bytes, file: location.configurationPath).configuration
        else {
            FileHandle.standardError.write(Data("note: no valid cadence.json here, so the mailbox table shows no caps\n".utf8))
            return [:]
        }
        return Dictionary(configuration.mailboxes.map { ($0.name, $0.limits) }) { first, _ in first }
    }
}
