/// Finds every phrase of every language table in a text in one pass (Aho–Corasick over UTF-8 bytes), so that
/// adding languages does not slow reading down: the cost is the length of the text, not the number of phrases.
///
/// Written by hand: no package in the allowed set matches many patterns at once, and `String.contains` per phrase
/// (two thousand phrases times every message) is what the benchmark in BENCHMARKS.md measures against.
struct PhraseMatcher: Sendable {
    struct Hit: Sendable, Equatable {
        var pattern: Int
        /// Byte offsets into the searched text.
        var start: Int
        var end: Int
    }

    private let rootEdges: [Int32]
    private let edgeStart: [Int32]
    private let edgeBytes: [UInt8]
    private let edgeTargets: [Int32]
    private let failure: [Int32]
    private let outputs: [[Int32]]
    let patterns: [[UInt8]]
    /// The longest pattern's length in bytes.
    let longest: Int
    /// Whether the phrase must start (end) at a word boundary: when its first (last) character is a letter or
    /// digit of a script written with spaces. CJK phrases match anywhere.
    private let boundedStart: [Bool]
    private let boundedEnd: [Bool]

    init(_ texts: [String]) {
        patterns = texts.map { Array($0.utf8) }
        longest = patterns.map(\.count).max() ?? 0
        boundedStart = texts.map { $0.unicodeScalars.first.map(PhraseText.isSpacedWordCharacter) ?? false }
        boundedEnd = texts.map { $0.unicodeScalars.last.map(PhraseText.isSpacedWordCharacter) ?? false }
        // The trie, with edges in dictionaries while building.
        var children: [[UInt8: Int32]] = [[:]]
        var out: [[Int32]] = [[]]
        for (index, pattern) in patterns.enumerated() where !pattern.isEmpty {
            var node = 0
            for byte in pattern {
                if let next = children[node][byte] {
                    node = Int(next)
                } else {
                    children.append([:])
                    out.append([])
                    children[node][byte] = Int32(children.count - 1)
                    node = children.count - 1
                }
            }
            out[node].append(Int32(index))
        }
        // Failure links, breadth first; each node's outputs include those of its failure node.
        var fail = [Int32](repeating: 0, count: children.count)
        var queue: [Int] = children[0].values.map { Int($0) }
        var head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            for (byte, child) in children[node] {
                queue.append(Int(child))
                var back = Int(fail[node])
                while back != 0, children[back][byte] == nil { back = Int(fail[back]) }
                let target = node == 0 ? 0 : (children[back][byte].map(Int.init) ?? 0)
                fail[Int(child)] = Int32(target == Int(child) ? 0 : target)
                out[Int(child)] += out[Int(fail[Int(child)])]
            }
        }
        // Flatten the edges: root as a 256-entry table, the rest as sorted runs.
        var root = [Int32](repeating: 0, count: 256)
        for (byte, child) in children[0] { root[Int(byte)] = child }
        var starts: [Int32] = []
        var bytes: [UInt8] = []
        var targets: [Int32] = []
        for node in children.indices {
            starts.append(Int32(bytes.count))
            for (byte, child) in children[node].sorted(by: { $0.key < $1.key }) {
                bytes.append(byte)
                targets.append(child)
            }
        }
        starts.append(Int32(bytes.count))
        rootEdges = root
        edgeStart = starts
        edgeBytes = bytes
        edgeTargets = targets
        failure = fail
        outputs = out
    }

    private func step(_ node: Int, _ byte: UInt8) -> Int? {
        if node == 0 {
            let next = rootEdges[Int(byte)]
            return next == 0 ? nil : Int(next)
        }
        var index = Int(edgeStart[node])
        let end = Int(edgeStart[node + 1])
        while index < end {
            let candidate = edgeBytes[index]
            if candidate == byte { return Int(edgeTargets[index]) }
            if candidate > byte { return nil }
            index += 1
        }
        return nil
    }

    /// Every occurrence of every pattern in `text` (already normalised by `PhraseText`), at word boundaries where
    /// the pattern asks for them.
    func hits(in text: [UInt8]) -> [Hit] {
        var hits: [Hit] = []
        var node = 0
        for (position, byte) in text.enumerated() {
            while true {
                if let next = step(node, byte) {
                    node = next
                    break
                }
                if node == 0 { break }
                node = Int(failure[node])
            }
            for pattern in outputs[node] {
                let index = Int(pattern)
                let end = position + 1
                let start = end - patterns[index].count
                if boundedStart[index], PhraseText.wordCharacter(endingAt: start, in: text) { continue }
                if boundedEnd[index], PhraseText.wordCharacter(startingAt: end, in: text) { continue }
                hits.append(Hit(pattern: index, start: start, end: end))
            }
        }
        return hits
    }
}
