import Foundation

/// Text out of bytes in the charset a message declares. Mail still arrives in the legacy charsets of its sender's
/// system (windows-1252 from Outlook, koi8-r from Russian providers, ISO-2022-JP from Japanese phones), and a wrong
/// decoding turns an "unsubscribe" in Russian or Japanese into noise the classifier cannot read.
///
/// Names are IANA names and their common aliases. Foundation's `String.Encoding(ianaName:)` knows some of them; on
/// Linux the rest (ISO-8859-15, KOI8-R/U, the Chinese and Korean sets) are reached through CoreFoundation's
/// encoding numbers, and EUC-JP, which Foundation lists but cannot decode there, is re-encoded as ISO-2022-JP (the
/// same JIS X 0208 characters). Bytes that do not decode in the declared charset are read as UTF-8 with
/// replacement characters: a mislabelled message must still be read, never dropped.
public enum Charset {
    public static func decode(_ bytes: [UInt8], charset declared: String?) -> String {
        if bytes.allSatisfy({ $0 < 0x80 }), !bytes.contains(0x1B) { return String(decoding: bytes, as: UTF8.self) }
        let name = normalized(declared)
        switch name {
        case "", "utf-8", "utf8", "us-ascii", "ascii", "unicode-1-1-utf-8":
            return String(decoding: bytes, as: UTF8.self)
        case "iso-8859-1", "latin1", "l1", "iso_8859-1", "cp819", "ibm819":
            // Latin-1 is the first 256 code points, and declared Latin-1 is so often windows-1252 in practice
            // (curly quotes in 0x80–0x9F) that the WHATWG encoding standard reads it as windows-1252 too.
            return foundation(bytes, .windowsCP1252) ?? String(bytes.map { Character(Unicode.Scalar($0)) })
        case "euc-jp", "x-euc-jp", "eucjp", "cseucpkdfmtjapanese":
            return foundation(eucJPAsISO2022JP(bytes), .iso2022JP) ?? String(decoding: bytes, as: UTF8.self)
        default:
            if let encoding = encodings[name] ?? String.Encoding(ianaName: name), let text = foundation(bytes, encoding) { return text }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    static func normalized(_ name: String?) -> String {
        (name ?? "").trimmed { "\"' \t".unicodeScalars.contains($0) }.lowercased()
    }

    private static func foundation(_ bytes: [UInt8], _ encoding: String.Encoding) -> String? {
        String(bytes: bytes, encoding: encoding)
    }

    /// A CoreFoundation encoding number as a Foundation encoding (the high bit marks it as a CF number).
    private static func coreFoundation(_ number: UInt) -> String.Encoding { String.Encoding(rawValue: 0x8000_0000 | number) }

    /// The names Foundation cannot resolve by itself on every platform, and aliases mail systems write.
    private static let encodings: [String: String.Encoding] = {
        var table: [String: String.Encoding] = [:]
        func add(_ encoding: String.Encoding, _ names: String...) { for name in names { table[name] = encoding } }
        add(.windowsCP1252, "windows-1252", "cp1252", "x-cp1252", "ms-ansi")
        add(.windowsCP1250, "windows-1250", "cp1250", "x-cp1250")
        add(.windowsCP1251, "windows-1251", "cp1251", "x-cp1251")
        add(.isoLatin2, "iso-8859-2", "latin2", "l2", "iso_8859-2")
        add(.iso2022JP, "iso-2022-jp", "csiso2022jp", "iso-2022-jp-2")
        add(.shiftJIS, "shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "cp932", "windows-31j", "csshiftjis")
        add(coreFoundation(0x020F), "iso-8859-15", "latin9", "latin-9", "iso_8859-15", "l9")
        add(coreFoundation(0x0A02), "koi8-r", "koi8r", "cskoi8r")
        add(coreFoundation(0x0A08), "koi8-u", "koi8u")
        // GB18030 contains GBK, which contains GB2312: one decoder reads all three, whatever the label says.
        add(coreFoundation(0x0632), "gb18030", "gbk", "gb2312", "cp936", "x-gbk", "euc-cn", "csgb2312", "chinese", "gb_2312-80", "x-euc-cn")
        add(coreFoundation(0x0A03), "big5", "big5-hkscs", "x-big5", "cn-big5", "csbig5")
        // Code page 949 (Unified Hangul) contains EUC-KR; Korean mail labelled either is read with it.
        add(coreFoundation(0x0422), "euc-kr", "ks_c_5601-1987", "ks_c_5601", "cp949", "x-windows-949", "korean", "cseuckr", "windows-949")
        return table
    }()

    /// EUC-JP's two-byte JIS X 0208 characters are the ISO-2022-JP ones with the high bit set; its half-width katakana
    /// (SS2) and JIS X 0212 (SS3) are escapes into the sets ISO-2022-JP names `ESC ( I` and `ESC $ ( D`.
    static func eucJPAsISO2022JP(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        enum Mode { case ascii, jis0208, katakana, jis0212 }
        var mode = Mode.ascii
        func switchTo(_ next: Mode) {
            guard next != mode else { return }
            switch next {
            case .ascii: out += [0x1B, 0x28, 0x42]
            case .jis0208: out += [0x1B, 0x24, 0x42]
            case .katakana: out += [0x1B, 0x28, 0x49]
            case .jis0212: out += [0x1B, 0x24, 0x28, 0x44]
            }
            mode = next
        }
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x8E, index + 1 < bytes.count {
                switchTo(.katakana)
                out.append(bytes[index + 1] & 0x7F)
                index += 2
            } else if byte == 0x8F, index + 2 < bytes.count {
                switchTo(.jis0212)
                out += [bytes[index + 1] & 0x7F, bytes[index + 2] & 0x7F]
                index += 3
            } else if byte >= 0xA1, index + 1 < bytes.count {
                switchTo(.jis0208)
                out += [byte & 0x7F, bytes[index + 1] & 0x7F]
                index += 2
            } else {
                switchTo(.ascii)
                out.append(byte & 0x7F)
                index += 1
            }
        }
        switchTo(.ascii)
        return out
    }
}
