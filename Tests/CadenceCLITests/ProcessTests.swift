import Testing

/// Every test that starts a process lives under this suite, so they run one at a time.
@Suite("Processes", .serialized)
enum ProcessTests {}
