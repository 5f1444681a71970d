import ArgumentParser
import Foundation

enum Timestamp {
    /// An ISO 8601 instant with a zone, e.g. 2026-12-01T09:00:00Z or 2026-12-01T10:00:00+01:00.
    static func parse(_ text: String?, option: String) throws -> Date? {
        guard let text else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let date = formatter.date(from: text) else {
            throw ValidationError("\(option) \"\(text)\" is not a time; write ISO 8601 with a zone, e.g. 2026-12-01T09:00:00Z")
        }
        return date
    }
}
