import PropertyBased

/// Runs `body` on `count` inputs drawn from `generator` with a fixed seed, so CI sees the same cases every run.
///
/// PropertyBased's own `propertyCheck` draws a fresh seed each run (its `.fixedSeed` trait is for reproducing one
/// failure and always reports an issue), so the deterministic loop lives here; the generators are the library's.
/// A failure names the case number and the input.
func seededCheck<Value, Input>(
    count: Int, seed: (UInt64, UInt64, UInt64, UInt64) = (0xCADE_0001, 0x5EED_0002, 0xF00D_0003, 0xBEEF_0004),
    _ generator: Generator<Value, some Sequence<Input>>, _ body: (Int, Value) throws -> Void
) rethrows {
    var rng = Xoshiro(seed: seed)
    for index in 0..<count {
        try body(index, generator.run(using: &rng))
    }
}
