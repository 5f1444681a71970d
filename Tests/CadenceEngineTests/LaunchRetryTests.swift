import CadencePostgres
import CadenceStore
import Foundation
import Synchronization
import Testing

@testable import CadenceEngine

@Suite("A launch that lost a deadlock on PostgreSQL starts again")
struct LaunchRetryTests {
    static let report = LaunchReport(campaignID: "q1", file: "people.csv", dryRun: false, version: 1)

    @Test("from a file: tried again until it succeeds, at most three times in all, then told to launch again")
    func retries() async throws {
        let calls = Mutex(0)
        let succeeded = try await Launcher.retryingConflicts(rereadable: true) {
            let call = calls.withLock { count in
                count += 1
                return count
            }
            if call < 3 { throw PostgresStore.LaunchConflict(reason: "deadlock detected") }
            return Self.report
        }
        #expect(succeeded == Self.report)
        #expect(calls.withLock { $0 } == 3)

        calls.withLock { $0 = 0 }
        await #expect(throws: Launcher.Failure.store(.other("deadlock detected; nothing was written; launch again"))) {
            _ = try await Launcher.retryingConflicts(rereadable: true) {
                calls.withLock { $0 += 1 }
                throw PostgresStore.LaunchConflict(reason: "deadlock detected")
            }
        }
        #expect(calls.withLock { $0 } == Launcher.attempts)
    }

    @Test("from a pipe, which cannot be read twice: told to launch again at once; other failures pass through untouched")
    func pipeAndOtherFailures() async throws {
        let calls = Mutex(0)
        await #expect(throws: Launcher.Failure.store(.other("deadlock detected; nothing was written; launch again"))) {
            _ = try await Launcher.retryingConflicts(rereadable: false) {
                calls.withLock { $0 += 1 }
                throw PostgresStore.LaunchConflict(reason: "deadlock detected")
            }
        }
        #expect(calls.withLock { $0 } == 1)
        await #expect(throws: Launcher.Failure.usage("no")) {
            _ = try await Launcher.retryingConflicts(rereadable: true) { throw Launcher.Failure.usage("no") }
        }
    }
}
