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
        let textBytes = Array(text.utf8)
        let lowerText = asciiLowercased(textBytes)
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
            !textFinds.contains(where: { $0.entry.kind == .bounceText || $0.entry.kind == .delayText }), enhancedCode(in: lowerText[...]) == nil
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
                .trimmed { " <>\t\"'".unicodeScalars.contains($0) }
            guard address.contains("@"), !recipients.contains(where: { $0.lowercased() == address.lowercased() }) else { return }
            recipients.append(address)
        }
        func addMessageID(_ value: String) {
            for token in value.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }) where token.contains("@") {
                let id = token.hasPrefix("<") ? String(token) : "<\(token.trimmed { "<>".unicodeScalars.contains($0) })>"
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
            if let status = group.header("Status") { statuses.append(status.trimmed()) }
            if let action = group.header("Action") { actions.append(action.trimmed().lowercased()) }
        }
        failedHeader.forEach(addAddress)
        // The returned message or its headers, as a part or, in a plain-text notice, after its marker line.
        var returned = message.allParts.filter { ["message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers"].contains($0.mimeType) }
            .flatMap { part in part.parts.isEmpty ? [(try? MailMessage.parse(part.decodedBody)).map { $0 }].compactMap { $0 } : part.parts }
        let markers = copyMarkerMatcher.hits(in: lowerText)
        if returned.isEmpty, let copy = returnedCopy(in: textBytes, markers: markers) { returned.append(copy) }
        for copy in returned {
            copy.headers(named: "Message-ID").forEach(addMessageID)
            for name in ["To", "Cc", "Delivered-To", "X-Original-To"] {
                copy.headers(named: name).flatMap { AddressList.addresses(in: $0) }.forEach(addAddress)
            }
        }
        message.headers(named: "In-Reply-To").forEach(addMessageID)
        message.headers(named: "References").forEach(addMessageID)
        // Addresses the failure text names (qmail's `<ana@example.org>:`, Exim's indented list, Exchange's).
        // The text before the returned copy: where the daemon says what failed.
        let failureEnd = markers.map(\.start).min() ?? textBytes.count
        let failureText = lowerText[..<failureEnd]
        for address in addresses(in: textBytes[..<failureEnd]) where address.lowercased() != from { addAddress(address) }
        let ownRecipients = Set(message.headers(named: "To").flatMap { AddressList.addresses(in: $0) }.map { $0.lowercased() })
        recipients.removeAll { ownRecipients.contains($0.lowercased()) }

        // Permanent or transient.
        let textCode = enhancedCode(in: failureText)
        let status = statuses.first ?? textCode ?? basicCode(in: failureText)
        let delayed =
            actions.contains("delayed") || textFinds.contains { $0.entry.kind == .delayText }
            || HeaderEncoding.decode(message.header("Subject") ?? "").lowercased().contains("delay")
        let permanent: Bool
        if let code = statuses.first ?? textCode {
            permanent = code.hasPrefix("5") && !actions.contains("delayed")
        } else if let basic = basicCode(in: failureText) {
            permanent = basic.hasPrefix("5") && !delayed
        } else if actions.contains(where: { $0 == "delivered" || $0 == "relayed" || $0 == "expanded" }), !actions.contains("failed") {
            return nil  // a success notification: nothing failed
        } else {
            permanent = !delayed
        }
        return BounceReport(
            permanent: permanent, status: status, recipients: recipients, originalMessageIDs: messageIDs, shape: isReport ? .report : .notice)
    }

    /// UTF-8 with ASCII letters lowercased. Offsets stay those of the text (`String.lowercased()` can
    /// change lengths, as with İ), and everything looked for in a daemon's text (markers, codes, addresses) is ASCII.
    static func asciiLowercased(_ bytes: [UInt8]) -> [UInt8] { bytes.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 } }

    /// The copy of the message a plain-text notice returns after a marker line, parsed for its headers: the first
    /// marker after which a header block with a Message-ID or a recipient follows (Sendmail writes "The original
    /// message was received at …" long before its "Original message follows").
    static func returnedCopy(in text: [UInt8], markers: [PhraseMatcher.Hit]) -> MailMessage? {
        for end in markers.map(\.end).sorted() {
            guard var start = text[end...].firstIndex(of: 10) else { continue }
            start += 1
            while start < text.count, text[start] == 10 || text[start] == 32 { start += 1 }
            var copy: [UInt8] = []
            copy.reserveCapacity(text.count - start)
            var lineStart = true
            var index = start
            while index < text.count {
                // A copy quoted with "> " is read without the quote marks.
                if lineStart, text[index] == 62, index + 1 < text.count, text[index + 1] == 32 { index += 2 }
                guard index < text.count else { break }
                copy.append(text[index])
                lineStart = text[index] == 10
                index += 1
            }
            guard let message = try? MailMessage.parse(copy) else { continue }
            if message.header("Message-ID") != nil || message.header("To") != nil { return message }
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
    static let copyMarkerMatcher = PhraseMatcher(copyMarkers)

    /// Every `local@domain` in `text` (bytes), as written.
    static func addresses(in text: String) -> [String] { addresses(in: Array(text.utf8)[...]) }

    static func addresses(in text: ArraySlice<UInt8>) -> [String] {
        var found: [String] = []
        var index = text.startIndex
        while index < text.endIndex {
            while index < text.endIndex, isAddressSeparator(text[index]) { index += 1 }
            let start = index
            var at = false
            while index < text.endIndex, !isAddressSeparator(text[index]) {
                if text[index] == 64 { at = true }
                index += 1
            }
            guard at else { continue }
            var token = text[start..<index]
            // Sentence punctuation around it, and a `mailto:` in front.
            while let first = token.first, [46, 33, 63, 61].contains(first) { token = token.dropFirst() }
            while let last = token.last, [46, 33, 63, 61].contains(last) { token = token.dropLast() }
            var address = String(decoding: token, as: UTF8.self)
            if address.contains("mailto:") { address = address.replacingOccurrences(of: "mailto:", with: "") }
            let pieces = address.utf8.split(separator: 64)
            guard pieces.count == 2, !pieces[0].isEmpty, pieces[1].contains(46), !address.utf8.contains(61), address.utf8.count < 255 else { continue }
            found.append(address)
        }
        return found
    }

    /// White space, angle brackets, parentheses, brackets, quotes, comma, semicolon and colon end an address.
    private static func isAddressSeparator(_ byte: UInt8) -> Bool {
        switch byte {
        case 32, 9, 10, 13, 60, 62, 40, 41, 91, 93, 34, 39, 44, 59, 58: true
        default: false
        }
    }

    /// The first enhanced status code (`5.1.1`, `4.4.7`) in the text.
    static func enhancedCode(in bytes: ArraySlice<UInt8>) -> String? {
        var index = bytes.startIndex
        while index + 4 < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "4") || byte == UInt8(ascii: "5"), bytes[index + 1] == UInt8(ascii: "."),
                index == bytes.startIndex || !isDigitOrDot(bytes[index - 1])
            {
                var cursor = index + 2
                let firstStart = cursor
                while cursor < bytes.endIndex, isDigit(bytes[cursor]) { cursor += 1 }
                if cursor > firstStart, cursor - firstStart <= 3, cursor < bytes.endIndex, bytes[cursor] == UInt8(ascii: ".") {
                    cursor += 1
                    let secondStart = cursor
                    while cursor < bytes.endIndex, isDigit(bytes[cursor]) { cursor += 1 }
                    if cursor > secondStart, cursor - secondStart <= 3,
                        cursor == bytes.endIndex || !isDigitOrDot(bytes[cursor])
                            || bytes[cursor] == UInt8(ascii: ".")
                                && (cursor + 1 == bytes.endIndex || !isDigit(bytes[cursor + 1]))
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
    static func basicCode(in bytes: ArraySlice<UInt8>) -> String? {
        var index = bytes.startIndex
        while index + 3 <= bytes.endIndex {
            let first = bytes[index]
            if first == UInt8(ascii: "4") || first == UInt8(ascii: "5"), isDigit(bytes[index + 1]), isDigit(bytes[index + 2]),
                index == bytes.startIndex || !isWordByte(bytes[index - 1]), index + 3 == bytes.endIndex || [32, 45, 10, 13, 41, 93].contains(bytes[index + 3])
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
