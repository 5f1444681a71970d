import CadenceCore
import Foundation

/// What `cadence validate` found: every diagnostic, and what was checked, for the summary line and `--format json`.
public struct ValidationReport: Sendable {
    public var diagnostics: [Diagnostic] = []
    /// Display paths of the configuration files read.
    public var configurationFiles: [String] = []
    public var mailboxCount = 0
    /// Display paths of the campaign files read.
    public var campaignFiles: [String] = []
    public var stepCount = 0
    public var templateCount = 0
    public var attachmentCount = 0
    /// The project's configuration, when it could be read: for checks beyond the files (`TrackingKeyRotation`).
    public var configuration: ProjectConfiguration?

    public init() {}

    public var errorCount: Int { diagnostics.filter { $0.severity == .error }.count }
    public var warningCount: Int { diagnostics.filter { $0.severity == .warning }.count }
    public var hasErrors: Bool { errorCount > 0 }

    /// One line per diagnostic, then a summary: what was checked when clean, the counts otherwise.
    public var text: String {
        var lines = diagnostics.map(\.description)
        let checked =
            "\(configurationFiles.joined(separator: ", ")) (\(plural(mailboxCount, "mailbox", "mailboxes"))) and \(plural(campaignFiles.count, "campaign")) (\(plural(stepCount, "step")), \(plural(templateCount, "template")), \(plural(attachmentCount, "attachment")))"
        if diagnostics.isEmpty {
            lines.append("Checked \(checked): no problems found.")
        } else {
            var counts: [String] = []
            if errorCount > 0 { counts.append(plural(errorCount, "error")) }
            if warningCount > 0 { counts.append(plural(warningCount, "warning")) }
            lines.append("Checked \(checked): \(counts.joined(separator: " and ")).")
        }
        return lines.joined(separator: "\n")
    }

    /// A stable JSON document for editors and CI.
    public var json: String {
        struct Document: Encodable {
            struct Entry: Encodable {
                var file: String
                var line: Int?
                var column: Int?
                var severity: String
                var message: String
            }
            struct Checked: Encodable {
                var configuration: [String]
                var campaigns: [String]
                var mailboxes: Int
                var steps: Int
                var templates: Int
                var attachments: Int
            }
            var checked: Checked
            var diagnostics: [Entry]
            var errors: Int
            var warnings: Int
        }
        let document = Document(
            checked: .init(
                configuration: configurationFiles, campaigns: campaignFiles, mailboxes: mailboxCount, steps: stepCount,
                templates: templateCount, attachments: attachmentCount),
            diagnostics: diagnostics.map {
                .init(file: $0.file, line: $0.position?.line, column: $0.position.flatMap { $0.column == 0 ? nil : $0.column }, severity: $0.severity.rawValue, message: $0.message)
            },
            errors: errorCount, warnings: warningCount)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(document)) ?? Data("{}".utf8), as: UTF8.self)
    }

    private func plural(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(count) \(count == 1 ? singular : plural ?? singular + "s")"
    }
}
