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
