/// Checks a decoded campaign against the configuration: the mailboxes it names exist, and its caps mean something.
public enum CampaignChecker {
    /// Checks the mailboxes named by `references` (available even when the campaign itself has errors).
    public static func checkMailboxes(_ references: [FileReference], file: String, against configuration: ProjectConfiguration) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        let known = configuration.mailboxes.map(\.name)
        for reference in references where reference.kind == .mailbox {
            guard configuration.mailbox(named: reference.value) == nil else { continue }
            let listed = known.map { "\"\($0)\"" }.joined(separator: ", ")
            diagnostics.append(
                .error(
                    "unknown mailbox \"\(reference.value)\" (cadence.json defines \(listed))\(Suggestion.didYouMean(reference.value, among: known))",
                    file: file, at: reference.position))
        }
        return diagnostics
    }

    /// Checks what a campaign's templates ask of tracking against what cadence.json and the campaign provide.
    /// `templates` are the campaign's compiled templates by the name its steps use.
    ///
    /// A template that places `<<links.unsubscribe>>` without tracking (or with unsubscribe off) would hold every
    /// step that uses it: an error. A tracked campaign whose mail shows no unsubscribe link at all is allowed
    /// (List-Unsubscribe still offers one) but warned about: many mail clients never show that header.
    public static func checkTracking(
        _ campaign: DecodedCampaign, templates: [String: MergeTemplate], against configuration: ProjectConfiguration
    ) -> [Diagnostic] {
        let options = configuration.tracking.map { campaign.definition.tracking.resolved(over: $0.defaults) }
        var diagnostics: [Diagnostic] = []
        var showsLink = options?.footer == true
        for reference in campaign.references {
            guard case .template = reference.kind, let template = templates[reference.value] else { continue }
            guard template.fields.contains(where: { $0.namespace == .links && $0.name == LinkField.unsubscribe.rawValue }) else { continue }
            showsLink = true
            if options?.unsubscribe != true {
                let why =
                    options == nil
                    ? "cadence.json has no \"tracking\" section to make it (see docs/configuration.md)"
                    : "this campaign's tracking has \"unsubscribe\": false"
                diagnostics.append(
                    .error(
                        "template \"\(reference.value)\" of \(reference.step ?? "the campaign") places <<links.unsubscribe>>, but \(why); every step using it would be held",
                        file: campaign.file, at: reference.position))
            }
        }
        if campaign.definition.tracking.hotLeads, options?.clicks != true {
            let why = options == nil ? "cadence.json has no \"tracking\" section" : "this campaign's clicks are not tracked (\"clicks\": false)"
            diagnostics.append(
                .error(
                    "campaign \"\(campaign.definition.id)\" asks for hot-lead tasks (\"hotLeads\": true), but \(why), so no click could open one",
                    file: campaign.file, at: campaign.idPosition))
        }
        if options?.unsubscribe == true, !showsLink {
            diagnostics.append(
                .warning(
                    "campaign \"\(campaign.definition.id)\" is tracked, but no template shows an unsubscribe link; add [Unsubscribe](<<links.unsubscribe>>) to its templates or set \"tracking\": {\"footer\": true} (not every mail client shows List-Unsubscribe)",
                    file: campaign.file, at: campaign.idPosition))
        }
        return diagnostics
    }

    /// Checks a valid campaign's caps against its mailboxes' limits.
    public static func checkLimits(_ campaign: DecodedCampaign, against configuration: ProjectConfiguration) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        let definition = campaign.definition
        let mailboxCapacity = definition.mailboxes.compactMap { configuration.mailbox(named: $0)?.limits.dailyCap }.reduce(0, +)
        if let cap = definition.limits.dailyCap, mailboxCapacity > 0, cap > mailboxCapacity {
            diagnostics.append(
                .warning(
                    "the campaign's \"dailyCap\" (\(cap)) is above what its mailboxes allow together (\(mailboxCapacity) a day) and has no effect",
                    file: campaign.file, at: campaign.idPosition))
        }
        return diagnostics
    }
}
