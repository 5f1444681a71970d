import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Who a runner is, written into the lease: unique for every process start, and enough to tell later whether
/// that process is still alive on this machine.
///
/// `host:pid:boot:pidns:start:nonce`. A bare pid is not enough: after a reboot (the lease outlives it in the database)
/// or once the pid is reused, another process answers `kill(pid, 0)`, and a zombie answers it too; two containers
/// sharing a host's network and hostname both run as pid 1. The boot id, the pid namespace and the process's start
/// time (in clock ticks since boot, from /proc) pin the process start; the random nonce keeps two starts with
/// equal fields apart.
public struct RunnerIdentity: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var pid: Int32
    public var boot: String
    public var pidNamespace: String
    public var start: String
    public var nonce: String

    public init(host: String, pid: Int32, boot: String, pidNamespace: String, start: String, nonce: String) {
        self.host = host
        self.pid = pid
        self.boot = boot
        self.pidNamespace = pidNamespace
        self.start = start
        self.nonce = nonce
    }

    /// This process.
    public static func current() -> RunnerIdentity {
        let pid = getpid()
        return RunnerIdentity(
            host: ProcessInfo.processInfo.hostName, pid: pid, boot: bootID() ?? "unknown", pidNamespace: pidNamespace() ?? "unknown", start: ProcessTable.startTime(of: pid) ?? "unknown",
            nonce: String(UInt32.random(in: .min ... .max), radix: 16))
    }

    /// Parses an owner written by `description`; nil for anything else (an older format, another tool).
    public init?(owner: String) {
        let parts = owner.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, let pid = Int32(parts[1]) else { return nil }
        self.init(host: parts[0], pid: pid, boot: parts[2], pidNamespace: parts[3], start: parts[4], nonce: parts[5])
    }

    public var description: String { "\(host):\(pid):\(boot):\(pidNamespace):\(start):\(nonce)" }

    /// How a person would name it in a message.
    public var display: String { "process \(pid) on \(host)" }

    /// Whether the process that wrote `owner` is certainly gone: it ran on this machine before its last boot, or
    /// since then and no live process has its pid and start time now (a zombie counts as gone). Anything that
    /// cannot be checked from here (another host, another pid namespace, an unknown format) is not known to be
    /// gone: its lease must run out first. The same host name with another boot id is taken for this machine
    /// rebooted, not another machine: a SQLite database in WAL mode cannot be shared between machines anyway.
    public static func isGone(owner: String, seenFrom me: RunnerIdentity = .current()) -> Bool {
        guard let other = RunnerIdentity(owner: owner), other.host == me.host else { return false }
        // A lease from before this machine's last boot: every process of that boot is gone.
        if other.boot != me.boot { return me.boot != "unknown" && other.boot != "unknown" }
        // Another container's pid 1 is not this one's: its processes cannot be seen from here.
        guard other.pidNamespace == me.pidNamespace, me.pidNamespace != "unknown" else { return false }
        guard let entry = ProcessTable.entry(of: other.pid) else { return ProcessTable.isReadable }
        return entry.state == "Z" || entry.start != other.start
    }

    static func pidNamespace() -> String? {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")).map { $0.filter(\.isNumber) }
    }

    static func bootID() -> String? {
        (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
