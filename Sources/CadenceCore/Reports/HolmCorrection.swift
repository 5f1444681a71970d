/// Holm's step-down correction of p-values for several comparisons at once (R's `p.adjust(p, "holm")`): with
/// three variants there are two comparisons against the leader, and each gets its share of the error rate, so
/// "significant" still means 5% overall. Uniformly more powerful than Bonferroni.
public enum HolmCorrection {
    /// The adjusted p-values, in the order given.
    public static func adjust(_ pValues: [Double]) -> [Double] {
        let count = pValues.count
        let order = pValues.indices.sorted { pValues[$0] < pValues[$1] }
        var adjusted = [Double](repeating: 1, count: count)
        var running = 0.0
        for (rank, index) in order.enumerated() {
            running = max(running, min(1, Double(count - rank) * pValues[index]))
            adjusted[index] = running
        }
        return adjusted
    }
}
