import CadenceCore
import CadenceEngine
import Foundation
import Synchronization
import Testing

@Suite("The outbox provider: atomic files, honest answers")
struct OutboxFolderSenderTests {
    static let identity = SendIdentity(campaignID: "q1", stepID: "intro", address: try! EmailAddress.parse("ana@example.org").get()).key(domain: "example.com")
    static func request(_ bytes: [UInt8]) -> SendRequest {
        SendRequest(bytes: bytes, key: identity, recipient: "ana@example.org", recordedAt: Date(timeIntervalSince1970: 0))
    }

    static func mailbox(_ folder: String) -> Mailbox {
        Mailbox(
            name: "sam", address: try! EmailAddress.parse("sam@example.com").get(), displayName: "Sam", signature: "",
            timeZone: "UTC", provider: .outbox(folder: folder), limits: .default)
    }

    func withRoot(_ body: (String) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-outbox-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await body(root)
    }

    @Test("a send writes exactly the bytes under the send id; lookUp finds it; a second send does not write again")
    func sendAndLookUp() async throws {
        try await withRoot { root in
            let sender = OutboxFolderSender(root: root)
            let mailbox = Self.mailbox("outbox/sam")
            #expect(try await sender.lookUp(Self.request([]), in: mailbox) == nil)
            let sent = try await sender.send(Self.request(Array("From: x\r\n\r\nHi\r\n".utf8)), from: mailbox)
            #expect(sent.providerMessageID == Self.identity.sendID + ".eml")
            let path = root + "/outbox/sam/" + sent.providerMessageID
            #expect(FileManager.default.contents(atPath: path) == Data("From: x\r\n\r\nHi\r\n".utf8))
            #expect(try await sender.lookUp(Self.request([]), in: mailbox) == sent)
            _ = try await sender.send(Self.request(Array("different".utf8)), from: mailbox)
            #expect(FileManager.default.contents(atPath: path) == Data("From: x\r\n\r\nHi\r\n".utf8))
            #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/outbox/sam") == [sent.providerMessageID])
        }
    }

    @Test("a left-over temporary file from a crash is not a sent message")
    func crashLeftovers() async throws {
        try await withRoot { root in
            let sender = OutboxFolderSender(root: root)
            let mailbox = Self.mailbox("outbox/sam")
            try FileManager.default.createDirectory(atPath: root + "/outbox/sam", withIntermediateDirectories: true)
            try Data("half a mess".utf8).write(to: URL(fileURLWithPath: root + "/outbox/sam/." + Self.identity.sendID + ".eml.123.tmp"))
            #expect(try await sender.lookUp(Self.request([]), in: mailbox) == nil)
        }
    }

    @Test("a folder that cannot be written is 'not sent', safe to retry")
    func unwritable() async throws {
        try await withRoot { root in
            try Data("a file where the folder should be".utf8).write(to: URL(fileURLWithPath: root + "/outbox"))
            do {
                _ = try await OutboxFolderSender(root: root).send(Self.request([1]), from: Self.mailbox("outbox/sam"))
                Issue.record("sent into a file")
            } catch let error as SendFailure {
                guard case .notSent(let reason) = error else { Issue.record("\(error)"); return }
                #expect(reason.hasPrefix("cannot write to the outbox folder \(root)/outbox/sam"))
            }
        }
    }
}

extension OutboxFolderSenderTests {
    /// What the folder held each time it was synced.
    final class SyncLog: Sendable {
        private let calls = Mutex<[(folder: String, files: [String])]>([])
        func record(_ folder: String) {
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
            calls.withLock { $0.append((folder, files)) }
        }
        var folders: [String] { calls.withLock { $0.map(\.folder) } }
        var files: [[String]] { calls.withLock { $0.map(\.files) } }
    }

    @Test("after the rename the folder is synced, so a power loss cannot take back the name of a message recorded as sent")
    func folderSyncedAfterRename() async throws {
        try await withRoot { root in
            let log = SyncLog()
            let sender = OutboxFolderSender(root: root, syncFolder: { log.record($0) })
            let sent = try await sender.send(Self.request(Array("From: x\r\n\r\nHi\r\n".utf8)), from: Self.mailbox("outbox/sam"))
            #expect(log.folders == [root + "/outbox/sam"])
            #expect(log.files == [[sent.providerMessageID]], "synced after the rename: the final name, no temporary file")
        }
    }

    @Test("a folder that cannot be synced makes the outcome unknown: the message is in place but may not survive a power loss")
    func folderSyncFails() async throws {
        try await withRoot { root in
            let sender = OutboxFolderSender(root: root, syncFolder: { _ in throw POSIXError(.EIO) })
            do {
                _ = try await sender.send(Self.request(Array("Hi".utf8)), from: Self.mailbox("outbox/sam"))
                Issue.record("the send succeeded")
            } catch let failure as SendFailure {
                guard case .outcomeUnknown = failure else { Issue.record("\(failure)"); return }
            }
        }
    }
}
