import Foundation
import Testing

extension ProcessTests {
    /// Errors as a person sees them from any command, sync or async: one `cadence: …` line, said once, a non-zero exit.
    @Suite("command errors, as processes")
    struct CommandErrorTests {
        /// A copy of the bundled example project in a fresh temporary folder.
        static func exampleProject(_ label: String) throws -> URL {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-\(label)-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            for item in ["cadence.json", "sequences", "templates", "examples"] {
                try FileManager.default.copyItem(at: CadenceBinary.repositoryRoot.appendingPathComponent(item), to: root.appendingPathComponent(item))
            }
            return root
        }

        @Test(
            "an async command's bad argument gets Cadence's one-line error and exit 64, not the usage block",
            arguments: [
                (["run", "--simulate"], "cadence: error: --simulate needs --until TIME, e.g. --until 2027-01-31T00:00:00Z\n"),
                (
                    ["run", "--simulate", "--until", "tomorrow"],
                    "cadence: error: --until \"tomorrow\" is not a time; write ISO 8601 with a zone, e.g. 2026-12-01T09:00:00Z\n"
                ),
            ])
        func asyncValidationError(arguments: [String], expected: String) throws {
            let db = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-errors-\(UUID().uuidString).sqlite").path
            let output = try CadenceBinary.run(arguments + ["--db", db], environment: ["CADENCE_NOW": "2026-11-30T10:00:00Z"])
            #expect(output.status == 64)
            #expect(output.stderr == expected)
            #expect(output.stdout.isEmpty)
        }

        @Test("a CADENCE_NOW that is not a time is warned about once per process, however often the clock is read")
        func clockWarningOnce() throws {
            let root = try Self.exampleProject("clock")
            defer { try? FileManager.default.removeItem(at: root) }
            let launch = try CadenceBinary.run(
                ["launch", "backend-engineers", "--candidates", "examples/candidates.csv"], in: root,
                environment: ["CADENCE_NOW": "2026-11-30T10:00:00Z", "USER": "sam"])
            #expect(launch.status == 0, "\(launch.stderr)")
            // One pass reads the clock several times (the lease, the pass, the mailboxes).
            let run = try CadenceBinary.run(["run", "--once"], in: root, environment: ["CADENCE_NOW": "next tuesday", "USER": "sam"])
            #expect(run.status == 0, "\(run.stderr)")
            let warning = "cadence: warning: ignoring CADENCE_NOW \"next tuesday\": not an ISO 8601 time such as 2026-12-01T09:00:00Z\n"
            #expect(run.stderr.components(separatedBy: warning).count - 1 == 1, "\(run.stderr)")
        }

        @Test("cadence demo --sandbox in a project whose cadence.json cannot be used says why, instead of exiting 65 in silence")
        func sandboxDemoBrokenConfiguration() throws {
            let root = try Self.exampleProject("sandbox-broken")
            defer { try? FileManager.default.removeItem(at: root) }
            try Data(#"{ "mailboxes": [] }"#.utf8).write(to: root.appendingPathComponent("cadence.json"))
            let run = try CadenceBinary.run(["demo", "--sandbox"], in: root)
            #expect(run.status == 65)
            #expect(run.stderr.hasPrefix("cadence: error: "), "stdout: \(run.stdout)")
            #expect(run.stderr.contains("cadence.json"))
        }

        @Test("cadence demo --sandbox runs a project whose cadence.json is laid out differently from the bundled one")
        func sandboxDemoOtherLayout() throws {
            let root = try Self.exampleProject("sandbox-layout")
            defer { try? FileManager.default.removeItem(at: root) }
            let file = root.appendingPathComponent("cadence.json")
            let compact = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "\"provider\": \"outbox\"", with: "\"provider\":\"outbox\"")
            try Data(compact.utf8).write(to: file)
            let run = try CadenceBinary.run(["demo", "--sandbox"], in: root)
            #expect(run.status == 0, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
            #expect(run.stdout.contains("The sandbox Gmail sent 10 messages in 4 threads; none was sent twice"))
        }
    }
}
