import ArgumentParser
import CadenceCore
import CadenceEngine
import CadenceStore
import Foundation

struct Suppress: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Addresses and whole domains Cadence must never write to.",
        subcommands: [Add.self, Remove.self, List.self, Import.self, Export.self])

    /// An address (normalised as launches do) or a domain (`@example.com` or `example.com`).
    static func entry(_ text: String) throws -> SuppressionFile.Entry {
        switch SuppressionFile.entry(text) {
        case .success(let entry): return entry
        case .failure(let error): throw ValidationError(error.description)
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Suppress addresses or domains.")
        @OptionGroup var project: ProjectOptions
        @Argument(help: ArgumentHelp("Addresses, or domains such as example.com.", valueName: "address-or-domain"))
        var values: [String]
        @Option(help: "Why (kept with the entry).")
        var reason: String = "added by hand"

        func run() async throws {
            try await runReportingFailuresAsync {
                let entries = try values.map(Suppress.entry)
                let (reason, actor, now) = (reason, Actor.current("suppress add"), CommandClock.now)
                let added = try await project.withWritingStore(create: true) { store in
                    try await store.suppress(entries, reason: reason, actor: actor, now: now)
                }
                print("Suppressed \(added) new entr\(added == 1 ? "y" : "ies") (\(entries.count - added) already there).")
                print("Launches skip them, and nothing is sent to them: the runner checks the list before every send, also for people already enrolled.")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Allow an address or domain again.")
        @OptionGroup var project: ProjectOptions
        @Argument(help: ArgumentHelp("An address or a domain.", valueName: "address-or-domain"))
        var value: String

        func run() async throws {
            try await runReportingFailuresAsync {
                let entry = try Suppress.entry(value)
                let value = value
                try await project.withWritingStore { store in
                    guard try await store.unsuppress(kind: entry.kind, value: entry.value) else {
                        if entry.kind == .address, try await store.suppressions().contains(where: { $0.kind == .hash && $0.value == AddressKey.hash(entry.value) }) {
                            throw CommandFailure("\(value) was forgotten on request; only a hash of it is kept, and it stays on the list so they are never contacted again", code: .dataError)
                        }
                        throw CommandFailure("\(value) is not on the suppression list", code: .dataError)
                    }
                }
                print("Removed \(entry.value) from the suppression list.")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the suppression list.")
        @OptionGroup var project: ProjectOptions
        @Option(help: "text or json.")
        var format: OutputFormat = .text

        func run() async throws {
            try await runReportingFailuresAsync {
                let entries = try await project.withReadingStore { store in try await store.suppressions() }
                if format == .json {
                    struct Entry: Encodable { var kind: String; var value: String; var reason: String; var addedBy: String; var addedAt: String }
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    let data = try encoder.encode(entries.map { Entry(kind: $0.kind.rawValue, value: $0.value, reason: $0.reason, addedBy: $0.actor, addedAt: Timestamps.iso($0.createdAt)) })
                    print(String(decoding: data, as: UTF8.self))
                } else if entries.isEmpty {
                    print("The suppression list is empty.")
                } else {
                    for entry in entries {
                        let shown = entry.kind == .hash ? "(forgotten person)" : entry.value
                        print("\(entry.kind.rawValue)\t\(shown)\t\(entry.reason)\t\(Timestamps.display(entry.createdAt))\t\(entry.actor)")
                    }
                }
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Suppress every address or domain in a file: one per line, or a CSV whose first column holds them.")
        @OptionGroup var project: ProjectOptions
        @Argument(help: ArgumentHelp("The file.", valueName: "file"))
        var file: String
        @Option(help: "Why (kept with each entry).")
        var reason: String = "imported"

        func run() async throws {
            try await runReportingFailuresAsync {
                let entries: [SuppressionFile.Entry]
                do {
                    entries = try SuppressionFile.read(path: file, display: file)
                } catch SuppressionFile.Failure.problems(let problems) {
                    throw CommandFailure(problems.map(\.description).joined(separator: "\n") + "\nNothing was imported; fix the lines above.", code: .dataError)
                }
                let (reason, actor, now) = (reason, Actor.current("suppress import"), CommandClock.now)
                let added = try await project.withWritingStore(create: true) { store in
                    try await store.suppress(entries, reason: reason, actor: actor, now: now)
                }
                print("Imported \(entries.count) entr\(entries.count == 1 ? "y" : "ies") from \(file): \(added) new.")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the suppression list as CSV (kind,value,reason,addedAt).")
        @OptionGroup var project: ProjectOptions

        func run() async throws {
            try await runReportingFailuresAsync {
                let entries = try await project.withReadingStore { store in try await store.suppressions() }
                print("kind,value,reason,addedAt")
                for entry in entries {
                    let reason = "\"" + entry.reason.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                    print("\(entry.kind.rawValue),\(entry.value),\(reason),\(Timestamps.iso(entry.createdAt))")
                }
            }
        }
    }
}

struct Forget: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Erase a person's data from every campaign (an erasure request); only a hash stays, so they are never contacted again.")
    @OptionGroup var project: ProjectOptions
    @Argument(help: ArgumentHelp("Their address.", valueName: "email"))
    var email: String

    func run() async throws {
        try await runReportingFailuresAsync {
            let key = try AddressArgument.key(email)
            let actor = Actor.current("forget")
            let now = CommandClock.now
            let result: Erasure
            if PostgresSettings.isURL(project.databasePath) {
                result = try await project.withStore { store in try await store.forget(addressKey: key, actor: actor, now: now) }
            } else {
                result = try await project.openDatabase(.create).forget(addressKey: key, actor: actor, now: now)
            }
            print(
                result.found
                    ? "Erased \(email) and \(result.enrollments) enrolment\(result.enrollments == 1 ? "" : "s"); a hash of the address stays on the suppression list."
                    : "No data about \(email) was stored; a hash of the address is now on the suppression list.")
            switch result.storage {
            case .cleared: break
            case .logInUse:
                print(
                    "Another process (cadence serve or run) is reading the database, so its write-ahead log (cadence.sqlite-wal) still holds the erased rows until its next checkpoint. To clear it now, run this command again once they are stopped."
                )
            case .untilVacuumAndBackups:
                print(
                    "PostgreSQL keeps the deleted rows' bytes in the table until VACUUM reuses the space, and in its write-ahead log and your backups until they are rotated out (docs/scaling.md)."
                )
            }
        }
    }
}

struct Update: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply a changed campaign file and templates to a launched campaign's steps not yet sent.")
    @OptionGroup var project: ProjectOptions
    @Argument(help: ArgumentHelp("A campaign id, or the path of a campaign file.", valueName: "campaign"))
    var campaign: String

    func run() async throws {
        try await runReportingFailuresAsync {
            let loaded = try LoadedCampaign.loadOrExit(campaign, location: project.location)
            let (actor, now) = (Actor.current("update"), CommandClock.now)
            let result = try await project.withWritingStore { store in try await Updater.update(loaded, database: store, actor: actor, now: now) }
            guard let version = result.version else {
                print("\(result.campaignID) is up to date; nothing to apply.")
                return
            }
            print("Updated \(result.campaignID) to version \(version):")
            for line in result.differences { print("  \(line)") }
            print(
                "Every enrolment in progress will be sent the new version from its next step; \(result.changed) changed place or state (moved off a removed step, held or released). Nothing already sent changes."
            )
        }
    }
}
