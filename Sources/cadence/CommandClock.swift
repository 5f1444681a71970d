import CadenceCore
import Foundation

/// The clock every command reads: the system clock, or the instant in `CADENCE_NOW` (ISO 8601) to simulate a
/// campaign or reproduce output exactly.
enum CommandClock {
    static let environmentVariable = "CADENCE_NOW"

    /// Decided once per process, so a `CADENCE_NOW` that is not a time is warned about once, not at every read.
    static let current: any WallClock = {
        if let text = ProcessInfo.processInfo.environment[environmentVariable], !text.isEmpty {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime]
            if let date = formatter.date(from: text) { return FixedClock(date) }
            FileHandle.standardError.write(Data("cadence: warning: ignoring CADENCE_NOW \"\(text)\": not an ISO 8601 time such as 2026-12-01T09:00:00Z\n".utf8))
        }
        return SystemClock()
    }()

    static var now: Date { current.now }
}
