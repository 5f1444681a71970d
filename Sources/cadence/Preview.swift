import ArgumentParser
import CadenceCore
import CadenceEngine
import CadenceGmail
import Foundation

struct PreviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Render a campaign for a candidates file exactly as it would be sent. Sends nothing.",
        discussion: """
            Ends with a coverage report: how many candidates render every step, and which fields the others lack \
            on which steps. Exits 65 if any candidate lacks data or any row is unusable; the others still render. \
            With --format eml the messages go to stdout and the report to stderr.
            """
    )

    @OptionGroup var project: ProjectOptions

    @Argument(help: ArgumentHelp("A campaign id, or the path of a campaign file.", valueName: "campaign"))
    var campaign: String

    @Option(help: ArgumentHelp("The candidates CSV.", valueName: "csv"))
    var candidates: String

    @Option(help: ArgumentHelp("Only this candidate's emails.", valueName: "email"))
    var candidate: String?

    @Option(help: ArgumentHelp("Only this step.", valueName: "id"))
    var step: String?

    @Option(help: "text (subject and body to read) or eml (the complete messages).")
    var format: PreviewFormat = .text

    @Option(help: ArgumentHelp("Write one .eml per candidate and step into this folder.", valueName: "dir"))
    var out: String?

    @Option(help: ArgumentHelp("The mailbox to render as (default: the campaign's first).", valueName: "name"))
    var mailbox: String?

    @Option(help: ArgumentHelp("The Date the messages carry, ISO 8601 (default: now).", valueName: "time"))
    var at: String?

    func run() throws {
        let date = try Timestamp.parse(at, option: "--at") ?? CommandClock.now
        let errorsOnStandardError = format == .eml && out == nil
        let loaded = try LoadedCampaign.loadOrExit(campaign, location: project.location, toStandardError: errorsOnStandardError)
        let stdout = BufferedOutput(FileHandle.standardOutput)
        var keys: TrackingKeys?
        if let tracking = loaded.configuration.tracking {
            try runReportingFailures {
                do {
                    keys = try TrackingKeyLoader.load(tracking, secrets: SecretStore(root: project.location.root, environment: ProcessInfo.processInfo.environment))
                } catch {
                    throw CommandFailure("cannot sign the tracking links the messages carry: \(error)", code: .dataError)
                }
            }
        }
        let options = Preview.Options(
            candidatesPath: candidates, candidate: candidate, step: step, format: format.engine, outFolder: out,
            date: date, mailbox: mailbox, tracking: keys)
        let report: CoverageReport
        do {
            report = try Preview.run(loaded, options: options, output: stdout)
        } catch .problems(let diagnostics) {
            stdout.flush()
            let text = diagnostics.map(\.description).joined(separator: "\n")
            if errorsOnStandardError { FileHandle.standardError.write(Data((text + "\n").utf8)) } else { print(text) }
            throw ExitCode.dataError
        } catch .usage(let message) {
            stdout.flush()
            throw ValidationError(message)
        }
        stdout.flush()
        if format == .eml && out == nil {
            FileHandle.standardError.write(Data((report.text + "\n").utf8))
        } else {
            print(report.text)
        }
        if report.hasProblems { throw ExitCode.dataError }
    }
}

enum PreviewFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case eml

    var engine: Preview.Format { self == .text ? .text : .eml }
}
