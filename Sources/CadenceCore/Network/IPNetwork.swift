import Foundation

/// A CIDR network (`10.0.0.0/8`, `2a02:26f7::/32`) or one address, as written in `cadence.json` and in the range
/// snapshots. An IPv4 prefix counts within the mapped space, so `/8` covers what it says.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    public let first: IPAddress
    public let last: IPAddress
    public let description: String

    public struct ParseError: Error, Sendable, Equatable {
        public var line: Int
        public var text: String
    }

    public init?(_ text: some StringProtocol) {
        let trimmed = String(text).trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = trimmed.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        // No brackets, zones or ports here: those belong to a client's address, not to a network.
        guard let address = IPAddress(parts[0]), !parts[0].contains("["), !parts[0].contains("%"), parts[0].filter({ $0 == ":" }).count != 1 else {
            return nil
        }
        let width = address.isIPv4 ? 32 : 128
        var prefix = width
        if parts.count == 2 {
            guard (1...3).contains(parts[1].count), parts[1].utf8.allSatisfy(IPAddress.isDigit), let number = Int(parts[1]), number <= width else { return nil }
            prefix = number
        }
        let bits = prefix + (128 - width)
        let highMask: UInt64 = bits >= 64 ? .max : (bits == 0 ? 0 : .max << (64 - bits))
        let lowMask: UInt64 = bits <= 64 ? 0 : (bits == 128 ? .max : .max << (128 - bits))
        first = IPAddress(high: address.high & highMask, low: address.low & lowMask)
        last = IPAddress(high: address.high | ~highMask, low: address.low | ~lowMask)
        description = String(trimmed)
    }
}
