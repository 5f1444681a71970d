import Foundation

/// Turns a campaign, a mailbox and a candidate into the exact messages each step would send.
///
/// Pure: templates come compiled (for this mailbox's signature) and attachments come loaded, so composing a
/// candidate is substitution plus MIME encoding, and the same inputs always give the same bytes.
public struct EmailComposer: Sendable {
    public let campaign: SequenceDefinition
    public let mailbox: Mailbox
    /// Compiled templates by path under `templates/`.
    public let templates: [String: MergeTemplate]
    /// Attachments by path as the campaign file names them.
    public let attachments: [String: OutgoingMessage.Attachment]
    /// Signed tracking and unsubscribe links; nil leaves every message exactly as its template renders it.
    public let tracking: TrackingPlan?
    /// Each template's candidate fields with no fallback, worked out once: launch asks for every row.
    private let requiredFields: [String: [String]]

    public init(
        campaign: SequenceDefinition, mailbox: Mailbox, templates: [String: MergeTemplate],
        attachments: [String: OutgoingMessage.Attachment], tracking: TrackingPlan? = nil
    ) {
        self.campaign = campaign
        self.mailbox = mailbox
        self.templates = templates
        self.attachments = attachments
        self.tracking = tracking
        requiredFields = templates.mapValues(\.requiredCandidateFields)
    }

    /// Every step in order (or only the step `only`), for `candidate`, with messages dated `date`.
    ///
    /// Steps before `only` are not rendered; an email step still contributes its thread's subject and Message-ID,
    /// which a later reply needs.
    public func compose(_ candidate: Candidate, date: Date, only: String? = nil) -> [ComposedStep] {
        let context = MergeContext(candidate: candidate.fields, mailbox: mailbox)
        // Per thread (the id of the email step that started it): its subject and the Message-IDs sent in it.
        var threads: [String: (subject: RenderResult?, messageIDs: [String], held: [String])] = [:]
        var composed: [ComposedStep] = []
        for step in campaign.steps {
            if let only, composed.contains(where: { $0.step.id == only }) { break }
            let identity = SendIdentity(campaignID: campaign.id, stepID: step.id, address: candidate.email)
            let messageID = identity.messageID(domain: mailbox.address.domain)
            var context = context
            if let tracking, tracking.options.unsubscribe {
                context.links[LinkField.unsubscribe.rawValue] = tracking.unsubscribeURL(trackingID: identity.trackingID)
            }
            switch step.kind {
            case .task(let task):
                guard only == nil || only == step.id else { continue }
                composed.append(ComposedStep(step: step, variantID: nil, outcome: .task(task)))
            case .email(let email):
                let (template, variantID) = chooseTemplate(email.content, step: step, candidate: candidate)
                let rendered = template.render(context)
                let held: [String] = if case .missing(let fields) = rendered { fields } else { [] }
                threads[step.id] = (template.renderSubject(context), [messageID], held)
                guard only == nil || only == step.id else { continue }
                let (outcome, links) = message(
                    rendered, subject: nil, candidate: candidate, identity: identity, messageID: messageID,
                    thread: [], attachments: email.attachments, date: date)
                composed.append(ComposedStep(step: step, variantID: variantID, outcome: outcome, links: links, trackingKeyID: tracking?.key.id))
            case .reply(let reply):
                let thread = threads[reply.inThreadOf] ?? (nil, [], [])
                guard only == nil || only == step.id else {
                    threads[reply.inThreadOf]?.messageIDs.append(messageID)
                    continue
                }
                let (template, variantID) = chooseTemplate(reply.content, step: step, candidate: candidate)
                // A reply to an email that cannot be sent cannot be sent either: its thread would not exist.
                let (outcome, links) =
                    thread.held.isEmpty
                    ? message(
                        template.render(context), subject: thread.subject, candidate: candidate, identity: identity,
                        messageID: messageID, thread: thread.messageIDs, attachments: reply.attachments, date: date)
                    : (.held(missing: thread.held), [])
                threads[reply.inThreadOf]?.messageIDs.append(messageID)
                composed.append(ComposedStep(step: step, variantID: variantID, outcome: outcome, links: links, trackingKeyID: tracking?.key.id))
            }
        }
        return composed
    }

    /// The variant each variant step gives `candidate`, by step id.
    public func variants(for candidate: Candidate) -> [String: String] {
        var chosen: [String: String] = [:]
        for step in campaign.steps {
            let content: StepContent
            switch step.kind {
            case .email(let email): content = email.content
            case .reply(let reply): content = reply.content
            case .task: continue
            }
            if case .variants = content { chosen[step.id] = chooseTemplate(content, step: step, candidate: candidate).1 }
        }
        return chosen
    }

    /// Whether `other` finds the same fields missing and gives the same variants for every candidate: the same
    /// campaign, and templates that need the same candidate fields (mailboxes differ by their signatures, which
    /// are literal text). A launch then checks each row once, on its reading thread, whichever mailbox it gets.
    public func checksCandidates(like other: EmailComposer) -> Bool {
        campaign == other.campaign && requiredFields == other.requiredFields
    }

    /// Per step, the candidate fields that step (with this candidate's variant) lacks, without rendering
    /// anything: what launch checks for every row. Empty when every step can render.
    public func missingFields(for candidate: Candidate) -> [(stepID: String, variantID: String?, fields: [String])] {
        func isMissing(_ name: String) -> Bool { MergeField.isBlank(candidate.fields[name]) }
        var threadRequired: [String: [String]] = [:]
        var result: [(String, String?, [String])] = []
        for step in campaign.steps {
            let content: StepContent
            var required: [String] = []
            switch step.kind {
            case .task: continue
            case .email(let email): content = email.content
            case .reply(let reply):
                content = reply.content
                required = threadRequired[reply.inThreadOf] ?? []
            }
            let (key, variantID) = templateKey(content, step: step, candidate: candidate)
            let fields = requiredFields[key]!
            if case .email = step.kind { threadRequired[step.id] = fields }
            for name in fields where !required.contains(name) { required.append(name) }
            let missing = required.filter(isMissing).map { "candidate.\($0)" }
            if !missing.isEmpty { result.append((step.id, variantID, missing)) }
        }
        return result
    }

    private func chooseTemplate(_ content: StepContent, step: Step, candidate: Candidate) -> (MergeTemplate, String?) {
        let (key, variantID) = templateKey(content, step: step, candidate: candidate)
        return (templates[key]!, variantID)
    }

    /// The template (its key in `templates`) and variant this candidate gets at this step.
    private func templateKey(_ content: StepContent, step: Step, candidate: Candidate) -> (String, String?) {
        switch content {
        case .template(let path):
            return (path, nil)
        case .variants(let variants):
            let variant = VariantChooser.choose(variants, campaignID: campaign.id, stepID: step.id, address: candidate.email)
            return (variant.template, variant.id)
        }
    }

    /// `threadSubject` is nil for an email step (its own template has the subject). With tracking, also the
    /// original address of each rewritten link, in order.
    private func message(
        _ rendered: RenderResult, subject threadSubject: RenderResult?, candidate: Candidate, identity: SendIdentity,
        messageID: String, thread: [String], attachments paths: [String], date: Date
    ) -> (ComposedStep.Outcome, [String]) {
        var missing: [String] = []
        var subject = ""
        if let threadSubject {
            switch threadSubject {
            case .ready(let content): subject = Self.replySubject(content.subject ?? "", style: campaign.replySubject)
            case .missing(let fields): missing += fields
            }
        }
        guard case .ready(let content) = rendered else {
            if case .missing(let fields) = rendered { missing += fields.filter { !missing.contains($0) } }
            return (.held(missing: missing), [])
        }
        guard missing.isEmpty else { return (.held(missing: missing), []) }
        if threadSubject == nil { subject = content.subject ?? "" }
        let mailto = UnsubscribeMailto.header(mailbox: mailbox.address, campaignID: campaign.id, address: candidate.email)
        var unsubscribeHeaders = [("List-Unsubscribe", mailto)]
        var text = content.text
        var html = content.html
        var links: [String] = []
        if let tracking {
            let unsubscribe = tracking.unsubscribeURL(trackingID: identity.trackingID)
            if tracking.options.unsubscribe {
                unsubscribeHeaders = [("List-Unsubscribe", "<\(unsubscribe)>, \(mailto)")]
                // RFC 8058: one click only over https; a loopback http address is for trying things out.
                if TrackingSettings.allowsOneClick(unsubscribe) { unsubscribeHeaders.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")) }
                if tracking.options.footer {
                    text += "\n\n--\nNot interested? Unsubscribe: \(unsubscribe)\n"
                    html += "\n<p style=\"font-size:12px;color:#666666\">Not interested? <a href=\"\(HTMLEscaping.escape(unsubscribe))\">Unsubscribe</a>.</p>"
                }
            }
            let rewritten = LinkRewriter.rewrite(html: Self.htmlDocument(html), text: text, trackingID: identity.trackingID, plan: tracking)
            (html, text, links) = (rewritten.html, rewritten.text, rewritten.links)
        } else {
            html = Self.htmlDocument(html)
        }
        let message = OutgoingMessage(
            from: .init(name: mailbox.displayName, address: mailbox.address.description),
            to: .init(name: candidate.displayName, address: candidate.email.description),
            subject: subject,
            date: date,
            messageID: messageID,
            inReplyTo: thread.last,
            references: thread,
            extraHeaders: [("X-Cadence-Send-Id", identity.sendID)] + unsubscribeHeaders + [("X-Auto-Response-Suppress", "OOF, AutoReply")],
            text: text,
            html: html,
            attachments: paths.compactMap { attachments[$0] })
        return (.email(message), links)
    }

    /// `Re: ` once, as a person replying would write it, or the subject unchanged.
    public static func replySubject(_ subject: String, style: ReplySubjectStyle) -> String {
        switch style {
        case .same: subject
        case .re: subject.lowercased().hasPrefix("re:") ? subject : "Re: " + subject
        }
    }

    static func htmlDocument(_ body: String) -> String {
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n" + body + "\n</body></html>\n"
    }
}
