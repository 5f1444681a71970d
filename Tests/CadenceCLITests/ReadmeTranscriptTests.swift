import Foundation
import Testing

/// The console blocks in the README and the docs are transcripts: each `$ cadence …` line is run with the built
/// binary from the repository root, and what it prints must be exactly the lines that follow it.
extension ProcessTests {
@Suite("Documentation transcripts")
struct ReadmeTranscriptTests {
    struct Step: CustomStringConvertible {
        var index = 0
        var file: String
        var line: Int
        var arguments: [String]
        var expected: String
        var description: String { "\(file):\(line): cadence \(arguments.joined(separator: " "))" }
    }

    /// Every `$ cadence` command in ```console blocks of the given Markdown files.
    static func steps(in files: [String]) throws -> [Step] {
        var steps: [Step] = []
        for file in files {
            let text = try String(contentsOf: CadenceBinary.repositoryRoot.appendingPathComponent(file), encoding: .utf8)
            var inConsole = false
            var current: Step?
            for (index, line) in text.components(separatedBy: "\n").enumerated() {
                if line.hasPrefix("```") {
                    if inConsole, let step = current { steps.append(step) }
                    current = nil
                    inConsole = line == "```console"
                    continue
                }
                guard inConsole else { continue }
                if line.hasPrefix("$ ") {
                    if let step = current { steps.append(step) }
                    var words = Self.words(String(line.dropFirst(2)))
                    guard words.first == "cadence" else {
                        Issue.record("\(file):\(index + 1): a console block runs something other than cadence")
                        current = nil
                        continue
                    }
                    words.removeFirst()
                    current = Step(file: file, line: index + 1, arguments: words, expected: "")
                } else if current != nil {
                    current!.expected += current!.expected.isEmpty && line.isEmpty ? "\n" : line + "\n"
                }
            }
        }
        for index in steps.indices { steps[index].index = index }
        return steps
    }

    /// Splits a command line on spaces, keeping "double-quoted words" together, as a shell would.
    static func words(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        for character in line {
            if character == "\"" {
                quoted.toggle()
            } else if character == " ", !quoted {
                if !current.isEmpty { words.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Each run starts from an empty database; the clock and the login name are fixed so output is exact.
    static let database = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-transcripts-\(UUID().uuidString).sqlite").path
    static let environment = ["CADENCE_DB": database, "CADENCE_NOW": "2026-11-30T10:00:00Z", "USER": "sam"]

    static let documents = ["README.md", "docs/configuration.md", "docs/campaign-format.md"].filter {
        FileManager.default.fileExists(atPath: CadenceBinary.repositoryRoot.appendingPathComponent($0).path)
    }

    @Test("the README has transcripts to check")
    func readmeHasTranscripts() throws {
        #expect(try Self.steps(in: ["README.md"]).count >= 3)
    }

    @Test("every transcript prints exactly what the documents say", arguments: try steps(in: documents))
    func transcript(step: Step) throws {
        if step.index == 0 {
            // The first command of a run starts from an empty database.
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: Self.database + suffix) }
        }
        let output = try CadenceBinary.run(step.arguments, environment: Self.environment)
        #expect(output.stdout + output.stderr == step.expected, "\(step)")
    }
}
}
