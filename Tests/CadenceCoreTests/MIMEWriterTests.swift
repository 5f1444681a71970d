import CadenceCore
import Foundation
import PropertyBased
import Testing

@Suite("MIME: the message itself, parsed back")
struct MIMEWriterTests {
    static let date = Date(timeIntervalSince1970: 1_796_115_600)  // 2026-12-01T09:00:00Z

    static func message(
        subject: String = "Quick question", toName: String? = "Ana Ruiz", text: String = "Hi Ana,\n\nA note.\n",
        html: String = "<p>Hi Ana,</p><p>A note.</p>", attachments: [OutgoingMessage.Attachment] = []
    ) -> OutgoingMessage {
        OutgoingMessage(
            from: .init(name: "Sam Carter", address: "sam@example.com"), to: .init(name: toName, address: "ana@example.org"),
            subject: subject, date: date, messageID: "cadence.q1.intro.abc@example.com",
            inReplyTo: "cadence.q1.first.abc@example.com", references: ["cadence.q1.first.abc@example.com"],
            extraHeaders: [("X-Cadence-Send-Id", "q1.intro.abc")], text: text, html: html, attachments: attachments)
    }

    /// Checks every structural rule and returns the parsed message.
    @discardableResult
    static func checkRules(_ bytes: [UInt8]) throws -> ParsedPart {
        // CRLF only: no bare CR or LF anywhere.
        for (index, byte) in bytes.enumerated() {
            if byte == 10 { #expect(index > 0 && bytes[index - 1] == 13, "bare LF at \(index)") }
            if byte == 13 { #expect(index + 1 < bytes.count && bytes[index + 1] == 10, "bare CR at \(index)") }
        }
        // Every line at most 998 octets; 7-bit only.
        for line in bytes.split(separator: 10, omittingEmptySubsequences: false) {
            #expect(line.count <= 999, "a line of \(line.count) octets")
            #expect(line.allSatisfy { $0 < 128 }, "8-bit data in a line")
        }
        let parsed = try ParsedPart(bytes)
        for name in ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version"] {
            #expect(parsed.header(name) != nil, "no \(name) header")
        }
        return parsed
    }

    @Test("headers, multipart/alternative with text before HTML, quoted-printable bodies")
    func structure() throws {
        let bytes = MIMEWriter.write(Self.message())
        let parsed = try Self.checkRules(bytes)
        #expect(parsed.header("From") == "Sam Carter <sam@example.com>")
        #expect(parsed.header("To") == "Ana Ruiz <ana@example.org>")
        #expect(parsed.header("Date") == "Tue, 1 Dec 2026 09:00:00 +0000")
        #expect(parsed.header("Message-ID") == "<cadence.q1.intro.abc@example.com>")
        #expect(parsed.header("In-Reply-To") == "<cadence.q1.first.abc@example.com>")
        #expect(parsed.header("References") == "<cadence.q1.first.abc@example.com>")
        #expect(parsed.header("X-Cadence-Send-Id") == "q1.intro.abc")
        #expect(parsed.header("MIME-Version") == "1.0")
        #expect(parsed.contentType.hasPrefix("multipart/alternative; boundary=\"=_"))
        #expect(parsed.parts.map(\.contentType) == ["text/plain; charset=UTF-8", "text/html; charset=UTF-8"])
        #expect(parsed.parts[0].header("Content-Transfer-Encoding") == "quoted-printable")
        #expect(parsed.parts[0].decodedText == "Hi Ana,\n\nA note.\n")
        #expect(parsed.parts[1].decodedText == "<p>Hi Ana,</p><p>A note.</p>\n")
    }

    @Test("non-ASCII names and subjects become RFC 2047 words of at most 75 characters")
    func encodedWords() throws {
        let subject = "Zoë, une question rapide sur l’équipe paiements — et un café à Genève ☕️ la semaine prochaine ?"
        let bytes = MIMEWriter.write(Self.message(subject: subject, toName: "Zoë O'Connor-Åström"))
        let parsed = try Self.checkRules(bytes)
        let rawSubject = try #require(parsed.header("Subject"))
        #expect(ParsedPart.decodeWords(rawSubject) == subject)
        #expect(ParsedPart.decodeWords(try #require(parsed.header("To"))) == "Zoë O'Connor-Åström <ana@example.org>")
        let headerText = String(decoding: bytes[..<(ParsedPart.find([13, 10, 13, 10], in: bytes)!)], as: UTF8.self)
        for word in headerText.components(separatedBy: CharacterSet(charactersIn: " \r\n")) where word.hasPrefix("=?") {
            #expect(word.count <= 75, "encoded word of \(word.count) characters")
        }
    }

    @Test("display names with specials are quoted; long ASCII subjects are folded")
    func quotingAndFolding() throws {
        let subject = String(repeating: "word ", count: 40) + "end"
        var message = Self.message(subject: subject, toName: "Ruiz, Ana \"AR\"")
        message.from.name = nil
        let bytes = MIMEWriter.write(message)
        let parsed = try Self.checkRules(bytes)
        #expect(parsed.header("To") == "\"Ruiz, Ana \\\"AR\\\"\" <ana@example.org>")
        #expect(parsed.header("From") == "sam@example.com")
        #expect(parsed.header("Subject") == subject)
        let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.filter { $0.hasPrefix("Subject:") || $0.hasPrefix(" word") }.allSatisfy { $0.count <= 78 })
    }

    @Test("long lines, trailing spaces, '=' and line-start dots survive quoted-printable within 76 characters")
    func quotedPrintable() throws {
        let text = String(repeating: "é", count: 300) + "\n" + String(repeating: "x", count: 5000) + "  \n.\nFrom here\na=b\t\n"
        let bytes = MIMEWriter.write(Self.message(text: text))
        let parsed = try Self.checkRules(bytes)
        #expect(parsed.parts[0].decodedText == text)
        let encodedLines = String(decoding: parsed.parts[0].body, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(encodedLines.allSatisfy { $0.count <= 76 })
        #expect(!encodedLines.contains { $0.hasSuffix(" ") || $0.hasSuffix("\t") })
        #expect(!encodedLines.contains { $0.hasPrefix("From ") || $0 == "." })
    }

    @Test("attachments: multipart/mixed, base64 in 76-character lines, the right type and name")
    func attachments() throws {
        let pdf = OutgoingMessage.Attachment(filename: "brief.pdf", contentType: "application/pdf", data: Array(0...255) + Array(repeating: 7, count: 1000))
        let notes = OutgoingMessage.Attachment(filename: "notes – Zoë.txt", contentType: "text/plain; charset=UTF-8", data: Array("hello\n".utf8))
        let bytes = MIMEWriter.write(Self.message(attachments: [pdf, notes]))
        let parsed = try Self.checkRules(bytes)
        #expect(parsed.contentType.hasPrefix("multipart/mixed; boundary=\"=_mix_"))
        #expect(parsed.parts.count == 3)
        #expect(parsed.parts[0].contentType.hasPrefix("multipart/alternative"))
        #expect(parsed.parts[0].parts.count == 2)
        #expect(parsed.parts[1].contentType == "application/pdf")
        #expect(parsed.parts[1].header("Content-Disposition") == "attachment; filename=\"brief.pdf\"")
        #expect(parsed.parts[1].decoded == pdf.data)
        #expect(String(decoding: parsed.parts[1].body, as: UTF8.self).components(separatedBy: "\r\n").allSatisfy { $0.count <= 76 })
        #expect(parsed.parts[2].header("Content-Disposition") == "attachment; filename*=UTF-8''notes%20%E2%80%93%20Zo%C3%AB.txt")
        #expect(parsed.parts[2].decoded == notes.data)
        // Boundaries differ from each other and appear nowhere in the content.
        let outer = try #require(parsed.boundary), inner = try #require(parsed.parts[0].boundary)
        #expect(outer != inner)
        for part in parsed.parts + parsed.parts[0].parts {
            #expect(!String(decoding: part.body, as: UTF8.self).contains(outer))
        }
    }

    @Test("the same message always gives the same bytes; different messages get different boundaries")
    func deterministic() {
        #expect(MIMEWriter.write(Self.message()) == MIMEWriter.write(Self.message()))
        var other = Self.message()
        other.messageID = "cadence.q1.intro.def@example.com"
        let a = try? ParsedPart(MIMEWriter.write(Self.message())), b = try? ParsedPart(MIMEWriter.write(other))
        #expect(a?.boundary != nil && a?.boundary != b?.boundary)
    }

    @Test("the Gmail raw field is base64url without padding and decodes to the exact bytes")
    func gmailRaw() {
        let message = Self.message(subject: "Zoë ???>>>", text: String(repeating: "ÿ?>", count: 100))
        let raw = MIMEWriter.gmailRaw(message)
        #expect(raw.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" })
        #expect(Base64.decode(Array(raw.utf8)) == MIMEWriter.write(message))
        #expect(Base64.urlEncoded([0xFB, 0xFF]) == "-_8")
    }

    @Test("dates are RFC 5322, in UTC, on leap days and across years")
    func dates() {
        #expect(RFC5322Date.format(Date(timeIntervalSince1970: 0)) == "Thu, 1 Jan 1970 00:00:00 +0000")
        #expect(RFC5322Date.format(Date(timeIntervalSince1970: 1_709_164_799)) == "Wed, 28 Feb 2024 23:59:59 +0000")
        #expect(RFC5322Date.format(Date(timeIntervalSince1970: 1_709_251_199)) == "Thu, 29 Feb 2024 23:59:59 +0000")
        #expect(RFC5322Date.format(Date(timeIntervalSince1970: 1_798_761_600)) == "Fri, 1 Jan 2027 00:00:00 +0000")
    }

    @Test("any text survives quoted-printable, within the line limits (fixed seed)")
    func quotedPrintableProperty() {
        let characters = Gen.oneOf(
            Gen.element(of: Array("ab =.\t\nFrom é€😀\r".map { $0 })).map { $0! }.eraseToAnySequence(),
            Gen.uint32(in: 0x20...0x2FFF).compactMap { UnicodeScalar($0).map(Character.init) }.eraseToAnySequence()
        )
        seededCheck(count: 400, characters.array(of: 0...400)) { index, input in
            let text = String(String.UnicodeScalarView(String(input).unicodeScalars.filter { $0 != "\r" }))
            var encoded: [UInt8] = []
            QuotedPrintable.encode(text, into: &encoded)
            let lines = encoded.split(separator: 10, omittingEmptySubsequences: false).dropLast()
            #expect(lines.allSatisfy { $0.count <= 77 && $0.last == 13 && $0.allSatisfy { $0 < 128 } }, "case \(index)")
            let expected = text.hasSuffix("\n") || text.isEmpty ? text : text + "\n"
            // Compare bytes: the text has no CR, so every CR in the output is the encoder's line ending.
            let decoded = QuotedPrintable.decode(encoded).filter { $0 != 13 }
            #expect(decoded == Array((text.isEmpty ? "\n" : expected).utf8), "case \(index): \(text.debugDescription)")
        }
    }
}

extension MIMEWriterTests {
    @Test("very long names and subjects, and text that looks like an encoded word, still give short, honest header lines")
    func hostileHeaders() throws {
        let long = String(repeating: "A", count: 1_000)
        let bytes = MIMEWriter.write(Self.message(subject: "=?utf-8?q?Invoice_paid?= " + long, toName: "=?utf-8?q?hi?= " + long))
        let parsed = try Self.checkRules(bytes)
        let headerLines = String(decoding: bytes[..<(ParsedPart.find([13, 10, 13, 10], in: bytes)!)], as: UTF8.self).components(separatedBy: "\r\n")
        #expect(headerLines.allSatisfy { $0.count <= 78 || ($0.hasSuffix(">") && $0.count <= 998) }, "\(headerLines.map(\.count).max() ?? 0)")
        #expect(headerLines.filter { $0.contains("=?UTF-8?B?") }.allSatisfy { $0.count <= 76 || $0.hasSuffix(">") })
        #expect(ParsedPart.decodeWords(try #require(parsed.header("Subject"))) == "=?utf-8?q?Invoice_paid?= " + long)
        #expect(ParsedPart.decodeWords(try #require(parsed.header("To"))) == "=?utf-8?q?hi?= \(long) <ana@example.org>")
        #expect(try #require(parsed.header("To")).hasPrefix("=?UTF-8?B?"))
    }
}

@Suite("RFC 2047 decoding")
struct HeaderDecodingTests {
    @Test("B and Q words decode; the space between adjacent words goes; malformed words stay as written")
    func decode() {
        #expect(HeaderEncoding.decode("=?UTF-8?B?UmU6IFBheW1lbnRzIHBsYXRmb3JtIGF0IE5vcnRod2luZCwgSsO8?= =?UTF-8?B?cmdlbg==?=") == "Re: Payments platform at Northwind, Jürgen")
        #expect(HeaderEncoding.decode("=?iso-8859-1?Q?Caf=E9_au_lait?= today") == "Café au lait today")
        #expect(HeaderEncoding.decode("Plain subject") == "Plain subject")
        #expect(HeaderEncoding.decode("a =?UTF-8?X?zz?= b") == "a =?UTF-8?X?zz?= b")
        #expect(HeaderEncoding.decode("=?utf-8?q?Out_of_Office?=: back Monday") == "Out of Office: back Monday")
        // What the writer encodes, the decoder restores.
        let subject = "Ünïcödé subject that is long enough to be folded into several encoded words, Jürgen"
        #expect(HeaderEncoding.decode(HeaderEncoding.unstructured(subject, headerName: "Subject").replacingOccurrences(of: "\r\n", with: "")) == subject)
    }
}
