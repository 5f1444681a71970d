import CadenceDemo
import Foundation
import Testing

@Suite("The example project built into cadence")
struct ExampleProjectTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("every built-in file is byte for byte the repository's own copy, which the README and the tests use")
    func sameAsRepository() throws {
        for file in ExampleProject.files where file.path != ".gitignore" {
            let repository = try Data(contentsOf: Self.repositoryRoot.appendingPathComponent(file.path))
            #expect(Array(repository) == file.bytes, "\(file.path)")
        }
    }
}

extension ExampleProjectTests {
    func withFolder(_ body: (String) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-init-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try body(folder)
    }

    func listing(_ folder: String) -> [String] {
        ((FileManager.default.subpaths(atPath: folder)) ?? []).sorted()
    }

    @Test("writes every file into a new folder, which it creates")
    func writesAll() throws {
        try withFolder { folder in
            try ExampleProject.write(into: folder + "/new", display: "new")
            for file in ExampleProject.files {
                #expect(FileManager.default.contents(atPath: folder + "/new/" + file.path) == Data(file.bytes), "\(file.path)")
            }
        }
    }

    @Test("one existing file anywhere in the project, or a file where a folder goes: refused, naming it, nothing written")
    func refusesBeforeWritingAnything() throws {
        try withFolder { folder in
            try FileManager.default.createDirectory(atPath: folder + "/templates/recruiting", withIntermediateDirectories: true)
            try Data("mine".utf8).write(to: URL(fileURLWithPath: folder + "/templates/recruiting/last-note.md"))
            try Data("mine".utf8).write(to: URL(fileURLWithPath: folder + "/docs"))
            let before = listing(folder)
            #expect(throws: ExampleProject.WriteFailure.existing(folder: "f", paths: ["templates/recruiting/last-note.md", "docs"])) {
                try ExampleProject.write(into: folder, display: "f")
            }
            #expect(listing(folder) == before)
            #expect(FileManager.default.contents(atPath: folder + "/templates/recruiting/last-note.md") == Data("mine".utf8))
        }
    }

    @Test("a path that is a file, not a folder, is refused")
    func notAFolder() throws {
        try withFolder { folder in
            try Data("x".utf8).write(to: URL(fileURLWithPath: folder))
            #expect(throws: ExampleProject.WriteFailure.notAFolder("f")) { try ExampleProject.write(into: folder, display: "f") }
        }
    }

    @Test("the refusal names one file, a few, or the first two and how many more")
    func refusalText() {
        #expect(
            ExampleProject.WriteFailure.existing(folder: "here", paths: [".gitignore"]).description
                == ".gitignore already exists in here; cadence init never overwrites a file, so nothing was written. Run it with a new folder (cadence init NEW-FOLDER), or move that file aside")
        #expect(ExampleProject.WriteFailure.existing(folder: "x", paths: ["a", "b", "c", "d"]).description.hasPrefix("a, b and 2 more of its files already exist in x;"))
    }
}
