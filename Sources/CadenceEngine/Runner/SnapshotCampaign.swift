import CadenceCore
import CadenceStore
import Foundation

/// A launched campaign as the runner sends it: from its stored snapshot (what was reviewed), with the current
/// configuration's mailbox for the provider and limits.
struct SnapshotCampaign {
    let definition: SequenceDefinition
    let templateFiles: [String: TemplateFile]
    let attachments: [String: OutgoingMessage.Attachment]
    private var composers: [String: EmailComposer] = [:]

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

    mutating func composer(for mailbox: Mailbox) -> EmailComposer {
        if let composer = composers[mailbox.name] { return composer }
        var compiled: [String: MergeTemplate] = [:]
        for (path, file) in templateFiles {
            compiled[path] = MergeTemplate.compile(file, path: path, signature: mailbox.signature).template
        }
        let composer = EmailComposer(campaign: definition, mailbox: mailbox, templates: compiled, attachments: attachments)
        composers[mailbox.name] = composer
        return composer
    }
}
