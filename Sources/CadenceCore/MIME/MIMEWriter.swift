import Crypto
import Foundation

/// Writes an `OutgoingMessage` as RFC 5322 / MIME bytes with CRLF line endings.
///
/// The output is a pure function of the message: boundaries derive from the Message-ID, so the bytes recorded
/// before a send are the bytes sent, on every retry. Boundaries start with `=_`, which neither quoted-printable
/// nor base64 can produce, so they never collide with content.
public enum MIMEWriter {
    public static func write(_ message: OutgoingMessage) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.text.utf8.count + message.html.utf8.count * 2 + 1_024)
        let seed = SHA256.hash(data: Array(message.messageID.utf8)).prefix(12).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        func header(_ name: String, _ value: String) {
            out += Array("\(name): \(value)\r\n".utf8)
        }
        header("From", HeaderEncoding.mailbox(name: message.from.name, address: message.from.address))
        header("To", HeaderEncoding.mailbox(name: message.to.name, address: message.to.address))
        header("Subject", HeaderEncoding.unstructured(message.subject, headerName: "Subject"))
        header("Date", RFC5322Date.format(message.date))
        header("Message-ID", "<\(message.messageID)>")
        if let inReplyTo = message.inReplyTo {
            header("In-Reply-To", "<\(inReplyTo)>")
        }
        if !message.references.isEmpty {
            header("References", message.references.map { "<\($0)>" }.joined(separator: "\r\n "))
        }
        for (name, value) in message.extraHeaders { header(name, value) }
        header("MIME-Version", "1.0")

        let alternative = "=_alt_\(seed)"
        if message.attachments.isEmpty {
            header("Content-Type", "multipart/alternative; boundary=\"\(alternative)\"")
            out += [13, 10]
            writeAlternative(message, boundary: alternative, into: &out)
        } else {
            let mixed = "=_mix_\(seed)"
            header("Content-Type", "multipart/mixed; boundary=\"\(mixed)\"")
            out += [13, 10]
            out += Array("--\(mixed)\r\nContent-Type: multipart/alternative; boundary=\"\(alternative)\"\r\n\r\n".utf8)
            writeAlternative(message, boundary: alternative, into: &out)
            for attachment in message.attachments {
                out += Array("--\(mixed)\r\n".utf8)
                out += Array("Content-Type: \(attachment.contentType)\r\n".utf8)
                out += Array("Content-Disposition: attachment; \(HeaderEncoding.filenameParameter(attachment.filename))\r\n".utf8)
                out += Array("Content-Transfer-Encoding: base64\r\n\r\n".utf8)
                Base64.encode(attachment.data, into: &out)
            }
            out += Array("--\(mixed)--\r\n".utf8)
        }
        return out
    }

    private static func writeAlternative(_ message: OutgoingMessage, boundary: String, into out: inout [UInt8]) {
        out += Array("--\(boundary)\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n".utf8)
        QuotedPrintable.encode(message.text, into: &out)
        out += Array("--\(boundary)\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n".utf8)
        QuotedPrintable.encode(message.html, into: &out)
        out += Array("--\(boundary)--\r\n".utf8)
    }

    /// The message as Gmail's `users.messages.send` takes it in `raw`.
    public static func gmailRaw(_ message: OutgoingMessage) -> String {
        Base64.urlEncoded(write(message))
    }
}

/// `Sat, 28 Nov 2026 17:46:15 +0000`, computed without a locale or a formatter.
public enum RFC5322Date {
    private static let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func format(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let dayNumber = Int((Double(seconds) / 86_400).rounded(.down))
        let secondOfDay = seconds - dayNumber * 86_400
        let (year, month, day) = civil(fromDays: dayNumber)
        let weekday = days[((dayNumber % 7) + 7) % 7]
        func two(_ n: Int) -> String { String(n).leftPadded(to: 2) }
        return "\(weekday), \(day) \(months[month - 1]) \(year) \(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) +0000"
    }

    /// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
