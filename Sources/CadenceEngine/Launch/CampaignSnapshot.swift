import CadenceCore
import CadenceStore
import Foundation

/// The files a campaign is launched from, as stored: the campaign JSON, its templates and attachments.
enum CampaignSnapshot {
    static func files(of campaign: LoadedCampaign) -> [SnapshotFile] {
        var files = [SnapshotFile(kind: .campaign, path: campaign.file, content: campaign.campaignBytes, digest: digest(campaign.campaignBytes))]
        for (path, bytes) in campaign.templateBytes.sorted(by: { $0.key < $1.key }) {
            files.append(SnapshotFile(kind: .template, path: path, content: bytes, digest: digest(bytes)))
        }
        for (path, attachment) in campaign.attachments.sorted(by: { $0.key < $1.key }) {
            files.append(SnapshotFile(kind: .attachment, path: path, content: attachment.data, digest: digest(attachment.data)))
        }
        // What of cadence.json shapes the emails: the sending mailboxes' address, name and signature.
        for name in campaign.definition.mailboxes {
            guard let mailbox = campaign.configuration.mailbox(named: name) else { continue }
            let content = Array(
                FlatJSON.encode([
                    "address": mailbox.address.description, "displayName": mailbox.displayName, "signature": mailbox.signature,
                ]).utf8)
            files.append(SnapshotFile(kind: .mailbox, path: name, content: content, digest: digest(content)))
        }
        return files
    }

    /// One digest over every file's kind, path and content digest; the campaign file's path is left out, so a
    /// moved file is not a change.
    static func digest(of files: [SnapshotFile]) -> String {
        digest(Array(files.map { "\($0.kind.rawValue) \($0.kind == .campaign ? "" : $0.path) \($0.digest)" }.sorted().joined(separator: "\n").utf8))
    }

    static func digest(_ bytes: [UInt8]) -> String {
        StableHash.hex(of: bytes)
    }

    /// What changed between the stored version and the files on disk, one line each.
    static func differences(stored: StoredCampaign, current: [SnapshotFile]) -> [String] {
        var lines: [String] = []
        let old = stored.files.first { $0.kind == .campaign }
        let new = current.first { $0.kind == .campaign }
        if let old, let new, old.digest != new.digest,
            let before = SequenceDecoder.decode(old.content, file: old.path).campaign?.definition,
            let after = SequenceDecoder.decode(new.content, file: new.path).campaign?.definition
        {
            for step in before.steps {
                guard let now = after.step(withID: step.id) else { lines.append("step \(step.id) removed"); continue }
                if now != step { lines.append("step \(step.id) changed") }
            }
            for step in after.steps where before.step(withID: step.id) == nil { lines.append("step \(step.id) added") }
            if before.steps.map(\.id).filter({ after.step(withID: $0) != nil }) != after.steps.map(\.id).filter({ before.step(withID: $0) != nil }) {
                lines.append("steps reordered")
            }
            var settingsBefore = before, settingsAfter = after
            settingsBefore.steps = []
            settingsAfter.steps = []
            if settingsBefore != settingsAfter { lines.append("campaign settings changed (name, mailboxes, window, limits, …)") }
            if lines.isEmpty { lines.append("campaign file changed (formatting only)") }
        }
        for kind in [SnapshotFile.Kind.template, .attachment, .mailbox] {
            let before = Dictionary(stored.files.filter { $0.kind == kind }.map { ($0.path, $0.digest) }, uniquingKeysWith: { a, _ in a })
            let after = Dictionary(current.filter { $0.kind == kind }.map { ($0.path, $0.digest) }, uniquingKeysWith: { a, _ in a })
            for (path, digest) in after.sorted(by: { $0.key < $1.key }) {
                if let old = before[path] { if old != digest { lines.append("\(kind.rawValue) \(path) changed") } } else { lines.append("\(kind.rawValue) \(path) added") }
            }
            for path in before.keys.sorted() where after[path] == nil { lines.append("\(kind.rawValue) \(path) no longer used") }
        }
        return lines
    }
}
