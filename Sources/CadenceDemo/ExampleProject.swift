import Foundation

/// The example project compiled into the binary: `cadence init` writes it, and `cadence demo` runs it where there is
/// no project. The bytes are embedded at build time (SwiftPM's `embedInCode`), so a binary copied anywhere needs no
/// files beside it. Each file in `Example/` is a link to the repository's own copy, which the README and the tests
/// use: one source for each file.
public enum ExampleProject {
    /// One file of the project, at its path relative to the project root.
    public struct File: Sendable, Equatable {
        public var path: String
        public var bytes: [UInt8]
    }

    public static let campaign = "backend-engineers"
    public static let candidates = "examples/candidates.csv"

    public static let files: [File] = [
        File(path: "cadence.json", bytes: PackageResources.cadence_json),
        File(path: "sequences/recruiting-backend.json", bytes: PackageResources.recruiting_backend_json),
        File(path: "sequences/attachments/backend-role-brief.pdf", bytes: PackageResources.backend_role_brief_pdf),
        File(path: "templates/recruiting/intro.md", bytes: PackageResources.intro_md),
        File(path: "templates/recruiting/follow-up.md", bytes: PackageResources.follow_up_md),
        File(path: "templates/recruiting/last-note.md", bytes: PackageResources.last_note_md),
        File(path: candidates, bytes: PackageResources.candidates_csv),
        // The schemas the two files' "$schema" name, so that editors complete and check them in a new project too.
        File(path: "sequences/campaign.schema.json", bytes: PackageResources.campaign_schema_json),
        File(path: "docs/configuration.schema.json", bytes: PackageResources.configuration_schema_json),
        File(path: ".gitignore", bytes: PackageResources.gitignore),
    ]

    /// Why the project was not written. Nothing was written in every case.
    public enum WriteFailure: Error, Equatable, CustomStringConvertible {
        case existing(folder: String, paths: [String])
        case notAFolder(String)
        case cannotWrite(path: String, reason: String)

        public var description: String {
            switch self {
            case .existing(let folder, let paths):
                let list: String
                switch paths.count {
                case 1: list = paths[0]
                case 2...3: list = paths.dropLast().joined(separator: ", ") + " and " + paths[paths.count - 1]
                default: list = paths.prefix(2).joined(separator: ", ") + " and \(paths.count - 2) more of its files"
                }
                let verb = paths.count == 1 ? "exists" : "exist"
                return "\(list) already \(verb) in \(folder); cadence init never overwrites a file, so nothing was written. "
                    + "Run it with a new folder (cadence init NEW-FOLDER), or move \(paths.count == 1 ? "that file" : "those files") aside"
            case .notAFolder(let path):
                return "\(path) is a file; give cadence init a folder (a missing one is created)"
            case .cannotWrite(let path, let reason):
                return "cannot write \(path): \(reason)"
            }
        }
    }

    /// The project's paths that already exist under `folder` (a file, or a file where a folder must go).
    public static func conflicts(in folder: String) -> [String] {
        var existing: [String] = []
        var isDirectory: ObjCBool = false
        for file in files {
            var prefix = ""
            for part in file.path.split(separator: "/") {
                prefix += (prefix.isEmpty ? "" : "/") + part
                guard FileManager.default.fileExists(atPath: folder + "/" + prefix, isDirectory: &isDirectory) else { break }
                if prefix == file.path || !isDirectory.boolValue {
                    if !existing.contains(prefix) { existing.append(prefix) }
                    break
                }
            }
        }
        return existing
    }

    /// Writes every file under `folder` (created if missing). Every path is checked before anything is written: if
    /// any exists, nothing is.
    public static func write(into folder: String, display: String) throws(WriteFailure) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), !isDirectory.boolValue { throw .notAFolder(display) }
        let existing = conflicts(in: folder)
        if !existing.isEmpty { throw .existing(folder: display, paths: existing) }
        for file in files {
            let path = folder + "/" + file.path
            do {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                // A file that appeared since the check is still not overwritten.
                try Data(file.bytes).write(to: URL(fileURLWithPath: path), options: .withoutOverwriting)
            } catch {
                throw .cannotWrite(path: (display as NSString).appendingPathComponent(file.path), reason: error.localizedDescription)
            }
        }
    }

    /// What `cadence init` prints: what it wrote and what to run next. `folder` is as the person typed it (nil for
    /// the current folder).
    public static func summary(folder: String?) -> String {
        let place = folder.map { "in \($0)" } ?? "here"
        let cd = folder.map { "  cd \($0)\n" } ?? ""
        return """
            Wrote a Cadence project \(place):
              cadence.json                       one mailbox, "sam", with the outbox provider: it writes .eml files to outbox/ and sends nothing
              sequences/recruiting-backend.json  the campaign \(campaign): an intro, a LinkedIn task, a follow-up, a last note
              templates/recruiting/              its emails, in Markdown
              \(candidates)            five candidates to try it on (one lacks a company)
              .gitignore                         keeps the database, outbox/ and secrets/ out of git
            Next:
            \(cd)  cadence validate
              cadence preview \(campaign) --candidates \(candidates)
              cadence launch \(campaign) --candidates \(candidates)
              cadence run --once
            """
    }
}
