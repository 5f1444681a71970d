import NIOCore

/// How long a test waits for something it can observe (a message the fake stored, a call it received) before it
/// gives up. CI runs on a loaded 2-core machine: this is a deadline against a hang, never a guess at how fast the
/// code is, so a test never sleeps a fixed time and then checks.
enum Patience {
    /// Seconds before a wait, or a request to a local server, gives up.
    static let seconds = 60

    /// `seconds` as AsyncHTTPClient's request timeout.
    static var request: TimeAmount { .seconds(Int64(seconds)) }

    /// Checks `condition` every `interval` seconds until it holds or `deadline` seconds have passed, and says
    /// whether it held, for the test to `#expect`.
    static func waitUntil(
        deadline: Int = seconds, every interval: Double = 0.01, _ condition: () async throws -> Bool
    ) async throws -> Bool {
        let end = ContinuousClock.now + .seconds(deadline)
        while ContinuousClock.now < end {
            if try await condition() { return true }
            try await Task.sleep(for: .seconds(interval))
        }
        return try await condition()
    }
}
