import Foundation
import Testing

extension ProcessTests {
    @Suite("cadence validate, as a process")
    struct ValidateCommandTests {
        @Test("a clean project exits 0 and says what it checked")
        func clean() throws {
            let output = try CadenceBinary.run(["validate"])
            #expect(output.status == 0)
            #expect(output.stdout.hasPrefix("Checked cadence.json (1 mailbox) and 2 campaigns"))
            #expect(output.stderr.isEmpty)
        }

        @Test("problems exit 65 (EX_DATAERR), one located line each")
        func problems() throws {
            let output = try CadenceBinary.run(["validate", "examples/mistakes"])
            #expect(output.status == 65)
            let lines = output.stdout.split(separator: "\n")
            #expect(lines.dropLast().allSatisfy { $0.contains(": error: ") && $0.hasPrefix("examples/mistakes/sequences/") })
        }

        @Test("CADENCE_CONFIG names the configuration; --config wins over it")
        func configurationFromEnvironment() throws {
            let fromEnvironment = try CadenceBinary.run(["validate"], environment: ["CADENCE_CONFIG": "examples/mistakes/cadence.json"])
            #expect(fromEnvironment.status == 65)
            #expect(fromEnvironment.stdout.contains("examples/mistakes/sequences/typos.json"))
            let explicit = try CadenceBinary.run(["validate", "--config", "cadence.json"], environment: ["CADENCE_CONFIG": "examples/mistakes/cadence.json"])
            #expect(explicit.status == 0)
        }

        @Test("run from a folder with no cadence.json, it says how to make one")
        func noConfiguration() throws {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-empty-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let output = try CadenceBinary.run(["validate"], in: folder)
            #expect(output.status == 65)
            #expect(output.stdout.hasPrefix("cadence.json: error: no configuration file; create cadence.json with your sending mailboxes"))
        }

        @Test("a usage mistake exits 64 with the usage on stderr")
        func usage() throws {
            let output = try CadenceBinary.run(["validate", "--format", "xml"])
            #expect(output.status == 64)
            #expect(output.stderr.contains("Please provide one of 'text' and 'json'"))
        }
    }
}
