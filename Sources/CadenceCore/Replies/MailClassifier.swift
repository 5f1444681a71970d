import Foundation

/// Decides what an incoming message is, by rules tried in a fixed order (docs/replies.md lists them): bounce,
/// read receipt, calendar answer, automatic mail (no longer here, out of office, ticket, not monitored), then
/// unsubscribe, then a human reply. The words each rule looks for are the language tables' (`PhraseBook`), never
/// lists in code, and only the sender's own text counts: quotes and the campaign's own lines are cut first.
///
/// The costs of mistakes are not symmetric, and the order follows them: when unsure between a reply and anything
/// automatic, it is a reply (the person is stopped); when unsure between an out-of-office and a reply, it is an
/// out-of-office (the person is held until a date, which `status` shows, rather than stopped for good).
public enum MailClassifier {
    public static func classify(_ message: MailMessage, receivedAt: Date, timeZone: TimeZone = TimeZone(identifier: "UTC")!) -> IncomingClass {
        classification(message, receivedAt: receivedAt, timeZone: timeZone).incomingClass
    }

    public static func classification(
        _ message: MailMessage, receivedAt: Date, timeZone: TimeZone? = nil, book: PhraseBook = .standard, ownLines: Set<String> = []
    ) -> Classification {
        let body = message.plainText ?? ""
        let fresh = FreshText.of(body, book: book, ownLines: ownLines)
        var classification = decide(message, body: body, fresh: fresh, receivedAt: receivedAt, timeZone: timeZone, book: book)
        classification.freshText = fresh
        return classification
    }

    static func decide(_ message: MailMessage, body: String, fresh: String, receivedAt: Date, timeZone: TimeZone?, book: PhraseBook) -> Classification {
        let zone = timeZone ?? message.header("Date").flatMap(MailDate.parse)?.timeZone ?? TimeZone(identifier: "UTC")!
        let subject = HeaderEncoding.decode(message.header("Subject") ?? "").trimmed()
        let normalizedSubject = PhraseText.normalized(subject)
        let subjectFinds = book.find(normalized: normalizedSubject)
        let freshBytes = PhraseText.normalized(fresh)
        let freshFinds = book.find(normalized: freshBytes)
        let sender = IncomingMail.sender(message.headers)
        let answered = IncomingMail.references(message.headers)

        func found(_ kind: PhraseKind, in finds: [PhraseBook.Found], strong: Bool = false, atStart: Bool = false) -> PhraseBook.Found? {
            finds.first { $0.entry.kind == kind && (!strong || $0.entry.strong) && (!atStart || $0.start == 0) }
        }
        func languages(_ finds: [PhraseBook.Found]...) -> [String] {
            var seen: [String] = []
            for find in finds.joined() where !seen.contains(find.entry.language) { seen.append(find.entry.language) }
            return seen
        }
        // A list's or a role's own address behind its `-owner` or `-bounces` sender (Mailman's moderation notices).
        var senderAddresses = sender.isEmpty ? [] : [sender]
        if let at = sender.firstIndex(of: "@") {
            let local = sender[..<at].lowercased()
            for suffix in ["-owner", "-bounces", "-request", "-admin"] where local.hasSuffix(suffix) {
                senderAddresses.append(String(local.dropLast(suffix.count)) + String(sender[at...]))
            }
        }
        func result(_ incomingClass: IncomingClass, _ rule: String, _ finds: [PhraseBook.Found] = []) -> Classification {
            Classification(
                incomingClass: incomingClass, rule: rule, languages: languages(finds, subjectFinds, freshFinds), messageIDs: answered,
                addresses: senderAddresses)
        }
        func tagged(_ rule: String, _ find: PhraseBook.Found?) -> String { find.map { "\(rule):\($0.entry.language)" } ?? rule }

        // 1. Bounces: a report, or a daemon's notice, in any shape.
        let bodyFinds = body.utf8.count == fresh.utf8.count ? freshFinds : book.find(in: body)
        let subjectBounce = found(.bounceSubject, in: subjectFinds) != nil
        if let report = BounceReport.read(message, subjectBounce: subjectBounce, text: body, textFinds: bodyFinds) {
            let family = report.permanent ? "bounce" : "delay"
            return Classification(
                incomingClass: .bounce(permanent: report.permanent, recipient: report.recipients.first, status: report.status),
                rule: "\(family).\(report.shape.rawValue)", languages: languages(subjectFinds, bodyFinds),
                messageIDs: report.originalMessageIDs + answered.filter { !report.originalMessageIDs.contains($0) }, addresses: report.recipients)
        }

        // 2. Read receipts and calendar answers.
        if message.mimeType == "multipart/report", message.parameter("report-type")?.lowercased() == "disposition-notification" {
            return result(.automated(.readReceipt), "read-receipt.mdn")
        }
        if let receipt = found(.readReceiptSubject, in: subjectFinds, atStart: true) {
            return result(.automated(.readReceipt), tagged("read-receipt.subject", receipt))
        }
        if let answer = CalendarAnswer.read(message) { return result(.meeting(answer), "meeting.itip") }
        for (kind, answer) in [(PhraseKind.meetingTentative, IncomingClass.MeetingAnswer.tentative), (.meetingAccepted, .accepted), (.meetingDeclined, .declined)] {
            if let find = found(kind, in: subjectFinds, atStart: true) { return result(.meeting(answer), tagged("meeting.subject", find)) }
        }

        // 3. Automatic mail: a header says so, or an auto-reply subject.
        let automaticHeader = automationHeader(message)
        let autoSubject = found(.autoReplySubject, in: subjectFinds)
        let outOfOffice = found(.outOfOffice, in: freshFinds) ?? found(.outOfOffice, in: subjectFinds)
        func away(_ rule: String, _ find: PhraseBook.Found?) -> Classification {
            let langs = languages(find.map { [$0] } ?? [], subjectFinds, freshFinds)
            let returns = ReturnDate.find(in: subject + "\n" + fresh, languages: langs, book: book, after: receivedAt, timeZone: zone)
            var classification = result(.outOfOffice(returns: returns), tagged(rule, find))
            classification.languages = langs
            return classification
        }
        if automaticHeader != nil || autoSubject != nil {
            if let gone = found(.noLongerHere, in: freshFinds) {
                var classification = result(.automated(.noLongerHere), tagged("no-longer-here.automatic", gone))
                classification.addresses += BounceReport.addresses(in: fresh).filter { !classification.addresses.contains($0) }
                return classification
            }
            if let outOfOffice { return away("out-of-office.automatic", outOfOffice) }
            if let ticket = found(.ticket, in: freshFinds) ?? found(.ticket, in: subjectFinds) { return result(.automated(.ticket), tagged("ticket.automatic", ticket)) }
            if let unwatched = found(.notMonitored, in: freshFinds) { return result(.automated(.notMonitored), tagged("not-monitored.automatic", unwatched)) }
            if let autoSubject { return away("out-of-office.subject", autoSubject) }
            // An auto-reply (RFC 3834 `auto-replied`) in words no table knows is most likely an absence: hold, don't
            // stop and don't ignore. Other automatic mail (`auto-generated`, bulk) is only recorded.
            if automaticHeader == .autoReplied { return away("out-of-office.auto-replied", nil) }
            return result(.automated(.other), "automated.header")
        }

        // 4. No header says automatic: the words must. A server-side rule answers with a plain "Re:" subject, a
        // helpdesk with its acknowledgement subject.
        if let strong = found(.outOfOffice, in: freshFinds, strong: true) { return away("out-of-office.wording", strong) }
        if let gone = found(.noLongerHere, in: freshFinds, strong: true) { return result(.automated(.noLongerHere), tagged("no-longer-here.wording", gone)) }
        if let ticket = found(.ticket, in: subjectFinds) { return result(.automated(.ticket), tagged("ticket.subject", ticket)) }

        // 5. Unsubscribe, in the sender's own words or through the List-Unsubscribe mailto.
        if isListUnsubscribeSubject(subject) { return result(.unsubscribe, "unsubscribe.list-mailto") }
        // "No need to unsubscribe me" is not a request: a phrase right after a negation of its language is passed over.
        let asked = freshFinds.first { $0.entry.kind == .unsubscribe && !book.isNegated(before: $0.start, in: freshBytes) }
        if let request = asked ?? found(.unsubscribe, in: subjectFinds) {
            return result(.unsubscribe, tagged("unsubscribe.phrase", request))
        }
        if isStopWord(fresh) || (fresh.allSatisfy { $0.isWhitespace } && isStopWord(subject)) { return result(.unsubscribe, "unsubscribe.stop-word") }

        // 6. A person wrote back.
        return result(.reply, "reply.default")
    }

    enum AutomationHeader { case autoReplied, autoGenerated }

    /// RFC 3834 `Auto-Submitted`, and the older headers mail systems still use in its place.
    static func automationHeader(_ message: MailMessage) -> AutomationHeader? {
        let precedence = message.header("Precedence")?.lowercased().trimmed()
        let bulk = precedence.map { ["bulk", "junk", "list"].contains($0) } ?? false
        if let value = message.header("Auto-Submitted")?.lowercased().trimmed(), !value.isEmpty, value != "no" {
            // Challenge-response systems and list software mark their notices `auto-replied` and `bulk`; vacation
            // responders do not send bulk.
            return value.hasPrefix("auto-replied") && !bulk ? .autoReplied : .autoGenerated
        }
        if precedence == "auto_reply" || precedence == "auto-reply" { return .autoReplied }
        if message.header("X-Autoreply") != nil || message.header("X-Autorespond") != nil || message.header("X-Autoresponder") != nil
            || message.header("X-Auto-Reply") != nil
        {
            return .autoReplied
        }
        if message.header("X-Apple-Action")?.lowercased().contains("vacation") == true { return .autoReplied }
        if bulk { return .autoGenerated }
        return nil
    }

    /// The subject Cadence's own List-Unsubscribe mailto asks for: `unsubscribe <campaign>.<16 hex>`.
    static func isListUnsubscribeSubject(_ subject: String) -> Bool {
        let words = subject.lowercased().split(separator: " ")
        guard words.count == 2, words[0] == "unsubscribe", let dot = words[1].lastIndex(of: ".") else { return false }
        let token = words[1][words[1].index(after: dot)...]
        return token.count == 16 && token.allSatisfy(\.isHexDigit)
    }

    /// A message whose first line is only "STOP" (or "stop." / "Stopp"), as people answer sequences from a phone,
    /// whatever signature follows ("Sent from my iPhone").
    static func isStopWord(_ text: String) -> Bool {
        guard let line = text.split(separator: "\n").first(where: { !$0.allSatisfy(\.isWhitespace) }) else { return false }
        let words = line.lowercased().split(whereSeparator: { !$0.isLetter })
        return words.count == 1 && ["stop", "stopp", "stopper", "unsubscribe", "remove", "basta"].contains(String(words[0]))
    }

    /// The text the sender wrote, without what it quotes (see `FreshText`).
    public static func freshText(_ body: String) -> String { FreshText.of(body) }
}
