import ArgumentParser
import CadenceCore
import CadenceEngine
import CadenceStore
import Foundation

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One candidate across campaigns: fields, state and reason, every event, what is next.")

    @OptionGroup var project: ProjectOptions

    @Argument(help: ArgumentHelp("The candidate's address.", valueName: "email"))
    var email: String

    @Option(help: "text or json.")
    var format: OutputFormat = .text

    func run() async throws {
        try await runReportingFailuresAsync {
            let key = try AddressArgument.key(email)
            guard let detail = try await project.withReadingStore({ store in try await store.candidate(key) }) else {
                throw CommandFailure("no candidate \(email) in \(project.databaseName); `cadence status` shows the campaigns", code: .dataError)
            }
            print(format == .json ? StatusOutput.json(detail) : StatusOutput.text(detail))
        }
    }
}

enum AddressArgument {
    static func key(_ text: String) throws -> String {
        switch EmailAddress.parse(text.trimmingCharacters(in: .whitespaces)) {
        case .success(let address): return AddressKey.normalized(address)
        case .failure(let error): throw ValidationError("\"\(text)\" is not an email address: it \(error.reason)")
        }
    }
}
