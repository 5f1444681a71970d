import ArgumentParser
import CadenceCore
import CadenceEngine
import CadenceGmail
import Foundation
import Logging

/// `cadence auth`: authorise Gmail mailboxes, see their state, remove them.
struct Auth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Authorise Gmail mailboxes (OAuth with PKCE), show their state, or remove them.",
        discussion: "Service-account mailboxes need no login; test them with `cadence config check --online`. See docs/gmail.md.",
        subcommands: [Login.self, AuthStatusCommand.self, Logout.self]
    )

    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Consent in a browser and save the mailbox's refresh token (mode 0600).",
            discussion: """
                Prints a Google URL to open, listens on 127.0.0.1 for the browser to come back, exchanges the code \
                (PKCE S256, state checked), confirms the account with Gmail and refuses a token for another address.
                """
        )

        @OptionGroup var project: ProjectOptions

        @Argument(help: "The mailbox's name in cadence.json.")
        var mailbox: String

        @Option(help: ArgumentHelp("Give up after this many minutes without an answer from the browser.", valueName: "minutes"))
        var timeout: Int = 5

        func run() async throws {
            try await runReportingFailuresAsync {
                let (configuration, access) = try project.gmailContext()
                let found = try configuration.requireMailbox(mailbox)
                var random = SystemRandomNumberGenerator()
                let result: AuthLogin.Result
                do throws(LoginFailure) {
                    result = try await AuthLogin.run(mailbox: found, access: access, timeoutMinutes: timeout, random: &random) { url in
                        // Written straight to the descriptor: a script or test reading the pipe needs the URL now.
                        FileHandle.standardOutput.write(
                            Data("Open this address in a browser and sign in as \(found.address):\n\n  \(url)\n\nWaiting for Google's answer on 127.0.0.1 (up to \(timeout) minutes)…\n".utf8))
                    }
                } catch {
                    throw CommandFailure(error.description)
                }
                print(
                    "Authorised mailbox \(found.name) as \(result.address) with \(result.scopes.map(GmailScope.shortName).joined(separator: ", ")); refresh token saved to \(result.tokenFile) (mode 600)."
                )
            }
        }
    }

    struct AuthStatusCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Each Gmail mailbox's address, scopes and token expiry (never token values); offline."
        )

        @OptionGroup var project: ProjectOptions

        func run() async throws {
            try await runReportingFailuresAsync {
                let (configuration, access) = try project.gmailContext()
                let rows = AuthStatus.rows(configuration, access: access)
                guard !rows.isEmpty else {
                    print("No mailbox uses the gmail provider; nothing to authorise.")
                    return
                }
                for row in rows {
                    print("\(row.mailbox)  \(row.address)  \(row.kind)")
                    print("  state:  \(row.state)")
                    print("  scopes: \(row.scopes)")
                    print("  token:  \(row.token)")
                }
                if rows.contains(where: { !$0.healthy }) { throw ExitCode.failure }
            }
        }
    }

    struct Logout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a mailbox's grant at Google and delete its token file.")

        @OptionGroup var project: ProjectOptions

        @Argument(help: "The mailbox's name in cadence.json.")
        var mailbox: String

        @Flag(help: "Delete the token file even if Google cannot be reached to revoke the grant.")
        var force = false

        func run() async throws {
            try await runReportingFailuresAsync {
                let (configuration, access) = try project.gmailContext()
                let found = try configuration.requireMailbox(mailbox)
                do throws(LoginFailure) {
                    print(try await AuthLogout.run(mailbox: found, access: access, force: force))
                } catch {
                    throw CommandFailure(error.description)
                }
            }
        }
    }
}

/// `cadence config check`: the configuration, its secrets, and with `--online` each Gmail mailbox for real.
struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check cadence.json and the mailboxes' credentials.",
        subcommands: [Check.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate cadence.json and each mailbox's secrets; --online asks Gmail who each mailbox is and what it may do.",
            discussion: "Cadence needs gmail.send and gmail.readonly on every Gmail mailbox. Exits 1 when any mailbox has a problem."
        )

        @OptionGroup var project: ProjectOptions

        @Flag(help: "Call users.getProfile for each Gmail mailbox and check its address and scopes.")
        var online = false

        func run() async throws {
            try await runReportingFailuresAsync {
                let (configuration, access) = try project.gmailContext(warnings: true)
                let lines = await ConfigCheck.run(configuration, access: access, online: online)
                for line in lines {
                    print("\(line.ok ? "ok     " : "problem")  \(line.mailbox): \(line.text)")
                }
                let problems = lines.filter { !$0.ok }.count
                if problems > 0 {
                    FileHandle.standardError.write(Data("cadence: error: \(problems) of \(lines.count) mailboxes have a problem (see above)\n".utf8))
                    throw ExitCode.failure
                }
            }
        }
    }
}

extension ProjectOptions {
    /// The decoded configuration (or every located error in it) and what Gmail commands need.
    /// Warnings are shown by `config check`; `auth` commands show only errors.
    func gmailContext(warnings: Bool = false) throws -> (ProjectConfiguration, GmailAccess) {
        let location = self.location
        let shown = location.display(location.configurationPath)
        guard let bytes = FileManager.default.contents(atPath: location.configurationPath) else {
            throw CommandFailure("cannot read \(shown); run `cadence validate` from the project folder, or pass --config", code: .dataError)
        }
        let result = ConfigurationDecoder.decode(bytes, file: shown)
        for diagnostic in result.diagnostics.sortedForDisplay() where warnings || diagnostic.severity == .error {
            FileHandle.standardError.write(Data("\(diagnostic.description)\n".utf8))
        }
        guard let configuration = result.configuration else {
            throw CommandFailure("\(shown) has errors (listed above); nothing was done", code: .dataError)
        }
        let access = GmailAccess(
            store: SecretStore(root: location.root, environment: ProcessInfo.processInfo.environment), clock: CommandClock.current,
            sleeper: TaskSleeper(), logger: CadenceLog.logger)
        return (configuration, access)
    }
}

extension ProjectConfiguration {
    func requireMailbox(_ name: String) throws -> Mailbox {
        guard let mailbox = mailbox(named: name) else {
            throw CommandFailure("no mailbox named \"\(name)\" in cadence.json; it has \(mailboxes.map(\.name).joined(separator: ", "))", code: .validationFailure)
        }
        return mailbox
    }
}

/// Logs go to stderr at the level in `CADENCE_LOG_LEVEL` (trace…critical; default warning). Log lines name
/// calls, mailboxes and statuses; never a token, secret or message body.
enum CadenceLog {
    static let logger: Logger = {
        let level = ProcessInfo.processInfo.environment["CADENCE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "cadence")
        logger.logLevel = level
        return logger
    }()
}
