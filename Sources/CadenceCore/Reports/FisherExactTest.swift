import Foundation

/// Fisher's exact test on a 2×2 table, two-sided as R's `fisher.test` computes it: the sum of the probabilities
/// of every table with the same margins that is no more likely than the one observed (with R's relative
/// tolerance of 1e-7, so tables equally likely up to rounding count). Exact at any sample size, which matters
/// for variant tests: a step sent to 40 people has expected counts far below what a chi-squared test needs.
public enum FisherExactTest {
    /// `successes` and `failures` of two groups: `[[a, b], [c, d]]`.
    public static func twoSidedP(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Double {
        precondition(a >= 0 && b >= 0 && c >= 0 && d >= 0, "counts are never negative")
        let row1 = a + b
        let row2 = c + d
        let column1 = a + c
        let total = row1 + row2
        guard total > 0, row1 > 0, row2 > 0, column1 > 0, column1 < total else { return 1 }
        func logProbability(_ x: Int) -> Double {
            logChoose(row1, x) + logChoose(row2, column1 - x) - logChoose(total, column1)
        }
        let observed = logProbability(a)
        let threshold = observed + log1p(1e-7)
        var p = 0.0
        for x in max(0, column1 - row2)...min(row1, column1) {
            let value = logProbability(x)
            if value <= threshold { p += exp(value) }
        }
        return min(1, p)
    }

    static func logChoose(_ n: Int, _ k: Int) -> Double {
        lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
    }
}
