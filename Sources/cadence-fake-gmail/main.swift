import ArgumentParser
import CadenceCore
import CadenceFakeGmail
import Foundation

/// `cadence-fake-gmail`: the strict fake Gmail on its own, for trying Cadence by hand or from scripts.
@main
struct FakeGmailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cadence-fake-gmail",
        abstract: "A strict stand-in for Gmail and Google's OAuth endpoints on 127.0.0.1 (never for real mail).",
        discussion: """
            Point cadence.json's "google" section at the printed address. Drive it with the control API: \
            POST /control/mailboxes, /control/clients, /control/consent, /control/faults, /control/deliver, \
            /control/clock, /control/revoke-grants, /control/expire-history; GET /control/report. See docs/gmail.md.
            """
    )

    @Option(help: "Port on 127.0.0.1 (0: any free port).")
    var port: Int = 8025

    @Option(help: ArgumentHelp("Keep the fake's state in this folder between runs.", valueName: "dir"))
    var state: String?

    @Option(name: .customLong("mailbox"), help: ArgumentHelp("A mailbox the fake hosts (repeatable).", valueName: "address"))
    var mailboxes: [String] = []

    @Option(help: ArgumentHelp("An OAuth client the fake knows, as ID:SECRET.", valueName: "id:secret"))
    var client: String?

    @Flag(help: "Turn Gmail's quota and sending limits off.")
    var unlimited = false

    @Option(help: ArgumentHelp("Start the fake's clock at this time (ISO 8601) instead of now; move it with POST /control/clock.", valueName: "time"))
    var clock: String?

    func run() async throws {
        if let state { try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true) }
        var start: Date?
        if let clock {
            guard let date = ISO8601DateFormatter().date(from: clock) else { throw ValidationError("--clock must be ISO 8601, e.g. 2026-12-01T09:00:00Z") }
            start = date
        }
        let gmail = FakeGmail(
            options: unlimited ? .unlimited : FakeGmailOptions(), clock: start.map { AdjustableClock($0) } ?? AdjustableClock(), stateDirectory: state)
        for address in mailboxes { gmail.addMailbox(address) }
        if let client {
            let parts = client.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--client is ID:SECRET") }
            gmail.addClient(id: parts[0], secret: parts[1])
        }
        try await FakeGmailServer.run(gmail, port: port) { server in
            print("fake Gmail listening on \(server.baseURL) (not Google; nothing leaves this machine)")
            print("google section for cadence.json: \(server.googleSection())")
            while !Task.isCancelled { try await Task.sleep(nanoseconds: 3_600_000_000_000) }
        }
    }
}
