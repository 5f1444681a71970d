import CadenceCore
import Foundation

/// The `outbox` provider: each message becomes `<send id>.eml` in the mailbox's folder.
///
/// A message is written under a hidden temporary name, flushed to disk, then renamed into place, and the folder is
/// synced so that the new name survives a power loss too. A rename is atomic, so a file with the final name is a
/// message that was completely sent, and `lookUp` answers honestly from the folder after any crash: the file is
/// there, or it is not.
public struct OutboxFolderSender: MailSender {
    /// Where relative outbox folders are resolved (the project root).
    public let root: String
    /// Makes a folder's entries durable (fsync on the folder): the seam through which tests see when it happens.
    let syncFolder: @Sendable (String) throws -> Void

    public init(root: String) {
        self.init(root: root, syncFolder: FolderSync.sync)
    }

    /// `syncFolder` replaces the fsync, for tests that watch when it happens.
    public init(root: String, syncFolder: @escaping @Sendable (String) throws -> Void) {
        self.root = root
        self.syncFolder = syncFolder
    }

    public func folder(for mailbox: Mailbox) -> String? {
        guard case .outbox(let folder) = mailbox.provider else { return nil }
        return folder.hasPrefix("/") ? folder : root + "/" + folder
    }

    public func send(_ request: SendRequest, from mailbox: Mailbox) async throws(SendFailure) -> SentMessage {
        let key = request.key, bytes = request.bytes
        guard let folder = folder(for: mailbox) else { throw .rejected(reason: "mailbox \(mailbox.name) does not use the outbox provider") }
        let name = Self.fileName(key)
        let final = folder + "/" + name
        if FileManager.default.fileExists(atPath: final) {
            return SentMessage(providerMessageID: name, threadID: nil)  // already sent: never write it twice
        }
        let temporary = folder + "/." + name + ".\(UUID().uuidString).tmp"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
                throw CocoaError(.fileWriteNoPermission)
            }
            defer { try? handle.close() }
            try handle.write(contentsOf: bytes)
            try handle.synchronize()
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw .notSent(reason: "cannot write to the outbox folder \(folder): \(error.localizedDescription)")
        }
        guard rename(temporary, final) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw .notSent(reason: "cannot move the message into \(folder): \(reason)")
        }
        // The new name lives in the folder: until the folder is synced, a power loss can take the file back while
        // the store already says "sent". If it cannot be synced, the runner looks the message up before going on.
        do {
            try syncFolder(folder)
        } catch {
            throw .outcomeUnknown(reason: "\(name) is in \(folder) but the folder could not be synced to disk: \(error)")
        }
        return SentMessage(providerMessageID: name, threadID: nil)
    }

    public func lookUp(_ request: SendRequest, in mailbox: Mailbox) async throws(SendFailure) -> SentMessage? {
        let key = request.key
        guard let folder = folder(for: mailbox) else { throw .rejected(reason: "mailbox \(mailbox.name) does not use the outbox provider") }
        let name = Self.fileName(key)
        return FileManager.default.fileExists(atPath: folder + "/" + name) ? SentMessage(providerMessageID: name, threadID: nil) : nil
    }

    static func fileName(_ key: SendKey) -> String {
        key.sendID + ".eml"
    }
}
