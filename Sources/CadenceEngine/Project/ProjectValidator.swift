import CadenceCore
import Foundation

/// Reads a project's files from disk and checks them all: the configuration, the campaigns, and the templates and
/// attachments the campaigns name. Writes nothing.
///
/// Parsing is Core's; this type only finds files, reads bytes and checks what only the file system can answer.
public struct ProjectValidator {
    /// Gmail accepts messages up to 25 MB in its interface; Cadence holds campaigns to that so a message never
    /// fails at send time. Counted on the encoded message (base64 grows attachments by a third).
    public static let maximumMessageBytes = 25 * 1024 * 1024
    /// Room kept for headers and the text and HTML bodies when estimating a message's size.
    static let bodyAllowanceBytes = 64 * 1024

    let location: ProjectLocation
    private let files = FileManager.default
    private var report = ValidationReport()
    /// Parsed templates by absolute path, so a template shared by several steps is read once.
    private var templates: [String: TemplateFile?] = [:]

    public init(location: ProjectLocation) {
        self.location = location
    }

    /// Validates the project, or only the given paths (campaign files, folders of them, or other projects' folders).
    public static func validate(location: ProjectLocation, paths: [String] = []) -> ValidationReport {
        var validator = ProjectValidator(location: location)
        if paths.isEmpty {
            validator.validateProject(campaignFiles: nil)
        } else {
            var campaignFiles: [String] = []
            var configurationOnly = false
            for path in paths {
                let absolute = ProjectLocation.absolute(path, base: location.displayBase)
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
                    validator.report.diagnostics.append(.error("no such file or folder", file: location.display(absolute), at: nil))
                    configurationOnly = true  // still check the configuration, so the summary is never empty
                    continue
                }
                if isDirectory.boolValue {
                    let nestedConfiguration = absolute + "/" + ProjectLocation.configurationFileName
                    if FileManager.default.fileExists(atPath: nestedConfiguration), absolute != location.root {
                        // Another project: validate it against its own configuration.
                        var other = ProjectValidator(location: ProjectLocation(configurationPath: nestedConfiguration, displayBase: location.displayBase))
                        other.validateProject(campaignFiles: nil)
                        validator.merge(other.report)
                    } else if absolute == location.root {
                        validator.validateProject(campaignFiles: nil)
                    } else {
                        campaignFiles += validator.campaignFiles(in: absolute)
                    }
                } else if absolute == location.configurationPath {
                    configurationOnly = true
                } else if absolute.hasSuffix(".schema.json") {
                    continue  // Editor schemas sit beside campaigns (a shell glob names them too); they are not campaigns.
                } else {
                    campaignFiles.append(absolute)
                }
            }
            if !campaignFiles.isEmpty || configurationOnly {
                validator.validateProject(campaignFiles: campaignFiles)
            }
        }
        validator.report.diagnostics = validator.report.diagnostics.sortedForDisplay()
        return validator.report
    }

    private mutating func merge(_ other: ValidationReport) {
        report.diagnostics += other.diagnostics
        report.configurationFiles += other.configurationFiles
        report.mailboxCount += other.mailboxCount
        report.campaignFiles += other.campaignFiles
        report.stepCount += other.stepCount
        report.templateCount += other.templateCount
        report.attachmentCount += other.attachmentCount
    }

    /// `campaignFiles` nil means every campaign in `sequences/`.
    private mutating func validateProject(campaignFiles: [String]?) {
        guard !report.configurationFiles.contains(location.display(location.configurationPath)) else { return }
        let configuration = loadConfiguration()
        let files = campaignFiles ?? self.campaignFiles(in: location.sequencesFolder)
        var ids: [String: (file: String, position: SourcePosition)] = [:]
        for file in files {
            let display = location.display(file)
            report.campaignFiles.append(display)
            guard let bytes = read(file, display: display) else { continue }
            let result = SequenceDecoder.decode(bytes, file: display)
            report.diagnostics += result.diagnostics
            if let configuration {
                report.diagnostics += CampaignChecker.checkMailboxes(result.references, file: display, against: configuration)
            }
            checkFiles(result.references, file: display, campaignPath: file)
            guard let campaign = result.campaign else { continue }
            report.stepCount += campaign.definition.steps.count
            if let first = ids[campaign.definition.id] {
                report.diagnostics.append(
                    .error(
                        "campaign id \"\(campaign.definition.id)\" is also used by \(first.file):\(first.position); campaign ids must be unique",
                        file: display, at: campaign.idPosition))
            } else {
                ids[campaign.definition.id] = (display, campaign.idPosition)
            }
            if let configuration {
                report.diagnostics += CampaignChecker.checkLimits(campaign, against: configuration)
                var compiled: [String: MergeTemplate] = [:]
                for reference in result.references {
                    guard case .template = reference.kind, let file = templates[location.templatesFolder + "/" + reference.value] ?? nil else { continue }
                    compiled[reference.value] = MergeTemplate.compile(file, path: reference.value, signature: "").template
                }
                report.diagnostics += CampaignChecker.checkTracking(campaign, templates: compiled, against: configuration)
            }
        }
        report.templateCount = templates.count
    }

    private mutating func loadConfiguration() -> ProjectConfiguration? {
        let display = location.display(location.configurationPath)
        report.configurationFiles.append(display)
        guard files.fileExists(atPath: location.configurationPath) else {
            report.diagnostics.append(
                .error(
                    "no configuration file; create \(display) with your sending mailboxes (see docs/configuration.md), or pass --config PATH",
                    file: display, at: nil))
            return nil
        }
        guard let bytes = read(location.configurationPath, display: display) else { return nil }
        let result = ConfigurationDecoder.decode(bytes, file: display)
        report.diagnostics += result.diagnostics
        report.mailboxCount += result.configuration?.mailboxes.count ?? 0
        if report.configuration == nil { report.configuration = result.configuration }
        return result.configuration
    }

    /// The campaign files in a folder: `*.json`, not `*.schema.json`, in name order.
    private mutating func campaignFiles(in folder: String) -> [String] {
        guard let names = try? files.contentsOfDirectory(atPath: folder) else {
            report.diagnostics.append(.error("cannot read the folder; create it and put campaign files in it", file: location.display(folder), at: nil))
            return []
        }
        return names.filter { $0.hasSuffix(".json") && !$0.hasSuffix(".schema.json") }.sorted().map { folder + "/" + $0 }
    }

    private mutating func read(_ path: String, display: String) -> Data? {
        guard let data = files.contents(atPath: path) else {
            report.diagnostics.append(.error("cannot read the file; check that it exists and is readable", file: display, at: nil))
            return nil
        }
        return data
    }

    private mutating func checkFiles(_ references: [FileReference], file: String, campaignPath: String) {
        let campaignFolder = (campaignPath as NSString).deletingLastPathComponent
        var attachmentBytes: [String: Int] = [:]  // per step
        var firstAttachment: [String: SourcePosition] = [:]
        for reference in references {
            let step = reference.step ?? "the campaign"
            switch reference.kind {
            case .mailbox:
                continue
            case .template(let stepType):
                checkTemplate(reference, stepType: stepType, step: step, file: file)
            case .attachment:
                let path = campaignFolder + "/" + reference.value
                var isDirectory: ObjCBool = false
                guard files.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                    report.diagnostics.append(
                        .error(
                            "attachment \"\(reference.value)\" of \(step) not found; looked for \(location.display(path)) (attachments are read from the campaign file's folder)",
                            file: file, at: reference.position))
                    continue
                }
                report.attachmentCount += 1
                let size = ((try? files.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
                let key = reference.step ?? ""
                attachmentBytes[key, default: 0] += Self.encodedSize(ofAttachmentBytes: size)
                if firstAttachment[key] == nil { firstAttachment[key] = reference.position }
            }
        }
        for (stepID, encoded) in attachmentBytes.sorted(by: { $0.key < $1.key }) {
            let total = encoded + Self.bodyAllowanceBytes
            guard total > Self.maximumMessageBytes else { continue }
            report.diagnostics.append(
                .error(
                    "the attachments of \(stepID) make a message of about \(Self.megabytes(total)) MB once encoded; Gmail takes at most 25 MB, so link to large files instead",
                    file: file, at: firstAttachment[stepID]))
        }
    }

    private mutating func checkTemplate(_ reference: FileReference, stepType: String, step: String, file: String) {
        let path = location.templatesFolder + "/" + reference.value
        let display = location.display(path)
        var isDirectory: ObjCBool = false
        if files.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            report.diagnostics.append(
                .error(
                    "template \"\(reference.value)\" of \(step) is a folder; name a .md file inside templates/", file: file, at: reference.position))
            return
        }
        guard files.fileExists(atPath: path) else {
            let existing = templateNames()
            report.diagnostics.append(
                .error(
                    "template \"\(reference.value)\" of \(step) not found; create \(display) or fix the name\(Suggestion.didYouMean(reference.value, among: existing))",
                    file: file, at: reference.position))
            return
        }
        let template: TemplateFile?
        if let cached = templates[path] {
            template = cached
        } else {
            guard let bytes = read(path, display: display) else { templates[path] = .some(nil); return }
            let result = TemplateFile.parse(bytes, file: display)
            report.diagnostics += result.diagnostics
            template = result.template
            templates[path] = .some(template)
            if let template {
                // Merge-field syntax, namespaces and filters; which candidate fields exist is the CSV's business.
                report.diagnostics += MergeTemplate.compile(template, path: display, signature: "").diagnostics
            }
        }
        guard let template else { return }
        if stepType == "email", template.subject == nil {
            report.diagnostics.append(
                .error(
                    "\(step) is an email step, which starts a thread, but its template \(display) has no subject; start the template with a \"Subject: …\" line and a blank line",
                    file: file, at: reference.position))
        } else if stepType == "reply", template.subject != nil {
            report.diagnostics.append(
                .error(
                    "\(step) is a reply step, which keeps its thread's subject, but its template \(display) has a Subject line; remove it (\"replySubject\" decides the reply's subject)",
                    file: file, at: reference.position))
        }
    }

    /// Template files under `templates/`, relative to it, for suggestions.
    private func templateNames() -> [String] {
        guard let enumerator = files.enumerator(atPath: location.templatesFolder) else { return [] }
        return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".md") }
    }

    /// Base64 with CRLF every 76 characters, as MIME encodes attachments.
    static func encodedSize(ofAttachmentBytes bytes: Int) -> Int {
        let base64 = (bytes + 2) / 3 * 4
        return base64 + base64 / 76 * 2
    }

    static func megabytes(_ bytes: Int) -> String {
        let tenths = (bytes * 10 + 512 * 1024) / (1024 * 1024)
        return "\(tenths / 10).\(tenths % 10)"
    }
}
