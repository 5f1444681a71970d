import Foundation

/// Classifies incoming mail in the order that avoids the costly mistakes: bounce, then auto-reply, then
/// unsubscribe, then a human reply (`../shared/docs/gmail-api.md` §6). Headers are often missing, so subjects and
/// phrasings in several languages count too; a reply's quoted text never does.
public enum MailClassifier {
    public static func classify(_ message: MailMessage, receivedAt: Date, timeZone: TimeZone = TimeZone(identifier: "UTC")!) -> IncomingClass {
        if let bounce = bounce(message) { return bounce }
        let subject = HeaderEncoding.decode(message.header("Subject") ?? "").trimmingCharacters(in: .whitespaces)
        let lowerSubject = subject.lowercased()
        let body = message.plainText ?? ""
        let fresh = freshText(body).lowercased()
        if isReadReceipt(message, lowerSubject) { return .automated(.readReceipt) }
        let automatedHeaders = hasAutomatedHeaders(message)
        let autoSubject = autoReplySubjects.contains { lowerSubject.hasPrefix($0) }
        if automatedHeaders || autoSubject {
            if noLongerHerePhrases.contains(where: fresh.contains) { return .automated(.noLongerHere) }
            if autoSubject || outOfOfficePhrases.contains(where: fresh.contains) || outOfOfficePhrases.contains(where: lowerSubject.contains) {
                return .outOfOffice(returns: ReturnDate.find(in: subject + "\n" + body, after: receivedAt, timeZone: timeZone))
            }
            if ticketPhrases.contains(where: { fresh.contains($0) || lowerSubject.contains($0) }) { return .automated(.ticket) }
            if notMonitoredPhrases.contains(where: fresh.contains) { return .automated(.notMonitored) }
            return .automated(.other)
        }
        // Without headers: a mail whose words say out of office is one, whatever the headers forgot.
        if outOfOfficePhrases.contains(where: lowerSubject.contains) {
            return .outOfOffice(returns: ReturnDate.find(in: subject + "\n" + body, after: receivedAt, timeZone: timeZone))
        }
        if noLongerHerePhrases.contains(where: fresh.contains) { return .automated(.noLongerHere) }
        if lowerSubject.hasPrefix("unsubscribe") || unsubscribePhrases.contains(where: fresh.contains) { return .unsubscribe }
        return .reply
    }

    // MARK: Bounces

    static func bounce(_ message: MailMessage) -> IncomingClass? {
        let from = (message.header("From").flatMap { AddressList.addresses(in: $0).first } ?? "").lowercased()
        let local = from.split(separator: "@").first.map(String.init) ?? ""
        let fromDaemon = ["mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"].contains(local)
        let failedRecipient = message.header("X-Failed-Recipients").flatMap { AddressList.addresses(in: $0).first ?? $0.trimmingCharacters(in: .whitespaces) }
        // A structured report (RFC 3464): the delivery-status part says it all.
        if message.mimeType == "multipart/report", message.parameter("report-type")?.lowercased() == "delivery-status" {
            let groups = message.allParts.filter { $0.mimeType == "message/delivery-status" }.flatMap(\.parts)
            let recipients = groups.filter { $0.header("Final-Recipient") != nil || $0.header("Action") != nil }
            let status = recipients.compactMap { $0.header("Status") }.first?.trimmingCharacters(in: .whitespaces)
            let action = recipients.compactMap { $0.header("Action") }.first?.lowercased() ?? ""
            let recipient =
                recipients.compactMap { $0.header("Final-Recipient") }.first.map { value in
                    value.split(separator: ";", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? value
                } ?? failedRecipient
            let permanent = status.map { $0.hasPrefix("5") } ?? (action == "failed")
            return .bounce(permanent: permanent && action != "delayed", recipient: recipient, status: status)
        }
        let subject = HeaderEncoding.decode(message.header("Subject") ?? "").lowercased()
        let bounceSubject = bounceSubjects.contains(where: subject.contains)
        guard fromDaemon || failedRecipient != nil || (bounceSubject && message.header("Return-Path")?.contains("<>") == true) else { return nil }
        let text = (message.plainText ?? "").lowercased()
        let permanentCode = text.range(of: #"\b5\.[0-9]{1,3}\.[0-9]{1,3}\b"#, options: .regularExpression).map { String(text[$0]) }
        let transientCode = text.range(of: #"\b4\.[0-9]{1,3}\.[0-9]{1,3}\b"#, options: .regularExpression).map { String(text[$0]) }
        let delayed = subject.contains("delay") || text.contains("will retry") || text.contains("will continue trying") || text.contains("still trying")
        if let permanentCode { return .bounce(permanent: true, recipient: failedRecipient, status: permanentCode) }
        if let transientCode, delayed || !text.contains("550") { return .bounce(permanent: false, recipient: failedRecipient, status: transientCode) }
        if delayed { return .bounce(permanent: false, recipient: failedRecipient, status: nil) }
        return .bounce(permanent: true, recipient: failedRecipient, status: text.contains("550") ? "550" : nil)
    }

    static let bounceSubjects = [
        "delivery status notification", "undeliverable", "undelivered mail", "mail delivery failed", "delivery failure",
        "returned mail", "failure notice", "nicht zustellbar", "non remis", "no se puede entregar",
    ]

    // MARK: Automated mail

    static func hasAutomatedHeaders(_ message: MailMessage) -> Bool {
        if let value = message.header("Auto-Submitted")?.lowercased().trimmingCharacters(in: .whitespaces), value != "no", !value.isEmpty { return true }
        if let value = message.header("Precedence")?.lowercased(), ["bulk", "junk", "list", "auto_reply"].contains(value.trimmingCharacters(in: .whitespaces)) { return true }
        if message.header("X-Autoreply") != nil || message.header("X-Autorespond") != nil || message.header("X-Autoresponder") != nil { return true }
        if message.header("X-Apple-Action")?.lowercased().contains("vacation") == true { return true }
        return false
    }

    static func isReadReceipt(_ message: MailMessage, _ lowerSubject: String) -> Bool {
        (message.mimeType == "multipart/report" && message.parameter("report-type")?.lowercased() == "disposition-notification")
            || lowerSubject.hasPrefix("read: ") || lowerSubject.hasPrefix("gelesen: ") || lowerSubject.hasPrefix("lu : ")
    }

    static let autoReplySubjects = [
        "auto:", "automatic reply:", "auto response:", "autoreply:", "auto-reply:", "out of office", "out of the office",
        "abwesenheitsnotiz", "automatische antwort", "réponse automatique", "respuesta automática", "risposta automatica",
        "automatisch antwoord", "autosvar", "fuera de la oficina", "absence du bureau",
    ]
    static let outOfOfficePhrases = [
        "out of office", "out of the office", "on vacation", "on holiday", "on leave", "on annual leave", "away from the office",
        "parental leave", "limited access to email", "abwesend", "nicht im büro", "im urlaub", "außer haus", "absent du bureau",
        "en congé", "en vacances", "fuera de la oficina", "de vacaciones", "fuori ufficio", "in ferie", "afwezig",
    ]
    static let noLongerHerePhrases = [
        "no longer with", "no longer work", "no longer employed", "has left the company", "have left the company", "left the company",
        "nicht mehr bei", "nicht mehr im unternehmen", "ne fait plus partie", "ya no trabaja", "non lavora più",
    ]
    static let ticketPhrases = ["ticket", "we have received your request", "case number", "support request"]
    static let notMonitoredPhrases = ["not monitored", "unattended mailbox", "do not reply to this", "no-reply", "noreply"]

    // MARK: Unsubscribe

    static let unsubscribePhrases = [
        "unsubscribe", "remove me", "take me off", "stop emailing", "stop e-mailing", "stop contacting", "stop sending",
        "do not contact", "don't contact", "do not email", "don't email", "opt out", "opt-out",
        "abmelden", "austragen", "keine weiteren e-mails", "désabonner", "désinscrire", "ne plus me contacter",
        "darme de baja", "dar de baja", "no me contacte", "cancellami", "afmelden",
    ]

    /// The text the sender wrote, without what it quotes: lines starting with `>` and everything from the first
    /// quotation header ("On … wrote:", "-----Original Message-----", "Am … schrieb", "Le … a écrit").
    public static func freshText(_ body: String) -> String {
        var kept: [Substring] = []
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            let lower = trimmed.lowercased()
            if lower.hasPrefix("-----original message-----") || lower.hasPrefix("________________________________")
                || (lower.hasPrefix("on ") && lower.hasSuffix("wrote:")) || (lower.hasPrefix("am ") && lower.hasSuffix("schrieb:"))
                || (lower.hasPrefix("le ") && lower.hasSuffix("a écrit :")) || (lower.hasPrefix("el ") && lower.hasSuffix("escribió:"))
                || lower.hasPrefix("from: ") && !kept.isEmpty
            {
                break
            }
            if trimmed.hasPrefix(">") { continue }
            kept.append(line)
        }
        return kept.joined(separator: "\n")
    }
}
