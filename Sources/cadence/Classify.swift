import ArgumentParser
import CadenceCore
import CadenceStore
import Foundation

/// Reads saved messages (.eml) the way `cadence run` reads incoming mail and says what each is, whom it would be
/// matched to in this project, the return date it names and the rule that decided, changing nothing: for a user
/// checking their own bounces and auto-replies before trusting a campaign to them, and for bug reports.
struct Classify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify saved messages (.eml) as Cadence would: class, person, return date, rule. Changes nothing.",
        discussion: "docs/replies.md lists the rules in the order they are tried.")

    @OptionGroup var project: ProjectOptions

    @Argument(help: ArgumentHelp("Messages as raw RFC 5322 files (.eml).", valueName: "file"))
    var files: [String]

    @Option(help: "text or json.")
    var format: OutputFormat = .text

    struct Reading: Encodable, Sendable {
        var file: String
        var `class`: String
        var permanent: Bool?
        var status: String?
        var from: String
        var person: String?
        var campaign: String?
        var returns: String?
        var rule: String
        var matchedBy: [String]
    }

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one .eml file") }
    }

    func run() async throws {
        try await runReportingFailuresAsync {
            // The project's database (a SQLite file, or PostgreSQL), read only; without one nobody is looked up.
            let path = project.databasePath
            let lookUp = PostgresSettings.isURL(path) || FileManager.default.fileExists(atPath: path)
            let (files, now) = (files, CommandClock.now)
            let readings = try await lookUp ? project.withReadingStore { store in try await Self.read(files, store, now: now) } : Self.read(files, nil, now: now)
            if format == .json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(readings), as: UTF8.self))
                return
            }
            for reading in readings {
                print(reading.file)
                var kind = reading.class
                if let status = reading.status { kind += " (\(status))" }
                print("  class:   \(kind)")
                print("  rule:    \(reading.rule)")
                if reading.class == "out-of-office" {
                    print("  returns: \(reading.returns ?? "no date named; held for the configured default")")
                    if IncomingPolicy.isWordingGuess(rule: reading.rule) {
                        print("  note:    read from its wording alone (no header said it was automatic): a guess, so held, not stopped")
                    }
                }
                if let person = reading.person, let campaign = reading.campaign {
                    print("  person:  \(person) (campaign \(campaign))")
                } else if !lookUp {
                    print("  person:  not looked up: no project database at \(path)")
                } else {
                    print("  person:  nobody in this project (looked for \(reading.matchedBy.isEmpty ? "nothing to match" : reading.matchedBy.joined(separator: ", ")))")
                }
            }
        }
    }

    /// Each message read as `cadence run` reads incoming mail, and matched to a person through `store` when given.
    static func read(_ files: [String], _ store: (any CadenceStore)?, now: Date) async throws -> [Reading] {
        var readings: [Reading] = []
        for file in files {
            // One message in memory at a time, however many files are named.
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CommandFailure("\(file): cannot be read (no such file, or not a file); give the path of a saved message (.eml)", code: .noInput)
            }
            let raw = Array(data)
            // When it arrived: its own Date header (the sender's day, for "back on Monday"), else now.
            let date = MailMessage.headerBlock(raw).first { $0.name.lowercased() == "date" }.flatMap { MailDate.parse($0.value) }?.date
            var mail = IncomingMail.read(raw, receivedAt: date ?? now)
            // As `cadence run` reads it: the lines Cadence sent the person never count as theirs.
            if case .bounce = mail.incomingClass {
            } else if let store {
                let sent = try await store.sentToMatch(mailbox: "", thread: nil, messageIDs: mail.references, addresses: mail.addresses)
                let ownLines = FreshText.ownLines(ofSent: sent)
                if !ownLines.isEmpty { mail = IncomingMail.read(raw, receivedAt: date ?? now, ownLines: ownLines) }
            }
            let match = try await store?.personMatching(messageIDs: mail.references, addresses: mail.addresses)
            var reading = Reading(
                file: file, class: mail.incomingClass.name, from: mail.from, person: match?.address, campaign: match?.campaign, rule: mail.rule,
                matchedBy: mail.references + mail.addresses)
            switch mail.incomingClass {
            case .bounce(let permanent, _, let status):
                reading.permanent = permanent
                reading.status = status
            case .outOfOffice(let returns): reading.returns = returns?.description
            default: break
            }
            readings.append(reading)
        }
        return readings
    }
}
