import Foundation
import PropertyBased
import Testing

@testable import CadenceCore

/// The figures are published ones: R's `fisher.test` documentation and Wikipedia's worked example for Fisher's
/// test, Newcombe (1998) Table II for method 10, R's `p.adjust` for Holm.
@Suite("Comparing variants: Fisher's exact test, Wilson and Newcombe intervals, Holm's correction, the verdict")
struct VariantStatisticsTests {
    @Test("Fisher's exact test, two-sided as R computes it, on published tables")
    func fisher() {
        // R: fisher.test(matrix(c(3, 1, 1, 3), 2)), the tea-tasting example: p = 0.4857.
        #expect(abs(FisherExactTest.twoSidedP(3, 1, 1, 3) - 0.485_714_285_7) < 1e-9)
        // Wikipedia's dieting example, fisher.test(matrix(c(1, 11, 9, 3), 2)): p = 0.002759.
        #expect(abs(FisherExactTest.twoSidedP(1, 9, 11, 3) - 0.002_759_456) < 1e-8)
        // A margin of zero or a one-sided table: nothing to test.
        #expect(FisherExactTest.twoSidedP(0, 0, 3, 4) == 1)
        #expect(FisherExactTest.twoSidedP(0, 5, 0, 7) == 1)
        #expect(FisherExactTest.twoSidedP(5, 0, 7, 0) == 1)
    }

    @Test("Fisher's p does not depend on which group or which outcome is written first, and is a probability (fixed seed)")
    func fisherSymmetry() {
        let count = Gen.int(in: 0...25)
        seededCheck(count: 2_000, count.array(of: 4)) { index, cells in
            let (a, b, c, d) = (cells[0], cells[1], cells[2], cells[3])
            let p = FisherExactTest.twoSidedP(a, b, c, d)
            #expect(p > 0 && p <= 1, "case \(index): \(cells)")
            for other in [FisherExactTest.twoSidedP(c, d, a, b), FisherExactTest.twoSidedP(b, a, d, c), FisherExactTest.twoSidedP(a, c, b, d)] {
                #expect(abs(other - p) < 1e-9 * max(1, p), "case \(index): \(cells)")
            }
        }
    }

    @Test("Wilson's interval: inside [0, 1], and right at 0 and n successes")
    func wilson() {
        let interval = WilsonInterval(successes: 81, of: 263)
        #expect(abs(interval.lower - 0.255_288_5) < 1e-6 && abs(interval.upper - 0.366_209_6) < 1e-6)
        #expect(WilsonInterval(successes: 0, of: 10).lower == 0)
        #expect(abs(WilsonInterval(successes: 0, of: 10).upper - 0.277_532_8) < 1e-6)
        #expect(abs(WilsonInterval(successes: 10, of: 10).lower - 0.722_467_2) < 1e-6)
        #expect(WilsonInterval(successes: 0, of: 0) == WilsonInterval(successes: 0, of: 0) && WilsonInterval(successes: 0, of: 0).upper == 1)
    }

    @Test(
        "Newcombe's method 10 reproduces his Table II",
        arguments: [
            (56, 70, 48, 80, 0.0524, 0.3339), (6, 7, 2, 7, 0.0582, 0.8062), (9, 10, 3, 10, 0.1705, 0.8090), (5, 56, 0, 29, -0.0381, 0.1926),
            (0, 10, 0, 20, -0.1611, 0.2775), (10, 10, 0, 20, 0.6791, 1.0000),
        ])
    func newcombe(x1: Int, n1: Int, x2: Int, n2: Int, lower: Double, upper: Double) {
        let interval = NewcombeInterval(successes1: x1, of: n1, successes2: x2, of: n2)
        #expect(abs(interval.lower - lower) < 0.000_05, "\(interval)")
        #expect(abs(interval.upper - upper) < 0.000_05, "\(interval)")
        #expect(interval.lower <= interval.difference && interval.difference <= interval.upper)
    }

    @Test("Holm's correction as R's p.adjust(p, \"holm\"), in the order given")
    func holm() {
        #expect(HolmCorrection.adjust([0.01, 0.04, 0.03]).map { ($0 * 1e6).rounded() / 1e6 } == [0.03, 0.06, 0.06])
        #expect(HolmCorrection.adjust([0.2, 0.01]).map { ($0 * 1e6).rounded() / 1e6 } == [0.2, 0.02])
        #expect(HolmCorrection.adjust([0.5, 0.9]) == [1, 1])
        #expect(HolmCorrection.adjust([]).isEmpty)
    }

    @Test("the verdict in one sentence: too few, no replies, level, leading but not yet, significant, and mixed with three")
    func verdicts() {
        func verdict(_ variants: [(String, Int, Int)]) -> VariantComparison {
            VariantComparison(variants.map { VariantComparison.Variant(id: $0.0, trials: $0.1, successes: $0.2) })
        }
        #expect(verdict([("a", 12, 1), ("b", 30, 5)]).verdict == "too few sends to tell (n=12 and 30; at least 20 each)")
        #expect(verdict([("a", 40, 0), ("b", 41, 0)]).verdict == "no replies yet to compare (n=40 and 41)")
        #expect(verdict([("a", 40, 4), ("b", 40, 4)]).verdict == "a and b are level (n=40 and 40)")
        let close = verdict([("a", 40, 4), ("b", 41, 9)])
        #expect(close.verdict == "b leads, not yet significant (n=40 and 41)")
        #expect(close.leader == "b")
        #expect(abs(close.comparisons[0].pValue - 0.225_786) < 1e-6)
        #expect(close.comparisons[0].interval.lower < 0 && close.comparisons[0].interval.upper > 0)
        let clear = verdict([("a", 60, 2), ("b", 60, 15)])
        #expect(clear.verdict == "b leads, significant (p=0.001; n=60 and 60)")
        #expect(clear.comparisons[0].interval.lower > 0)
        let three = verdict([("a", 60, 2), ("b", 60, 15), ("c", 60, 10)])
        #expect(three.verdict == "b leads: significant against a (p=0.002) and not yet against c (p=0.37); n=60, 60 and 60")
        #expect(three.comparisons.map(\.other) == ["a", "c"])
        #expect(verdict([("a", 60, 15), ("b", 60, 15), ("c", 60, 2)]).verdict == "a and b are level at the top (n=60, 60 and 60)")
        #expect(verdict([("a", 60, 15)]).verdict == "one variant: nothing to compare")
    }

    @Test(
        "more replies than delivered messages (a person who bounced and then replied) is a verdict, not a crash (fails on cd97bcc: Fisher's precondition trapped)"
    )
    func moreRepliesThanDelivered() {
        let comparison = VariantComparison([.init(id: "a", trials: 21, successes: 22), .init(id: "b", trials: 30, successes: 3)])
        #expect(comparison.leader == nil && comparison.comparisons.isEmpty)
        #expect(comparison.verdict.hasPrefix("cannot compare"))
    }

    @Test("p-values near 0.05 keep three decimals, so \"significant\" never sits beside p=0.05 (fails on cd97bcc: two decimals from 0.01)")
    func pNearTheThreshold() {
        #expect(VariantComparison.pText(0.0483) == "0.048")
        #expect(VariantComparison.pText(0.0517) == "0.052")
        #expect(VariantComparison.pText(0.37) == "0.37")
        #expect(VariantComparison.pText(0.0009) == "<0.001")
    }
}
