import Foundation

/// The kernel's view of a process, from /proc/PID/stat.
enum ProcessTable {
    /// Whether this system has a readable /proc (Linux); elsewhere nothing is known to be gone.
    static var isReadable: Bool { FileManager.default.fileExists(atPath: "/proc/self/stat") }

    static func startTime(of pid: Int32) -> String? { entry(of: pid)?.start }

    /// The state letter (R, S, Z…) and the start time in clock ticks since boot.
    static func entry(of pid: Int32) -> (state: String, start: String)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        return parse(stat: text)
    }

    /// The command name in field 2 is in parentheses and may itself hold spaces and parentheses: fields are
    /// counted from the last ")".
    static func parse(stat text: String) -> (state: String, start: String)? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        return (String(fields[0]), String(fields[19]))
    }
}
