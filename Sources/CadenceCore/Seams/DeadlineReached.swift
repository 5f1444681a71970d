/// A provider call gave up before its deadline could pass (or its task was cancelled): nothing further was
/// attempted, and an attempt that could have sent was never started.
public struct DeadlineReached: Error, Sendable, Equatable, CustomStringConvertible {
    public var waiting: String
    public init(waiting: String) { self.waiting = waiting }
    public var description: String { "stopped waiting (\(waiting)): the runner's lease would run out first" }
}
