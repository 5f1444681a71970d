import Foundation

/// What a non-delivery report says, in whatever shape its mail system writes it: an RFC 3464 (or RFC 6533)
/// report, an Exchange NDR, or a plain-text notice from Exim, Postfix, Sendmail or qmail that names the failed
/// address only in its text or in the copy of the message it returns.
public struct BounceReport: Sendable, Equatable {
    /// Permanent (5.x.x, or a failure with no code) or transient (4.x.x, "will retry", `Action: delayed`).
    public var permanent: Bool
    /// The enhanced status code or SMTP reply code, when the report gives one.
    public var status: String?
    /// Every address the report says could not be reached, most authoritative first: `Original-Recipient` (the
    /// address as sent, before any alias expansion), `Final-Recipient`, `X-Failed-Recipients`, the returned copy's
    /// `To` and `Cc`, then addresses the failure text names.
    public var recipients: [String]
    /// The Message-IDs of the message that bounced: from the report (`X-Original-Message-ID`), the returned copy or
    /// headers, and the report's own `In-Reply-To`/`References`.
    public var originalMessageIDs: [String]
    /// How it was recognised, for the rule id.
    public var shape: Shape

    public enum Shape: String, Sendable {
        /// `multipart/report; report-type=delivery-status` (or `global-delivery-status`).
        case report
        /// A notice from a mailer daemon, recognised by sender, `X-Failed-Recipients` or Exchange's NDR header.
        case notice
    }

    static let daemonNames: Set<String> = [
        "mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "mail.delivery.system", "maildelivery", "bounce", "bounces",
        "mailer", "nobody", "mdaemon", "microsoftexchange329e71ec88ae4615bbc36ab6ce41109e",
    ]

    /// The report in `message`, or nil when it is not one. `subjectBounce` says whether a bounce-subject phrase of
    /// some language was found in its subject; `textFinds` are the phrases found in its text.
    static func read(_ message: MailMessage, subjectBounce: Bool, text: String, textFinds: [PhraseBook.Found]) -> BounceReport? {
        let from = (message.header("From").flatMap { AddressList.addresses(in: $0).first } ?? "").lowercased()
        let local = String(from.split(separator: "@").first ?? "")
        let fromDaemon = daemonNames.contains(local) || local.hasPrefix("mailer-daemon") || local.hasPrefix("postmaster")
        let failedHeader = message.headers(named: "X-Failed-Recipients").flatMap { AddressList.addresses(in: $0) }
        let exchangeNDR = message.header("X-MS-Exchange-Message-Is-Ndr") != nil
        let nullReturnPath = message.header("Return-Path").map { $0.replacingOccurrences(of: " ", with: "") == "<>" } ?? false
        let reportType = message.parameter("report-type")?.lowercased()
        let isReport =
            message.mimeType == "multipart/report" && (reportType == "delivery-status" || reportType == "global-delivery-status")
            || message.allParts.contains { ["message/delivery-status", "message/global-delivery-status"].contains($0.mimeType) }
        guard isReport || fromDaemon || !failedHeader.isEmpty || exchangeNDR || (subjectBounce && nullReturnPath) else { return nil }
        // A daemon's message with neither a report, a failed-recipient header nor a bounce subject is some other
        // notice (a quota warning, a digest): not a bounce.
        if !isReport, failedHeader.isEmpty, !exchangeNDR, !subjectBounce,
            !textFinds.contains(where: { $0.entry.kind == .bounceText || $0.entry.kind == .delayText }), enhancedCode(in: text.lowercased()) == nil
        {
            return nil
        }

        var recipients: [String] = []
        var messageIDs: [String] = []
        var statuses: [String] = []
        var actions: [String] = []
        func addAddress(_ value: String) {
            // `rfc822; ana@example.org`, `utf-8; ana@…`, or a bare address.
            let address = (value.split(separator: ";", maxSplits: 1).last.map(String.init) ?? value)
                .trimmingCharacters(in: CharacterSet(charactersIn: " <>\t\"'"))
            guard address.contains("@"), !recipients.contains(where: { $0.lowercased() == address.lowercased() }) else { return }
            recipients.append(address)
        }
        func addMessageID(_ value: String) {
            for token in value.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }) where token.contains("@") {
                let id = token.hasPrefix("<") ? String(token) : "<\(token.trimmingCharacters(in: CharacterSet(charactersIn: "<>")))>"
                if !messageIDs.contains(id) { messageIDs.append(id) }
            }
        }
        // The report's machine-readable groups.
        let groups = message.allParts.filter { ["message/delivery-status", "message/global-delivery-status"].contains($0.mimeType) }.flatMap(\.parts)
        for group in groups {
            group.headers(named: "X-Original-Message-ID").forEach(addMessageID)
            group.headers(named: "Original-Message-ID").forEach(addMessageID)
        }
        for group in groups where group.header("Final-Recipient") != nil || group.header("Original-Recipient") != nil || group.header("Action") != nil {
            group.headers(named: "Original-Recipient").forEach(addAddress)
            group.headers(named: "Final-Recipient").forEach(addAddress)
            if let status = group.header("Status") { statuses.append(status.trimmingCharacters(in: .whitespaces)) }
            if let action = group.header("Action") { actions.append(action.trimmingCharacters(in: .whitespaces).lowercased()) }
        }
        failedHeader.forEach(addAddress)
        // The returned message or its headers, as a part or, in a plain-text notice, after its marker line.
        var returned = message.allParts.filter { ["message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers"].contains($0.mimeType) }
            .flatMap { part in part.parts.isEmpty ? [(try? MailMessage.parse(part.decodedBody)).map { $0 }].compactMap { $0 } : part.parts }
        if returned.isEmpty, let copy = returnedCopy(in: text) { returned.append(copy) }
        for copy in returned {
            copy.headers(named: "Message-ID").forEach(addMessageID)
            for name in ["To", "Cc", "Delivered-To", "X-Original-To"] {
                copy.headers(named: name).flatMap { AddressList.addresses(in: $0) }.forEach(addAddress)
            }
        }
        message.headers(named: "In-Reply-To").forEach(addMessageID)
        message.headers(named: "References").forEach(addMessageID)
        // Addresses the failure text names (qmail's `<ana@example.org>:`, Exim's indented list, Exchange's).
        let failureText = failurePart(of: text)
        for address in addresses(in: failureText) where address.lowercased() != from { addAddress(address) }
        let ownRecipients = Set(message.headers(named: "To").flatMap { AddressList.addresses(in: $0) }.map { $0.lowercased() })
        recipients.removeAll { ownRecipients.contains($0.lowercased()) }

        // Permanent or transient.
        let lower = failureText.lowercased()
        let textCode = enhancedCode(in: lower)
        let status = statuses.first ?? textCode ?? basicCode(in: lower)
        let delayed =
            actions.contains("delayed") || textFinds.contains { $0.entry.kind == .delayText }
            || HeaderEncoding.decode(message.header("Subject") ?? "").lowercased().contains("delay")
        let permanent: Bool
        if let code = statuses.first ?? textCode {
            permanent = code.hasPrefix("5") && !actions.contains("delayed")
        } else if let basic = basicCode(in: lower) {
            permanent = basic.hasPrefix("5") && !delayed
        } else if actions.contains(where: { $0 == "delivered" || $0 == "relayed" || $0 == "expanded" }), !actions.contains("failed") {
            return nil  // a success notification: nothing failed
        } else {
            permanent = !delayed
        }
        return BounceReport(
            permanent: permanent, status: status, recipients: recipients, originalMessageIDs: messageIDs, shape: isReport ? .report : .notice)
    }

    /// The text before the returned copy: where the daemon says what failed.
    static func failurePart(of text: String) -> String {
        guard let marker = copyMarker(in: text) else { return text }
        return String(text[..<marker.lowerBound])
    }

    /// The copy of the message a plain-text notice returns after a marker line, parsed for its headers: the first
    /// marker after which a header block with a Message-ID or a recipient follows (Sendmail writes "The original
    /// message was received at …" long before its "Original message follows").
    static func returnedCopy(in text: String) -> MailMessage? {
        let lower = text.lowercased()
        guard lower.count == text.count else { return nil }
        var starts: [String.Index] = []
        for marker in copyMarkers {
            var from = lower.startIndex
            while let range = lower.range(of: marker, range: from..<lower.endIndex) {
                starts.append(range.upperBound)
                from = range.upperBound
            }
        }
        for start in starts.sorted() {
            let offset = lower.distance(from: lower.startIndex, to: start)
            var rest = text[text.index(text.startIndex, offsetBy: offset)...]
            guard let newline = rest.firstIndex(of: "\n") else { continue }
            rest = rest[rest.index(after: newline)...]
            while rest.first == "\n" || rest.first == " " { rest = rest.dropFirst() }
            let lines = rest.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasPrefix("> ") ? $0.dropFirst(2) : $0 }
            guard let copy = try? MailMessage.parse(Array(lines.joined(separator: "\n").utf8)) else { continue }
            if copy.header("Message-ID") != nil || copy.header("To") != nil { return copy }
        }
        return nil
    }

    static let copyMarkers = [
        "below this line is a copy of the message", "this is a copy of the message", "original message follows",
        "the original message was received", "------ this is a copy of", "--- the header of the original message",
        "the headers of the original message", "original message headers", "----- original message -----",
        "----- transcript of session follows", "returned message", "unsent message below", "message headers follow",
        "a copy of the original message", "copy of the original message", "kopie der nachricht", "copie du message",
    ]

    static func copyMarker(in text: String) -> Range<String.Index>? {
        let lower = text.lowercased()
        var best: Range<String.Index>?
        for marker in copyMarkers {
            if let range = lower.range(of: marker), best == nil || range.lowerBound < best!.lowerBound { best = range }
        }
        // Lowercasing can change lengths (İ); map back only when the texts line up.
        guard let best, lower.count == text.count else { return nil }
        let start = text.index(text.startIndex, offsetBy: lower.distance(from: lower.startIndex, to: best.lowerBound))
        let end = text.index(text.startIndex, offsetBy: lower.distance(from: lower.startIndex, to: best.upperBound))
        return start..<end
    }

    /// Every `local@domain` in `text`.
    static func addresses(in text: String) -> [String] {
        var found: [String] = []
        for token in text.split(whereSeparator: { " \t\n\r<>()[]\"',;:".contains($0) }) where token.contains("@") {
            let address = token.trimmingCharacters(in: CharacterSet(charactersIn: ".!?=")).replacingOccurrences(of: "mailto:", with: "")
            let pieces = address.split(separator: "@")
            guard pieces.count == 2, !pieces[0].isEmpty, pieces[1].contains("."), !address.contains("="), address.count < 255 else { continue }
            found.append(address)
        }
        return found
    }

    /// The first enhanced status code (`5.1.1`, `4.4.7`) in lowercased text.
    static func enhancedCode(in text: String) -> String? {
        let bytes = Array(text.utf8)
        var index = 0
        while index + 4 < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "4") || byte == UInt8(ascii: "5"), bytes[index + 1] == UInt8(ascii: "."),
                index == 0 || !isDigitOrDot(bytes[index - 1])
            {
                var cursor = index + 2
                let firstStart = cursor
                while cursor < bytes.count, isDigit(bytes[cursor]) { cursor += 1 }
                if cursor > firstStart, cursor - firstStart <= 3, cursor < bytes.count, bytes[cursor] == UInt8(ascii: ".") {
                    cursor += 1
                    let secondStart = cursor
                    while cursor < bytes.count, isDigit(bytes[cursor]) { cursor += 1 }
                    if cursor > secondStart, cursor - secondStart <= 3,
                        cursor == bytes.count || !isDigitOrDot(bytes[cursor])
                            || bytes[cursor] == UInt8(ascii: ".")
                                && (cursor + 1 == bytes.count || !isDigit(bytes[cursor + 1]))
                    {
                        return String(decoding: bytes[index..<cursor], as: UTF8.self)
                    }
                }
            }
            index += 1
        }
        return nil
    }

    /// An SMTP reply code (550, 554, 421, 452) standing as a word, as old daemons quote the remote server.
    static func basicCode(in text: String) -> String? {
        let bytes = Array(text.utf8)
        var index = 0
        while index + 3 <= bytes.count {
            let first = bytes[index]
            if first == UInt8(ascii: "4") || first == UInt8(ascii: "5"), isDigit(bytes[index + 1]), isDigit(bytes[index + 2]),
                index == 0 || !isWordByte(bytes[index - 1]), index + 3 == bytes.count || [32, 45, 10, 13, 41, 93].contains(bytes[index + 3])
            {
                let code = String(decoding: bytes[index..<(index + 3)], as: UTF8.self)
                if ["550", "551", "552", "553", "554", "450", "451", "452", "421", "441", "442", "447", "471", "521", "541", "556"].contains(code) {
                    return code
                }
            }
            index += 1
        }
        return nil
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
    private static func isDigitOrDot(_ byte: UInt8) -> Bool { isDigit(byte) || byte == UInt8(ascii: ".") }
    private static func isWordByte(_ byte: UInt8) -> Bool { isDigit(byte) || (byte | 0x20 >= 97 && byte | 0x20 <= 122) || byte == UInt8(ascii: ".") }
}
