/// A step's variants compared on one rate (replies over delivered): the leader, each other variant against it by
/// Fisher's exact test (Holm-corrected when there are more than two), the Newcombe interval for the difference,
/// and one plain sentence. One pure function, so `stats`, the report and the docs say the same thing.
public struct VariantComparison: Sendable, Equatable {
    public struct Variant: Sendable, Equatable {
        public var id: String
        /// The denominator: messages delivered (sent less bounced).
        public var trials: Int
        /// The numerator: people who replied.
        public var successes: Int

        public init(id: String, trials: Int, successes: Int) {
            self.id = id
            self.trials = trials
            self.successes = successes
        }

        public var rate: Double { trials > 0 ? Double(successes) / Double(trials) : 0 }
    }

    /// The leader against one other variant.
    public struct Versus: Sendable, Equatable {
        public var other: String
        /// Fisher's two-sided p, and after Holm's correction (the same with two variants).
        public var pValue: Double
        public var adjustedP: Double
        /// Leader's rate minus the other's, with its 95% interval.
        public var interval: NewcombeInterval
        public var isSignificant: Bool
    }

    /// Below this many deliveries a variant's rate says too little to compare.
    public static let minimumTrials = 20
    public static let alpha = 0.05

    public var variants: [Variant]
    /// Nil when there is nothing to compare or no one leads.
    public var leader: String?
    public var comparisons: [Versus]
    public var verdict: String

    public init(_ variants: [Variant]) {
        self.variants = variants
        let sizes = Self.list(variants.map { "\($0.trials)" })
        guard variants.count >= 2 else {
            (leader, comparisons, verdict) = (nil, [], "one variant: nothing to compare")
            return
        }
        if let odd = variants.first(where: { $0.successes > $0.trials || $0.successes < 0 }) {
            // Someone whose message bounced and who replied anyway (from another address, say): the counts are
            // not one trial per person, and no test on them would mean anything.
            (leader, comparisons, verdict) = (
                nil, [], "cannot compare: \(odd.id) has more replies than delivered messages (\(odd.successes) of \(odd.trials))"
            )
            return
        }
        if variants.contains(where: { $0.trials < Self.minimumTrials }) {
            (leader, comparisons, verdict) = (nil, [], "too few sends to tell (n=\(sizes); at least \(Self.minimumTrials) each)")
            return
        }
        if variants.allSatisfy({ $0.successes == 0 }) {
            (leader, comparisons, verdict) = (nil, [], "no replies yet to compare (n=\(sizes))")
            return
        }
        let best = variants.max { ($0.rate, $0.trials) < ($1.rate, $1.trials) }!
        let top = variants.filter { $0.rate == best.rate }
        let others = variants.filter { $0.id != best.id }
        let pValues = others.map {
            FisherExactTest.twoSidedP(best.successes, best.trials - best.successes, $0.successes, $0.trials - $0.successes)
        }
        let adjusted = HolmCorrection.adjust(pValues)
        comparisons = others.indices.map { index in
            let other = others[index]
            return Versus(
                other: other.id, pValue: pValues[index], adjustedP: adjusted[index],
                interval: NewcombeInterval(successes1: best.successes, of: best.trials, successes2: other.successes, of: other.trials),
                isSignificant: adjusted[index] < Self.alpha)
        }
        if top.count > 1 {
            let level = top.count == variants.count ? "are level" : "are level at the top"
            (leader, verdict) = (nil, "\(Self.list(top.map(\.id))) \(level) (n=\(sizes))")
            return
        }
        leader = best.id
        if comparisons.allSatisfy(\.isSignificant) {
            let ps = Self.list(comparisons.map { Self.pText($0.adjustedP) })
            verdict = "\(best.id) leads, significant (p=\(ps); n=\(sizes))"
        } else if comparisons.contains(where: \.isSignificant) {
            let against = comparisons.map { "\($0.isSignificant ? "significant" : "not yet") against \($0.other) (p=\(Self.pText($0.adjustedP)))" }
            verdict = "\(best.id) leads: \(Self.list(against)); n=\(sizes)"
        } else {
            verdict = "\(best.id) leads, not yet significant (n=\(sizes))"
        }
    }

    /// `0.012`, `0.048`, `0.31`, `<0.001`: three decimals below 0.1, so a value beside "significant" never rounds
    /// to 0.05.
    static func pText(_ p: Double) -> String {
        if p < 0.001 { return "<0.001" }
        let scale = p < 0.1 ? 1_000.0 : 100.0
        var text = String(Double(Int((p * scale).rounded())) / scale)
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }

    /// `a`, `a and b`, `a, b and c`.
    static func list(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + items.last!
    }
}
