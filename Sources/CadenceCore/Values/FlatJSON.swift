/// A `[String: String]` as a JSON object with sorted keys: candidate fields and variant choices are stored this
/// way on every enrolment, so a launch of 100,000 rows cannot afford `JSONEncoder` for each. Written byte by byte
/// into one buffer: escaping works on UTF-8 bytes, since every byte of a multi-byte character is 0x80 or more.
public enum FlatJSON {
    public static func encode(_ map: [String: String]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(2 + map.count * 32)
        encode(map, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the object to `bytes`: a launch keeps a whole batch's fields in one buffer.
    public static func encode(_ map: [String: String], into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "{"))
        for (index, key) in map.keys.sorted().enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            append(key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            append(map[key]!, to: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private static func append(_ string: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case ..<0x20: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
