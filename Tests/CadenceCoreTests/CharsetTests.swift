import CadenceCore
import Foundation
import Testing

/// Mail arrives in its sender's legacy charset. Each charset the incoming-mail issue names is read in a body part
/// (in both transfer encodings) and in an RFC 2047 encoded word, with the charset written as mail systems write it.
@Suite("Legacy charsets and RFC 2231 parameters")
struct CharsetTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var charset: String
        var text: String
        var bytes: [UInt8]
        init(_ charset: String, _ text: String, _ bytes: [UInt8]) {
            self.charset = charset
            self.text = text
            self.bytes = bytes
        }
        var testDescription: String { charset }
    }

    static let cases: [Case] = [
        Case("iso-8859-1", "Grüße aus Köln", [0x47, 0x72, 0xFC, 0xDF, 0x65, 0x20, 0x61, 0x75, 0x73, 0x20, 0x4B, 0xF6, 0x6C, 0x6E]),
        Case("ISO-8859-2", "Zażółć gęślą jaźń", [0x5A, 0x61, 0xBF, 0xF3, 0xB3, 0xE6, 0x20, 0x67, 0xEA, 0xB6, 0x6C, 0xB1, 0x20, 0x6A, 0x61, 0xBC, 0xF1]),
        Case("iso-8859-15", "Prix : 20 € œuvre", [0x50, 0x72, 0x69, 0x78, 0x20, 0x3A, 0x20, 0x32, 0x30, 0x20, 0xA4, 0x20, 0xBD, 0x75, 0x76, 0x72, 0x65]),
        Case("windows-1250", "Děkuji, odhlásit prosím", [0x44, 0xEC, 0x6B, 0x75, 0x6A, 0x69, 0x2C, 0x20, 0x6F, 0x64, 0x68, 0x6C, 0xE1, 0x73, 0x69, 0x74, 0x20, 0x70, 0x72, 0x6F, 0x73, 0xED, 0x6D]),
        Case(
            "windows-1251", "Пожалуйста, отпишите меня",
            [0xCF, 0xEE, 0xE6, 0xE0, 0xEB, 0xF3, 0xE9, 0xF1, 0xF2, 0xE0, 0x2C, 0x20, 0xEE, 0xF2, 0xEF, 0xE8, 0xF8, 0xE8, 0xF2, 0xE5, 0x20, 0xEC, 0xE5, 0xED, 0xFF]),
        Case("windows-1252", "“Don’t” cost 5 €", [0x93, 0x44, 0x6F, 0x6E, 0x92, 0x74, 0x94, 0x20, 0x63, 0x6F, 0x73, 0x74, 0x20, 0x35, 0x20, 0x80]),
        Case("KOI8-R", "Я в отпуске до 9 декабря", [0xF1, 0x20, 0xD7, 0x20, 0xCF, 0xD4, 0xD0, 0xD5, 0xD3, 0xCB, 0xC5, 0x20, 0xC4, 0xCF, 0x20, 0x39, 0x20, 0xC4, 0xC5, 0xCB, 0xC1, 0xC2, 0xD2, 0xD1]),
        Case(
            "ISO-2022-JP", "配信停止してください", [0x1B, 0x24, 0x42, 0x47, 0x5B, 0x3F, 0x2E, 0x44, 0x64, 0x3B, 0x5F, 0x24, 0x37, 0x24, 0x46, 0x24, 0x2F, 0x24, 0x40, 0x24, 0x35, 0x24, 0x24, 0x1B, 0x28, 0x42]),
        Case("Shift_JIS", "12月9日まで不在です", [0x31, 0x32, 0x8C, 0x8E, 0x39, 0x93, 0xFA, 0x82, 0xDC, 0x82, 0xC5, 0x95, 0x73, 0x8D, 0xDD, 0x82, 0xC5, 0x82, 0xB7]),
        Case("EUC-JP", "休暇中です。ｶﾀｶﾅ", [0xB5, 0xD9, 0xB2, 0xCB, 0xC3, 0xE6, 0xA4, 0xC7, 0xA4, 0xB9, 0xA1, 0xA3, 0x8E, 0xB6, 0x8E, 0xC0, 0x8E, 0xB6, 0x8E, 0xC5]),
        Case("GB2312", "请不要再给我发邮件", [0xC7, 0xEB, 0xB2, 0xBB, 0xD2, 0xAA, 0xD4, 0xD9, 0xB8, 0xF8, 0xCE, 0xD2, 0xB7, 0xA2, 0xD3, 0xCA, 0xBC, 0xFE]),
        Case("GBK", "我正在休假", [0xCE, 0xD2, 0xD5, 0xFD, 0xD4, 0xDA, 0xD0, 0xDD, 0xBC, 0xD9]),
        Case("GB18030", "我正在休假€", [0xCE, 0xD2, 0xD5, 0xFD, 0xD4, 0xDA, 0xD0, 0xDD, 0xBC, 0xD9, 0xA2, 0xE3]),
        Case("Big5", "請不要再寄信給我", [0xBD, 0xD0, 0xA4, 0xA3, 0xAD, 0x6E, 0xA6, 0x41, 0xB1, 0x48, 0xAB, 0x48, 0xB5, 0xB9, 0xA7, 0xDA]),
        Case("EUC-KR", "수신 거부합니다", [0xBC, 0xF6, 0xBD, 0xC5, 0x20, 0xB0, 0xC5, 0xBA, 0xCE, 0xC7, 0xD5, 0xB4, 0xCF, 0xB4, 0xD9]),
        Case("ks_c_5601-1987", "자동 회신", [0xC0, 0xDA, 0xB5, 0xBF, 0x20, 0xC8, 0xB8, 0xBD, 0xC5]),
    ]

    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    @Test("a base64 body part in the charset it declares", arguments: cases)
    func base64Body(_ sample: Case) throws {
        let raw = "From: a@example.org\r\nContent-Type: text/plain; charset=\"\(sample.charset)\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\(Self.base64(sample.bytes))\r\n"
        let message = try MailMessage.parse(Array(raw.utf8))
        #expect(message.text.trimmingCharacters(in: .whitespacesAndNewlines) == sample.text)
    }

    @Test("an 8-bit body part in the charset it declares", arguments: cases)
    func eightBitBody(_ sample: Case) throws {
        let head = Array("From: a@example.org\nContent-Type: text/plain; charset=\(sample.charset.lowercased())\nContent-Transfer-Encoding: 8bit\n\n".utf8)
        let message = try MailMessage.parse(head + sample.bytes)
        #expect(message.text == sample.text)
    }

    @Test("an RFC 2047 encoded word in the charset it names", arguments: cases)
    func encodedWord(_ sample: Case) {
        #expect(HeaderEncoding.decode("Re: =?\(sample.charset)?B?\(Self.base64(sample.bytes))?=") == "Re: \(sample.text)")
    }

    @Test("windows-1252 quoted-printable: curly quotes and the euro sign, not control characters")
    func windows1252QuotedPrintable() throws {
        let raw = "Content-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: quoted-printable\n\n=93Thanks=94 =96 I=92m out, 5 =80\n"
        #expect(try MailMessage.parse(Array(raw.utf8)).text == "“Thanks” – I’m out, 5 €\n")
        #expect(HeaderEncoding.decode("=?windows-1252?Q?=93Out=94?=") == "“Out”")
    }

    @Test("an undecodable body in a declared charset is still read (as UTF-8), never dropped")
    func undecodable() throws {
        let raw = Array("Content-Type: text/plain; charset=x-unheard-of\n\nplease stop\n".utf8)
        #expect(try MailMessage.parse(raw).text == "please stop\n")
    }

    @Test("RFC 2231: an extended value with charset and language, and numbered continuations")
    func rfc2231() throws {
        let raw = """
            Content-Type: multipart/mixed; boundary=b

            --b
            Content-Type: application/pdf; name*=iso-8859-1'de'Lebenslauf%20J%FCrgen.pdf
            Content-Disposition: attachment; filename*0*=UTF-8''%E5%B1%A5%E6%AD%B4; filename*1*=%E6%9B%B8; filename*2=".pdf"

            x
            --b
            Content-Type: text/plain; charset*=us-ascii'en'utf-8; format="flowed; really"
            Content-Disposition: inline; filename="=?UTF-8?B?UmVwbHkg4oCUIG5vdGVzLnR4dA==?="

            Gl=C3=BCck
            --b--
            """
        let message = try MailMessage.parse(Array(raw.utf8))
        #expect(message.parts.count == 2)
        #expect(message.parts[0].parameter("name") == "Lebenslauf Jürgen.pdf")
        #expect(message.parts[0].parameter("filename", of: "Content-Disposition") == "履歴書.pdf")
        #expect(message.parts[1].parameter("charset") == "utf-8")
        #expect(message.parts[1].parameter("format") == "flowed; really")
        #expect(message.parts[1].parameter("filename", of: "Content-Disposition") == "Reply — notes.txt")
    }

    @Test("quoted-printable soft line breaks with bare LF or trailing spaces, and lowercase hex, as mail systems write them")
    func quotedPrintableSoftBreaks() throws {
        let raw = "Content-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: quoted-printable\n\nback on Wednesday 9 De=\ncember, Siobh=e1n =  \r\nMurphy\n"
        #expect(try MailMessage.parse(Array(raw.utf8)).text == "back on Wednesday 9 December, Siobhán Murphy\n")
    }
}
