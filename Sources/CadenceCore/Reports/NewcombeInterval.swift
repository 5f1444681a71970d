/// Newcombe's hybrid score interval for the difference of two independent proportions (method 10 of Newcombe,
/// "Interval estimation for the difference between independent proportions", Statistics in Medicine 1998),
/// built from the two Wilson intervals. It behaves at 0 and 100% and at small n, where the Wald interval for a
/// difference says nonsense.
public struct NewcombeInterval: Sendable, Equatable {
    /// `p1 − p2`.
    public var difference: Double
    public var lower: Double
    public var upper: Double

    public init(successes1: Int, of trials1: Int, successes2: Int, of trials2: Int, z: Double = WilsonInterval.z95) {
        let p1 = trials1 > 0 ? Double(successes1) / Double(trials1) : 0
        let p2 = trials2 > 0 ? Double(successes2) / Double(trials2) : 0
        let first = WilsonInterval(successes: successes1, of: trials1, z: z)
        let second = WilsonInterval(successes: successes2, of: trials2, z: z)
        difference = p1 - p2
        lower = difference - ((p1 - first.lower) * (p1 - first.lower) + (second.upper - p2) * (second.upper - p2)).squareRoot()
        upper = difference + ((first.upper - p1) * (first.upper - p1) + (p2 - second.lower) * (p2 - second.lower)).squareRoot()
    }
}
