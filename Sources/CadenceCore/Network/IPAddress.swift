/// An IPv4 or IPv6 address as 128 bits, IPv4 mapped into `::ffff:0:0/96`, so one range table answers for both.
/// Parsed here rather than with `inet_pton` because Core does no system calls, and a client address arrives as
/// text in `X-Forwarded-For`, where proxies also write ports and brackets.
public struct IPAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public init(ipv4: UInt32) {
        self.init(high: 0, low: 0x0000_FFFF_0000_0000 | UInt64(ipv4))
    }

    public var isIPv4: Bool { high == 0 && low >> 32 == 0x0000_FFFF }

    public static func < (a: IPAddress, b: IPAddress) -> Bool { (a.high, a.low) < (b.high, b.low) }

    /// `1.2.3.4`, `2001:db8::1`, `::ffff:1.2.3.4`; also as proxies write them: `[2001:db8::1]`, `[::1]:443`,
    /// `1.2.3.4:5678` and a zone (`fe80::1%eth0`). Nil for anything else.
    public init?(_ text: some StringProtocol) {
        var bytes = Array(text.utf8)
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            let rest = bytes[(close + 1)...]
            guard rest.isEmpty || (rest.first == UInt8(ascii: ":") && rest.count > 1 && rest.dropFirst().allSatisfy(Self.isDigit)) else { return nil }
            bytes = Array(bytes[1..<close])
        } else if bytes.filter({ $0 == UInt8(ascii: ":") }).count == 1, let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            // An IPv4 address with a port.
            guard colon + 1 < bytes.count, bytes[(colon + 1)...].allSatisfy(Self.isDigit) else { return nil }
            bytes = Array(bytes[..<colon])
        }
        if let percent = bytes.firstIndex(of: UInt8(ascii: "%")) { bytes = Array(bytes[..<percent]) }
        if let v4 = Self.parseIPv4(bytes[...]) {
            self.init(ipv4: v4)
        } else if let v6 = Self.parseIPv6(bytes[...]) {
            self = v6
        } else {
            return nil
        }
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    static func parseIPv4(_ bytes: ArraySlice<UInt8>) -> UInt32? {
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            // No leading zeros: "010" is octal to some readers and decimal to others, and inet_pton refuses it.
            guard (1...3).contains(part.count), part.allSatisfy(isDigit), part.count == 1 || part.first != 0x30 else { return nil }
            let number = part.reduce(0) { $0 * 10 + UInt32($1 - 0x30) }
            guard number <= 255 else { return nil }
            value = value << 8 | number
        }
        return value
    }

    static func parseIPv6(_ bytes: ArraySlice<UInt8>) -> IPAddress? {
        guard bytes.count >= 2, bytes.contains(UInt8(ascii: ":")) else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var compressed = false
        let text = Array(bytes)
        var index = 0
        if text.starts(with: [0x3A, 0x3A]) {
            compressed = true
            index = 2
        } else if text.first == 0x3A {
            return nil
        }
        while index < text.count {
            var end = index
            while end < text.count, text[end] != 0x3A { end += 1 }
            let group = text[index..<end]
            if group.contains(UInt8(ascii: ".")) {
                // An embedded IPv4 address ends the address.
                guard end == text.count, let v4 = parseIPv4(group) else { return nil }
                let pair = [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
                if compressed { tail += pair } else { head += pair }
                index = end
                break
            }
            guard (1...4).contains(group.count) else { return nil }
            var value: UInt16 = 0
            for byte in group {
                guard let digit = Hex.value(anyCase: byte) else { return nil }
                value = value << 4 | UInt16(digit)
            }
            if compressed { tail.append(value) } else { head.append(value) }
            if end == text.count {
                index = end
                break
            }
            // After a group: ":" and another group, or "::" (once).
            if end + 1 < text.count, text[end + 1] == 0x3A {
                guard !compressed else { return nil }
                compressed = true
                index = end + 2
            } else {
                guard end + 1 < text.count else { return nil }
                index = end + 1
            }
        }
        let count = head.count + tail.count
        guard compressed ? count <= 7 : count == 8 else { return nil }
        let groups = head + Array(repeating: 0, count: 8 - count) + tail
        let high = groups[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        let low = groups[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        return IPAddress(high: high, low: low)
    }

    public var description: String {
        if isIPv4 {
            let v = UInt32(truncatingIfNeeded: low)
            return "\(v >> 24).\(v >> 16 & 0xFF).\(v >> 8 & 0xFF).\(v & 0xFF)"
        }
        let groups = (0..<4).map { UInt16(truncatingIfNeeded: high >> (48 - 16 * $0)) } + (0..<4).map { UInt16(truncatingIfNeeded: low >> (48 - 16 * $0)) }
        return groups.map { String($0, radix: 16) }.joined(separator: ":")
    }

    /// The next address (wrapping at the end), for merging ranges that touch.
    var successor: IPAddress {
        low == .max ? IPAddress(high: high &+ 1, low: 0) : IPAddress(high: high, low: low + 1)
    }
}
