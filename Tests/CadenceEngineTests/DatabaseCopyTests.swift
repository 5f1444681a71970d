import CadenceCore
import CadenceEngine
import CadenceGmail
import CadenceStore
import Foundation
import GRDB
import Testing

/// `cadence db copy` between two SQLite files, where its lease can be watched from outside.
@Suite("db copy keeps its hold on the source")
struct DatabaseCopyTests {
    /// The command clock, except that at its `intrudeAt`th reading a runner takes the source's lease and gives it
    /// back (as a runner started and stopped mid-copy would, sending in between): what the copy must notice.
    final class IntrudingClock: WallClock, @unchecked Sendable {
        let path: String
        let intrudeAt: Int
        private let lock = NSLock()
        private var readings = 0

        init(path: String, intrudeAt: Int) {
            self.path = path
            self.intrudeAt = intrudeAt
        }

        var now: Date {
            lock.lock()
            readings += 1
            let intrude = readings == intrudeAt
            lock.unlock()
            if intrude, let queue = try? DatabaseQueue(path: path) {
                try? queue.write { db in
                    try db.execute(sql: "UPDATE runnerLease SET owner = 'vm:99:runner', fence = fence + 1, expiresAt = '2000-01-01 00:00:00.000'")
                }
                try? queue.close()
            }
            return LauncherTests.start
        }
    }

    @Test("a runner that held the source's lease during the copy makes the copy refuse, leaving no file; undisturbed, the copy is kept")
    func leaseChangedHands() async throws {
        try await TemporaryProject.with(LauncherTests.files) { project in
            _ = try LauncherTests().launch(project)
            let source = project.root + "/cadence.sqlite"
            func copy(to name: String, clock: any WallClock) async -> Result<DatabaseCopy.Report, DatabaseCommandFailure> {
                do throws(DatabaseCommandFailure) {
                    return .success(
                        try await DatabaseCopy.copy(
                            from: source, to: project.root + "/" + name, passwordReference: { _ in nil }, secrets: SecretStore(root: project.root, environment: [:]),
                            environment: [:], actor: "test", clock: clock))
                } catch {
                    return .failure(error)
                }
            }
            // Its 10th reading falls in the middle of the copy: well after the first hold, well before the end.
            let refused = await copy(to: "copy.sqlite", clock: IntrudingClock(path: source, intrudeAt: 10))
            guard case .failure(let failure) = refused else {
                Issue.record("the copy was kept though a runner held the lease in between")
                return
            }
            #expect(failure.description.contains("the source's runner lease changed hands during the copy"), "\(failure)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: project.root).filter { $0.hasPrefix("copy.sqlite") }.isEmpty)
            let kept = await copy(to: "again.sqlite", clock: IntrudingClock(path: source, intrudeAt: .max))
            if case .failure(let failure) = kept { Issue.record("\(failure)") }
            #expect(FileManager.default.fileExists(atPath: project.root + "/again.sqlite"))
        }
    }
}
