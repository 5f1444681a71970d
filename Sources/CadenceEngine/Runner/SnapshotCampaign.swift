import CadenceCore
import CadenceStore
import Foundation

/// A launched campaign as the runner sends it: from its stored snapshot (what was reviewed), with the current
/// configuration's mailbox for the provider and limits.
struct SnapshotCampaign {
    let definition: SequenceDefinition
    let templateFiles: [String: TemplateFile]
    let attachments: [String: OutgoingMessage.Attachment]
    private var compiledTemplates: [String: [String: MergeTemplate]] = [:]

    init?(_ stored: StoredCampaign) {
        guard let campaignFile = stored.files.first(where: { $0.kind == .campaign }),
            let definition = SequenceDecoder.decode(campaignFile.content, file: campaignFile.path).campaign?.definition
        else { return nil }
        self.definition = definition
        var templates: [String: TemplateFile] = [:]
        var attachments: [String: OutgoingMessage.Attachment] = [:]
        for file in stored.files {
            switch file.kind {
            case .template: templates[file.path] = TemplateFile.parse(file.content, file: file.path).template
            case .attachment:
                let name = (file.path as NSString).lastPathComponent
                attachments[file.path] = OutgoingMessage.Attachment(filename: name, contentType: ContentTypes.forFilename(name), data: file.content)
            default: continue
            }
        }
        self.templateFiles = templates
        self.attachments = attachments
    }

    /// Templates are compiled once per mailbox (for its signature); the composer itself is cheap to make.
    mutating func composer(for mailbox: Mailbox, tracking: TrackingPlan?) -> EmailComposer {
        let compiled =
            compiledTemplates[mailbox.name]
            ?? templateFiles.reduce(into: [String: MergeTemplate]()) { $0[$1.key] = MergeTemplate.compile($1.value, path: $1.key, signature: mailbox.signature).template }
        compiledTemplates[mailbox.name] = compiled
        return EmailComposer(campaign: definition, mailbox: mailbox, templates: compiled, attachments: attachments, tracking: tracking)
    }
}
