import CadenceCore
import Testing

@testable import CadenceEngine

@Suite("cadence stats: the variant comparison line")
struct StatsComparisonTests {
    static func comparison(_ variants: [(String, Int, Int)]) -> VariantComparison {
        VariantComparison(variants.map { VariantComparison.Variant(id: $0.0, trials: $0.1, successes: $0.2) })
    }

    @Test("names the rate and its denominator, the verdict, and the leader's lead over each other variant with its interval")
    func line() {
        #expect(
            StatsOutput.comparisonLine(step: "intro", Self.comparison([("a", 40, 4), ("b", 41, 9)]))
                == "intro, replies over delivered: b leads, not yet significant (n=40 and 41); b − a +12.0 points (95% CI −4.5 to +27.9)")
        #expect(
            StatsOutput.comparisonLine(step: "intro", Self.comparison([("a", 12, 1), ("b", 30, 5)]))
                == "intro, replies over delivered: too few sends to tell (n=12 and 30; at least 20 each)")
        let three = StatsOutput.comparisonLine(step: "bump", Self.comparison([("a", 60, 2), ("b", 60, 15), ("c", 60, 10)]))
        #expect(three.hasPrefix("bump, replies over delivered: b leads: significant against a (p=0.002) and not yet against c (p=0.37); n=60, 60 and 60; b − a +21.7 points"))
        #expect(three.contains("; b − c +8.3 points (95% CI "))
    }

    @Test("percentage points: signed, one decimal, rounded")
    func points() {
        #expect(StatsOutput.points(0.12195) == "+12.2")
        #expect(StatsOutput.points(-0.0344) == "−3.4")
        #expect(StatsOutput.points(0.00004) == "0.0")
        #expect(StatsOutput.points(1) == "+100.0")
    }
}
