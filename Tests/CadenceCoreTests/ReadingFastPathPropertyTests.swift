import Foundation
import PropertyBased
import Testing

@testable import CadenceCore

/// The classifier's hot paths were rewritten as single passes over bytes (BENCHMARKS.md, classifier throughput). Each
/// must give exactly what the Foundation form it replaced gives, kept here as the reference, on text mixing ASCII,
/// accents both composed and decomposed, Turkish İ, CJK, typographic apostrophes and every kind of white space.
@Suite("Reading mail: the byte-level fast paths agree with the Foundation forms they replaced (fixed seed)")
struct ReadingFastPathPropertyTests {
    static let pieces = Gen.element(of: [
        "a", "Z", "Out", "OF", "office", " ", "  ", "\t", "\n", "\r\n", "\u{A0}", "\u{2003}", "\u{200B}", "\u{FEFF}", "é", "e\u{301}",
        "İ", "ß", "Ω", "Ǆ", "’", "`", "´", "：", "不在", "年", "12", "9", ".", ":", "<", ">", "<b>", "<>", "</p>", "@", "ana@example.org",
        "\u{85}", "\u{2028}", "Ä", "A\u{308}", "😀", "👩‍💼",
    ]).map { $0! }

    /// `PhraseText.normalized` as it was: `String.lowercased()` first, then scalar by scalar.
    static func referenceNormalized(_ text: String) -> [UInt8] {
        var source = text
        if source.unicodeScalars.contains(where: { (0x300...0x36F).contains($0.value) }) {
            source = source.precomposedStringWithCanonicalMapping
        }
        var out: [UInt8] = []
        var pendingSpace = false
        for scalar in source.lowercased().unicodeScalars {
            var value = scalar
            switch scalar.value {
            case 0x2019, 0x2018, 0x02BC, 0x00B4, 0x0060: value = "'"
            case 0xFF1A: value = ":"
            case 0x0307: continue
            default: break
            }
            if value.properties.isWhitespace || value.value == 0xA0 || value.value == 0x200B || value.value == 0xFEFF {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                out.append(32)
                pendingSpace = false
            }
            out.append(contentsOf: UTF8.encode(value)!)
        }
        return out
    }

    @Test("normalising: lowercase, one space per run of white space, composed accents, plain apostrophes")
    func normalized() {
        seededCheck(count: 4_000, Self.pieces.array(of: 0...16)) { index, parts in
            let text = parts.joined()
            #expect(PhraseText.normalized(text) == Self.referenceNormalized(text), "case \(index): \(text.debugDescription)")
            #expect(PhraseText.normalized(text[...]) == Self.referenceNormalized(text), "case \(index) as a Substring")
        }
    }

    @Test("tags out of HTML: what the regular expression <[^>]+> would leave, a space for each tag")
    func withoutTags() {
        seededCheck(count: 4_000, Self.pieces.array(of: 0...16)) { index, parts in
            let html = parts.joined()
            let reference = html.replacingOccurrences(of: "<[^>]+>", with: " ", options: .regularExpression)
            #expect(MailMessage.withoutTags(html) == reference, "case \(index): \(html.debugDescription)")
        }
    }

    @Test("trimming spaces and tabs: what CharacterSet.whitespaces trims")
    func trimmed() {
        seededCheck(count: 4_000, Self.pieces.array(of: 0...10)) { index, parts in
            let text = parts.joined()
            #expect(text.trimmed() == text.trimmingCharacters(in: .whitespaces), "case \(index): \(text.debugDescription)")
        }
    }

    @Test("a snippet is the text on one line, at most 200 characters")
    func snippet() {
        seededCheck(count: 2_000, Self.pieces.array(of: 0...200)) { index, parts in
            let text = parts.joined()
            let reference = String(text.split(whereSeparator: \.isWhitespace).joined(separator: " ").prefix(200))
            #expect(IncomingMail.snippet(text) == reference, "case \(index): \(text.debugDescription)")
        }
    }

    @Test("header names are compared without ASCII case, and only ASCII letters fold")
    func headerNames() {
        #expect(MailMessage.sameName("Content-TYPE", "content-type"))
        #expect(MailMessage.sameName("x-failed-recipients", "X-Failed-Recipients"))
        #expect(!MailMessage.sameName("From", "Fro"))
        #expect(!MailMessage.sameName("X@", "X`"))  // '@' | 0x20 is '`': not a letter, not the same
        #expect(!MailMessage.sameName("Subject", "Subjecu"))
    }
}
