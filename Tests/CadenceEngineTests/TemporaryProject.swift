import CadenceEngine
import Foundation

/// A project folder in the temporary directory, written from a dictionary of files and removed afterwards.
struct TemporaryProject {
    let root: String

    static let configuration = """
        {
          "mailboxes": [
            { "name": "sam", "address": "sam@example.com", "displayName": "Sam Carter", "timeZone": "Europe/Berlin" }
          ]
        }
        """

    static let campaign = """
        {
          "id": "q1",
          "name": "Q1",
          "mailboxes": ["sam"],
          "timeZone": "Europe/Berlin",
          "steps": [
            { "id": "intro", "type": "email", "template": "intro.md" },
            { "id": "bump", "type": "reply", "delay": "2bd", "inThreadOf": "intro", "template": "bump.md" }
          ]
        }
        """

    static let standardFiles: [String: String] = [
        "cadence.json": configuration,
        "sequences/q1.json": campaign,
        "templates/intro.md": "Subject: Hello\n\nHi <<candidate.firstName>>,\n",
        "templates/bump.md": "Bumping this.\n",
    ]

    /// Runs `body` in a fresh project; `changes` overrides or adds files (nil removes one).
    static func with<T>(_ changes: [String: String?] = [:], _ body: (TemporaryProject) throws -> T) throws -> T {
        let project = try make(changes)
        defer { try? FileManager.default.removeItem(atPath: project.root) }
        return try body(project)
    }

    /// `with` for a body that awaits.
    static func with<T>(_ changes: [String: String?] = [:], _ body: (TemporaryProject) async throws -> T) async throws -> T {
        let project = try make(changes)
        defer { try? FileManager.default.removeItem(atPath: project.root) }
        return try await body(project)
    }

    /// A fresh project folder with the standard files and `changes`.
    private static func make(_ changes: [String: String?]) throws -> TemporaryProject {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-\(UUID().uuidString)").path
        let project = TemporaryProject(root: root)
        var files = standardFiles
        for (path, content) in changes { files[path] = content }
        do {
            for (path, content) in files {
                try project.write(path, content)
            }
            try FileManager.default.createDirectory(atPath: root + "/sequences", withIntermediateDirectories: true)
        } catch {
            try? FileManager.default.removeItem(atPath: root)
            throw error
        }
        return project
    }

    func write(_ path: String, _ content: String) throws {
        let full = root + "/" + path
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(content.utf8).write(to: URL(fileURLWithPath: full))
    }

    /// A sparse file of `bytes` bytes: large on paper, free on disk.
    func writeSparse(_ path: String, bytes: UInt64) throws {
        let full = root + "/" + path
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: full, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: full))
        try handle.truncate(atOffset: bytes)
        try handle.close()
    }

    /// Validates as `cadence validate` run inside the project folder would.
    func validate(_ paths: [String] = [], config: String? = nil) -> ValidationReport {
        ProjectValidator.validate(
            location: ProjectLocation.resolve(explicit: config, environment: [:], currentDirectory: root), paths: paths)
    }
}
