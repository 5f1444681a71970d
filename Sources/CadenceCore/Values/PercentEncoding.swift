/// Percent-decoding (`%41` → `A`), shared by MIME parameters (RFC 2231), which keep a stray `%` as it is, and
/// database URLs, which refuse one: a URL half-decoded could connect somewhere else.
enum PercentEncoding {
    /// The bytes with each `%XX` decoded; a `%` not followed by two hex digits is kept, or, when `strict`, makes
    /// the answer nil.
    static func decode(_ text: some StringProtocol, strict: Bool) -> [UInt8]? {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                if index + 2 < bytes.count, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) {
                    out.append(high << 4 | low)
                    index += 3
                    continue
                }
                if strict { return nil }
            }
            out.append(bytes[index])
            index += 1
        }
        return out
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
