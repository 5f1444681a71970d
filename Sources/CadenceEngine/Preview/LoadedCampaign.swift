import CadenceCore
import Foundation

/// A campaign that passed validation, with its configuration, templates and attachments read from disk: what
/// `preview` (and later `launch`) work from.
public struct LoadedCampaign: Sendable {
    public let location: ProjectLocation
    public let configuration: ProjectConfiguration
    public let definition: SequenceDefinition
    /// Display path of the campaign file.
    public let file: String
    /// Parsed template files by path under `templates/`.
    public let templateFiles: [String: TemplateFile]
    public let attachments: [String: OutgoingMessage.Attachment]
    /// The campaign file's bytes and each template's bytes, as read: what a launch snapshots.
    public let campaignBytes: [UInt8]
    public let templateBytes: [String: [UInt8]]

    public enum LoadError: Error {
        /// The project has errors; nothing should be rendered from it.
        case invalid(ValidationReport)
        case notFound(String)
    }

    /// Finds the campaign by id (in `sequences/`) or by file path, validates it with the configuration, and loads it.
    public static func load(_ campaign: String, location: ProjectLocation) throws(LoadError) -> LoadedCampaign {
        let path = try resolve(campaign, location: location)
        let report = ProjectValidator.validate(location: location, paths: [path])
        guard !report.hasErrors else { throw .invalid(report) }
        let display = location.display(path)
        guard let bytes = FileManager.default.contents(atPath: path),
            let decoded = SequenceDecoder.decode(bytes, file: display).campaign,
            let configurationBytes = FileManager.default.contents(atPath: location.configurationPath),
            let configuration = ConfigurationDecoder.decode(configurationBytes, file: location.display(location.configurationPath)).configuration
        else { throw .notFound("cannot read \(display) again; was it changed while Cadence ran?") }
        var templateFiles: [String: TemplateFile] = [:]
        var templateBytes: [String: [UInt8]] = [:]
        var attachments: [String: OutgoingMessage.Attachment] = [:]
        let campaignFolder = (path as NSString).deletingLastPathComponent
        for reference in decoded.references {
            switch reference.kind {
            case .template:
                let templatePath = location.templatesFolder + "/" + reference.value
                if templateFiles[reference.value] == nil, let data = FileManager.default.contents(atPath: templatePath),
                    let file = TemplateFile.parse(data, file: location.display(templatePath)).template
                {
                    templateFiles[reference.value] = file
                    templateBytes[reference.value] = Array(data)
                }
            case .attachment:
                if attachments[reference.value] == nil, let data = FileManager.default.contents(atPath: campaignFolder + "/" + reference.value) {
                    let name = (reference.value as NSString).lastPathComponent
                    attachments[reference.value] = OutgoingMessage.Attachment(
                        filename: name, contentType: ContentTypes.forFilename(name), data: Array(data))
                }
            case .mailbox:
                continue
            }
        }
        return LoadedCampaign(
            location: location, configuration: configuration, definition: decoded.definition, file: display,
            templateFiles: templateFiles, attachments: attachments, campaignBytes: Array(bytes), templateBytes: templateBytes)
    }

    /// A path to a campaign file, or a campaign id looked up among `sequences/*.json`.
    static func resolve(_ campaign: String, location: ProjectLocation) throws(LoadError) -> String {
        let asPath = ProjectLocation.absolute(campaign, base: location.displayBase)
        if campaign.hasSuffix(".json") || campaign.contains("/") {
            guard FileManager.default.fileExists(atPath: asPath) else { throw .notFound("no campaign file \(campaign)") }
            return asPath
        }
        let folder = location.sequencesFolder
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".json") && !$0.hasSuffix(".schema.json") }.sorted()
        var ids: [String] = []
        var matches: [String] = []
        for name in names {
            let file = folder + "/" + name
            guard let bytes = FileManager.default.contents(atPath: file) else { continue }
            // A file with errors still names its campaign when its "id" is readable, so its errors get shown.
            let id = SequenceDecoder.decode(bytes, file: name).campaign?.definition.id ?? Self.readableID(bytes)
            guard let id else { continue }
            if id == campaign { matches.append(file) }
            ids.append(id)
        }
        if matches.count > 1 {
            throw .notFound("campaign id \"\(campaign)\" is used by \(matches.map(location.display).joined(separator: " and ")); ids must be unique (cadence validate shows where)")
        }
        if let match = matches.first { return match }
        let known = ids.isEmpty ? "" : " (campaigns: \(ids.joined(separator: ", ")))"
        throw .notFound("no campaign with id \"\(campaign)\" in \(location.display(folder))\(known)\(Suggestion.didYouMean(campaign, among: ids))")
    }

    /// The top-level `"id"` of a campaign file that does not decode, when it can be read at all.
    static func readableID(_ bytes: Data) -> String? {
        guard case .object(let members)? = JSONParser.parse(bytes, file: "").value?.kind,
            case .string(let id)? = members.first(where: { $0.key == "id" })?.value.kind
        else { return nil }
        return id
    }

    /// Compiles every template with `mailbox`'s signature, ready to render candidates; with `tracking`, links are
    /// signed as `cadence run` would sign them.
    public func composer(for mailbox: Mailbox, tracking: TrackingKeys? = nil) -> EmailComposer {
        var compiled: [String: MergeTemplate] = [:]
        for (path, file) in templateFiles {
            compiled[path] = MergeTemplate.compile(file, path: path, signature: mailbox.signature).template
        }
        let plan = tracking.flatMap { keys in configuration.tracking?.plan(campaign: definition, mailbox: mailbox.name, keys: keys) }
        return EmailComposer(campaign: definition, mailbox: mailbox, templates: compiled, attachments: attachments, tracking: plan)
    }
}
