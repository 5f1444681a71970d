import Foundation
import Testing

extension ProcessTests {
    /// A person with only the binary: copied into an empty folder, far from any clone, it must demo, start a project
    /// and run it as the README shows. `CADENCE_BINARY` runs this against another build (CI: the release build).
    @Suite("a newcomer with only the binary")
    struct NewcomerTests {
        /// Every file under `folder` with its bytes, to prove that a refused command changed nothing.
        static func snapshot(_ folder: URL) throws -> [String: Data] {
            var files: [String: Data] = [:]
            let root = folder.standardizedFileURL.path
            guard let walker = FileManager.default.enumerator(atPath: root) else { return files }
            for case let path as String in walker {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue {
                    files[path] = FileManager.default.contents(atPath: root + "/" + path)
                }
            }
            return files
        }

        @Test("in an empty folder: demo, init, validate, launch, status, run, demo again; a second init fails and changes nothing")
        func emptyFolder() throws {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-newcomer-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let binary = folder.appendingPathComponent("cadence")
            try FileManager.default.copyItem(at: CadenceBinary.executable, to: binary)
            let environment = ["CADENCE_NOW": "2026-11-30T10:00:00Z", "USER": "sam", "CADENCE_DB": ""]
            func cadence(_ arguments: String..., now: String? = nil) throws -> CadenceBinary.Output {
                var environment = environment
                if let now { environment["CADENCE_NOW"] = now }
                return try CadenceBinary.run(arguments, in: folder, environment: environment, executable: binary)
            }

            // Nothing here but the binary: the demo runs the example built into it.
            let demo = try cadence("demo")
            #expect(demo.status == 0, "\(demo.stderr)")
            #expect(demo.stdout.contains("Checked cadence.json (1 mailbox) and 1 campaign (4 steps, 3 templates, 1 attachment): no problems found."))
            #expect(demo.stdout.contains("The outbox holds 12 .eml files, one per email sent."))
            #expect(demo.stdout.contains("Next: `cadence init` writes this example project"))
            #expect(try Self.snapshot(folder).keys.sorted() == ["cadence"], "the demo wrote only in its temporary folder")

            let initialise = try cadence("init")
            #expect(initialise.status == 0, "\(initialise.stderr)")
            #expect(initialise.stdout.hasPrefix("Wrote a Cadence project here:\n"))
            #expect(
                try Self.snapshot(folder).keys.sorted() == [
                    ".gitignore", "cadence", "cadence.json", "docs/configuration.schema.json", "examples/candidates.csv",
                    "sequences/attachments/backend-role-brief.pdf", "sequences/campaign.schema.json", "sequences/recruiting-backend.json",
                    "templates/recruiting/follow-up.md", "templates/recruiting/intro.md", "templates/recruiting/last-note.md",
                ])

            let validate = try cadence("validate")
            #expect(validate.stdout == "Checked cadence.json (1 mailbox) and 1 campaign (4 steps, 3 templates, 1 attachment): no problems found.\n")
            #expect(validate.status == 0)
            let launch = try cadence("launch", "backend-engineers", "--candidates", "examples/candidates.csv", "--start", "2026-12-01T08:00:00Z")
            #expect(launch.status == 0, "\(launch.stderr)")
            #expect(launch.stdout.contains("  4 enrolled, first step due 2026-12-01 08:00 UTC\n"))
            #expect(launch.stdout.contains("    1 lacks candidate.company (steps intro, follow-up, last-note)\n"))
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("cadence.sqlite").path))
            let status = try cadence("status")
            #expect(status.stdout.contains("  5 candidates; finished 0; stopped 0\n"), "\(status.stdout)\(status.stderr)")
            let run = try cadence("run", "--once", now: "2026-12-01T09:00:00Z")
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("Sent 1;"), "\(run.stdout)")
            let outbox = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("outbox/sam").path)
            #expect(outbox.filter { $0.hasSuffix(".eml") }.count == 1)

            // Now a project: the demo runs its copy of the example.
            let again = try cadence("demo")
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdout.contains("The outbox holds 12 .eml files, one per email sent."))
            #expect(again.stdout.contains("Next, in this project:"))

            let before = try Self.snapshot(folder)
            let second = try cadence("init")
            #expect(second.status == 73)
            #expect(
                second.stderr.hasPrefix(
                    "cadence: error: cadence.json, sequences/recruiting-backend.json and 8 more of its files already exist in this folder; cadence init never overwrites a file, so nothing was written."
                ), "\(second.stderr)")
            #expect(second.stdout.isEmpty)
            #expect(try Self.snapshot(folder) == before)
        }
    }
}
