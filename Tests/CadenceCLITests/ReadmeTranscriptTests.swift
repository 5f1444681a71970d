import Foundation
import Testing

/// The console blocks in the README and the docs are transcripts: each `$ cadence …` line is run with the built
/// binary from the repository root, and what it prints must be exactly the lines that follow it.
extension ProcessTests {
@Suite("Documentation transcripts")
struct ReadmeTranscriptTests {
    struct Step: CustomStringConvertible {
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
                    var words = line.dropFirst(2).split(separator: " ").map(String.init)
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
        return steps
    }

    static let documents = ["README.md", "docs/configuration.md", "docs/campaign-format.md"].filter {
        FileManager.default.fileExists(atPath: CadenceBinary.repositoryRoot.appendingPathComponent($0).path)
    }

    @Test("the README has transcripts to check")
    func readmeHasTranscripts() throws {
        #expect(try Self.steps(in: ["README.md"]).count >= 3)
    }

    @Test("every transcript prints exactly what the documents say", arguments: try steps(in: documents))
    func transcript(step: Step) throws {
        let output = try CadenceBinary.run(step.arguments)
        #expect(output.stdout + output.stderr == step.expected, "\(step)")
    }
}
}
