import CadenceCore
import CadenceEngine
import CadenceFakeGmail
import CadenceStore
import Foundation
import Testing

@Suite("Reading a mailbox another runner holds now")
struct WatchFenceTests {
    @Test("a runner that no longer holds a mailbox still applies what it read (each message once) but leaves the mailbox's position to its new holder")
    func readingWithoutTheMailbox() async throws {
        try await SendingScene.with(people: 1) { (scene: SendingScene) async throws -> Void in
            _ = try await scene.pass(at: 0)
            let thread = try #require(scene.sent.first?.threadID)
            let position = try #require(try await scene.database.syncCheckpoint("sam"))
            let raw = Array("From: p1@example.org\r\nTo: \(SendingScene.sam)\r\nSubject: Re: hello\r\n\r\nNo thanks.\r\n".utf8)
            _ = try scene.fake.deliver(raw, to: SendingScene.sam, threadID: thread)
            var watch = try #require(scene.runner.watch)
            // The mailbox moved to another runner meanwhile: this one has no fence for it.
            watch.fence = { (_: String) async throws(StoreError) -> Int64? in nil }
            let result = try await watch.sync(scene.configuration, now: scene.clock.now)
            #expect(try scene.state("p1@example.org") == .stopped(.replied), "the reply it read was applied")
            #expect(result.failures.isEmpty, "not a failure of the mailbox: \(result.failures)")
            #expect(try await scene.database.syncCheckpoint("sam") == position)
            // Read again by the new holder: applied once only, and the position moves.
            watch.fence = nil
            let again = try await watch.sync(scene.configuration, now: scene.clock.now)
            #expect(again.processed == 1 && again.stopped == 0)
            #expect(try await scene.database.syncCheckpoint("sam") != position)
        }
    }
}
