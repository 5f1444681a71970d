import Foundation
import Testing

/// The console blocks in the README and the docs are transcripts: each `$ cadence …` line is run with the built
/// binary from the repository root, and what it prints must be exactly the lines that follow it. A block that
/// starts with `$ mkdir NAME && cd NAME` runs in a new empty folder instead, with its own database, as a person
/// who has only the binary would.
extension ProcessTests {
    @Suite("Documentation transcripts")
    struct ReadmeTranscriptTests {
        struct Step: CustomStringConvertible {
            var index = 0
            var isLast = false
            var file: String
            var line: Int
            var arguments: [String]
            var expected: String
            /// The empty folder the step runs in (a block's `mkdir NAME && cd NAME`), nil for the repository root.
            var folder: String?
            var description: String { "\(file):\(line): cadence \(arguments.joined(separator: " "))" }
        }

        /// Every `$ cadence` command in ```console blocks of the given Markdown files.
        static func steps(in files: [String]) throws -> [Step] {
            var steps: [Step] = []
            for file in files {
                let text = try String(contentsOf: CadenceBinary.repositoryRoot.appendingPathComponent(file), encoding: .utf8)
                var inConsole = false
                var current: Step?
                var folder: String?
                for (index, line) in text.components(separatedBy: "\n").enumerated() {
                    if line.hasPrefix("```") {
                        if inConsole, let step = current { steps.append(step) }
                        current = nil
                        folder = nil
                        inConsole = line == "```console"
                        continue
                    }
                    guard inConsole else { continue }
                    if line.hasPrefix("$ ") {
                        if let step = current { steps.append(step) }
                        var words = Self.words(String(line.dropFirst(2)))
                        if words.count == 5, words[0] == "mkdir", words[2] == "&&", words[3] == "cd", words[1] == words[4], current == nil {
                            folder = words[1]
                            continue
                        }
                        guard words.first == "cadence" else {
                            Issue.record("\(file):\(index + 1): a console block runs something other than cadence")
                            current = nil
                            continue
                        }
                        words.removeFirst()
                        current = Step(file: file, line: index + 1, arguments: words, expected: "", folder: folder)
                    } else if current != nil {
                        current!.expected += current!.expected.isEmpty && line.isEmpty ? "\n" : line + "\n"
                    }
                }
            }
            for index in steps.indices {
                steps[index].index = index
                steps[index].isLast = index == steps.count - 1
            }
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
        /// Where the blocks that start in an empty folder make it; removed when the run starts.
        static let folders = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-transcripts-\(UUID().uuidString)")

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
                try? FileManager.default.removeItem(at: Self.folders)
            }
            var directory = CadenceBinary.repositoryRoot
            var environment = Self.environment
            if let folder = step.folder {
                directory = Self.folders.appendingPathComponent(folder)
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                environment["CADENCE_DB"] = ""  // the folder's own cadence.sqlite
            }
            defer { if step.isLast { try? FileManager.default.removeItem(at: Self.folders) } }
            let output = try CadenceBinary.run(step.arguments, in: directory, environment: environment)
            #expect(output.stdout + output.stderr == step.expected, "\(step)")
        }
    }
}
