import Foundation

/// Where `cadence demo` takes the example from: the project in the current folder when it holds the example's
/// files (a clone of Cadence, or a folder `cadence init` wrote), so that edits to them show; otherwise the copy
/// compiled into the binary, so the demo runs from any folder.
public enum ExampleSource: Sendable, Equatable {
    case project(root: String)
    case builtIn

    /// What the demo copies from a project: everything it reads.
    static let projectItems = ["cadence.json", "sequences", "templates", ExampleProject.candidates]

    public static func find(projectRoot: String) -> ExampleSource {
        let complete = projectItems.allSatisfy { FileManager.default.fileExists(atPath: projectRoot + "/" + $0) }
        return complete ? .project(root: projectRoot) : .builtIn
    }

    /// Puts the example project into the empty folder `scratch`.
    func copy(to scratch: String) throws {
        switch self {
        case .project(let root):
            for item in Self.projectItems {
                let target = scratch + "/" + item
                try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: root + "/" + item, toPath: target)
            }
        case .builtIn:
            try ExampleProject.write(into: scratch, display: scratch)
        }
    }

    /// Where the demo's closing lines send the person next.
    var nextSteps: String {
        switch self {
        case .project:
            return """
                Next, in this project:
                  cadence validate                     check your own edits to cadence.json, sequences/ and templates/
                  cadence preview \(ExampleProject.campaign) --candidates \(ExampleProject.candidates)
                  cadence launch \(ExampleProject.campaign) --candidates \(ExampleProject.candidates) --dry-run
                """
        case .builtIn:
            return """
                Next: `cadence init` writes this example project into the current folder (or `cadence init DIR`), to edit
                and run with cadence validate, preview, launch and run.
                """
        }
    }
}
