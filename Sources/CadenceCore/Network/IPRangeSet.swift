/// A set of address ranges (CIDR networks), merged and sorted once, searched by halves: for the trusted proxies
/// and for Apple's relay egress ranges (thousands of networks, looked up for every pixel).
public struct IPRangeSet: Sendable, Hashable {
    /// First and last address of each range, sorted, not overlapping or touching.
    private(set) var ranges: [(first: IPAddress, last: IPAddress)]

    public static let empty = IPRangeSet(networks: [])

    public init(networks: [IPNetwork]) {
        let sorted = networks.map { (first: $0.first, last: $0.last) }.sorted { $0.first < $1.first }
        var merged: [(first: IPAddress, last: IPAddress)] = []
        for range in sorted {
            if let previous = merged.last, range.first <= previous.last || range.first == previous.last.successor {
                if range.last > previous.last { merged[merged.count - 1].last = range.last }
            } else {
                merged.append(range)
            }
        }
        ranges = merged
    }

    /// One network per line (`#` comments and blank lines skipped); nil names the first line that is not one.
    public static func parse(lines text: String) -> Result<IPRangeSet, IPNetwork.ParseError> {
        var networks: [IPNetwork] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            guard !content.allSatisfy(\.isWhitespace) else { continue }
            guard let network = IPNetwork(content) else { return .failure(IPNetwork.ParseError(line: number + 1, text: String(content))) }
            networks.append(network)
        }
        return .success(IPRangeSet(networks: networks))
    }

    public var isEmpty: Bool { ranges.isEmpty }
    public var count: Int { ranges.count }

    public func contains(_ address: IPAddress) -> Bool {
        // The last range starting at or before the address.
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].first <= address { low = middle + 1 } else { high = middle }
        }
        return low > 0 && address <= ranges[low - 1].last
    }

    public static func == (a: IPRangeSet, b: IPRangeSet) -> Bool {
        a.ranges.elementsEqual(b.ranges) { $0.first == $1.first && $0.last == $1.last }
    }

    public func hash(into hasher: inout Hasher) {
        for range in ranges {
            hasher.combine(range.first)
            hasher.combine(range.last)
        }
    }
}
