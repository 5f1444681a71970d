import Crypto

/// Picks a candidate's A/B variant for a step from the campaign id, step id and address alone.
///
/// The choice must be the same in `preview`, at launch and on every machine, and split candidates in proportion
/// to the weights: SHA-256 of those three values gives a uniform bucket in 0..<100.
public enum VariantChooser {
    public static func choose(_ variants: [Variant], campaignID: String, stepID: String, address: EmailAddress) -> Variant {
        precondition(!variants.isEmpty, "a variant step has at least two variants")
        let bucket = Int(StableHash.value("variant", campaignID, stepID, address.description.lowercased()) % 100)
        var cumulative = 0
        for variant in variants {
            cumulative += variant.weight
            if bucket < cumulative { return variant }
        }
        return variants[variants.count - 1]
    }
}

/// A hash that never changes across runs, machines or Swift versions (unlike `Hasher`).
public enum StableHash {
    public static func digest(_ parts: String...) -> SHA256.Digest {
        SHA256.hash(data: Array(parts.joined(separator: "\u{0}").utf8))
    }

    public static func value(_ parts: String...) -> UInt64 {
        let digest = SHA256.hash(data: Array(parts.joined(separator: "\u{0}").utf8))
        return digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Lowercase hex SHA-256 of `bytes`: file digests.
    public static func hex(of bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in SHA256.hash(data: bytes) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Lowercase hex of the first `bytes` bytes.
    public static func hex(_ parts: String..., bytes: Int) -> String {
        let digest = SHA256.hash(data: Array(parts.joined(separator: "\u{0}").utf8))
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in digest.prefix(bytes) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
