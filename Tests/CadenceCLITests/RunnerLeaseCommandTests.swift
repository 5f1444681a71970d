import Foundation
import GRDB
import Testing

extension ProcessTests {
    /// Who holds the database, as `cadence run` decides it from the lease another process left behind.
    @Suite("cadence run: the lease left by another process")
    struct RunnerLeaseCommandTests {
        static let environment = ["CADENCE_NOW": "2026-11-30T10:00:00Z", "USER": "sam"]

        /// A launched copy of the bundled campaign.
        static func project() throws -> URL {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-lease-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            for item in ["cadence.json", "sequences", "templates", "examples"] {
                try FileManager.default.copyItem(at: CadenceBinary.repositoryRoot.appendingPathComponent(item), to: root.appendingPathComponent(item))
            }
            let launch = try CadenceBinary.run(["launch", "backend-engineers", "--candidates", "examples/candidates.csv"], in: root, environment: environment)
            #expect(launch.status == 0, "\(launch.stderr)")
            return root
        }

        /// Leaves a lease held by `owner` for another hour, as a runner that vanished would.
        static func leaveLease(_ owner: String, in root: URL) throws {
            let queue = try DatabaseQueue(path: root.appendingPathComponent("cadence.sqlite").path)
            defer { try? queue.close() }
            let until = ISO8601DateFormatter().date(from: "2026-11-30T11:00:00Z")!
            try queue.write { db in
                try db.execute(sql: "DELETE FROM runnerLease")
                try db.execute(sql: "INSERT INTO runnerLease (id, owner, expiresAt) VALUES (1, ?, ?)", arguments: [owner, until])
            }
        }

        static var bootID: String {
            ((try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// This process's pid namespace, as the kernel names it (`pid:[4026531836]` → `4026531836`).
        static var pidNamespace: String {
            ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")) ?? "").filter(\.isNumber)
        }

        /// Field 3 (state) and field 22 (start time in clock ticks) of /proc/PID/stat.
        static func stat(_ pid: Int32) -> (state: String, start: String)? {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = text.lastIndex(of: ")") else { return nil }
            let fields = text[text.index(after: close)...].split(separator: " ")
            guard fields.count > 19 else { return nil }
            return (String(fields[0]), String(fields[19]))
        }

        @Test("a runner whose process is a zombie holds nothing: the next runner takes over at once")
        func zombieOwner() throws {
            let root = try Self.project()
            defer { try? FileManager.default.removeItem(at: root) }
            // A child that exits and is never reaped: it stays in the process table as a zombie.
            var pid: pid_t = 0
            let arguments: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
            defer { for argument in arguments { free(argument) } }
            #expect(posix_spawn(&pid, "/bin/true", nil, nil, arguments, environ) == 0)
            defer { var status: Int32 = 0; waitpid(pid, &status, 0) }
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, Self.stat(pid)?.state != "Z" { usleep(10_000) }
            let zombie = try #require(Self.stat(pid))
            #expect(zombie.state == "Z")
            try Self.leaveLease("\(ProcessInfo.processInfo.hostName):\(pid):\(Self.bootID):\(Self.pidNamespace):\(zombie.start):gone", in: root)
            let run = try CadenceBinary.run(["run", "--once"], in: root, environment: Self.environment)
            #expect(run.status == 0, "\(run.stderr)")
        }

        @Test("a lease whose pid now belongs to another process (started later, or before a reboot) is taken over")
        func reusedPid() throws {
            let root = try Self.project()
            defer { try? FileManager.default.removeItem(at: root) }
            let me = getpid()
            let start = try #require(Self.stat(me)?.start)
            // Same pid, but a process that started at another time: not the runner that took the lease.
            try Self.leaveLease("\(ProcessInfo.processInfo.hostName):\(me):\(Self.bootID):\(Self.pidNamespace):\(start)0:gone", in: root)
            #expect(try CadenceBinary.run(["run", "--once"], in: root, environment: Self.environment).status == 0)
            // Same pid and start time, but from before a reboot.
            try Self.leaveLease("\(ProcessInfo.processInfo.hostName):\(me):not-this-boot:\(Self.pidNamespace):\(start):gone", in: root)
            #expect(try CadenceBinary.run(["run", "--once"], in: root, environment: Self.environment).status == 0)
            // The very process that took it, still running: refused.
            try Self.leaveLease("\(ProcessInfo.processInfo.hostName):\(me):\(Self.bootID):\(Self.pidNamespace):\(start):alive", in: root)
            let refused = try CadenceBinary.run(["run", "--once"], in: root, environment: Self.environment)
            #expect(refused.status == 1)
            #expect(refused.stderr.hasPrefix("cadence: error: another runner ("), "\(refused.stderr)")
        }

        @Test("--interval must be a sane number of seconds", arguments: ["0", "-5", "4611686018427387904"])
        func badInterval(_ value: String) throws {
            let root = try Self.project()
            defer { try? FileManager.default.removeItem(at: root) }
            let run = try CadenceBinary.run(["run", "--once", "--interval=\(value)"], in: root, environment: Self.environment)
            #expect(run.status == 64, "\(run.stderr)")
            #expect(run.stderr.contains("--interval"), "\(run.stderr)")
        }
    }
}
