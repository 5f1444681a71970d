import Foundation

/// The Wilson score interval for a proportion: unlike the textbook `p ± z·√(p(1−p)/n)`, it stays inside [0, 1]
/// and is honest at 0 or n successes and at small n, which is every early reply rate.
public struct WilsonInterval: Sendable, Equatable {
    public var lower: Double
    public var upper: Double

    /// z for a two-sided 95% interval.
    public static let z95 = 1.959963984540054

    public init(successes: Int, of trials: Int, z: Double = z95) {
        guard trials > 0 else {
            (lower, upper) = (0, 1)
            return
        }
        let n = Double(trials)
        let p = Double(successes) / n
        let z2 = z * z
        let denominator = 1 + z2 / n
        let center = (p + z2 / (2 * n)) / denominator
        let half = z / denominator * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        lower = max(0, center - half)
        upper = min(1, center + half)
    }
}
