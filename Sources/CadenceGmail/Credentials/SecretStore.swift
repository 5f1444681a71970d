import CadenceCore
import Foundation

/// Reads secrets from where `cadence.json` says they are. Files must be private to their owner: a secret that
/// others on the machine can read is refused, with the `chmod` that fixes it.
public struct SecretStore: Sendable {
    /// The project folder, against which relative paths are read.
    public let root: String
    /// The process environment, passed in so tests and the CLI decide what it holds.
    public let environment: [String: String]

    public init(root: String, environment: [String: String]) {
        self.root = root
        self.environment = environment
    }

    public func path(_ relative: String) -> String {
        relative.hasPrefix("/") ? relative : root + "/" + relative
    }

    /// The raw text of a secret, trimmed.
    public func text(_ reference: SecretReference, what: String) throws(SecretError) -> Secret {
        switch reference {
        case .environment(let name):
            guard let value = environment[name], !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw SecretError("\(what): the environment variable \(name) is not set; export it before running cadence")
            }
            return Secret(value.trimmingCharacters(in: .whitespacesAndNewlines))
        case .file(let relative):
            let bytes = try privateFile(relative, what: what)
            return Secret(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// A client secret: plain text, or the `client_secret.json` the Cloud console downloads (`installed` or `web`).
    public func clientSecret(_ reference: SecretReference) throws(SecretError) -> Secret {
        let text = try self.text(reference, what: "the OAuth client secret").revealed
        guard text.hasPrefix("{") else { return Secret(text) }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
            let section = (object["installed"] ?? object["web"]) as? [String: Any], let secret = section["client_secret"] as? String
        else {
            throw SecretError(
                "the OAuth client secret (\(reference)) is JSON but not a client_secret.json with an \"installed\" section; download it again from the Cloud console (Credentials › your Desktop client › Download JSON)"
            )
        }
        return Secret(secret)
    }

    /// The bytes of a file only its owner can read.
    public func privateFile(_ relative: String, what: String) throws(SecretError) -> [UInt8] {
        let full = path(relative)
        // The attributes of the file a symlink points at, as `stat` gives them.
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: (full as NSString).resolvingSymlinksInPath) else {
            throw SecretError(
                "\(what): \(relative) does not exist; " + (relative.hasSuffix(".token.json") ? "run `cadence auth login` for this mailbox" : "create it, or fix the path in cadence.json"))
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else { throw SecretError("\(what): \(relative) is not a regular file") }
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
        guard mode & 0o077 == 0 else {
            throw SecretError("\(what): \(relative) can be read by other users (mode \(String(mode & 0o777, radix: 8))); run `chmod 600 \(relative)` and try again")
        }
        guard let data = FileManager.default.contents(atPath: full) else { throw SecretError("\(what): \(relative) cannot be read") }
        return Array(data)
    }

    /// Writes `bytes` to `relative` with mode 0600, atomically (a crash leaves the old file or the new, never half).
    public func writePrivateFile(_ relative: String, _ bytes: [UInt8]) throws(SecretError) {
        let full = path(relative)
        let folder = (full as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw SecretError("cannot create \(folder): \(error.localizedDescription)")
        }
        // A fresh name each time, created exclusively and never through a symlink, then forced to 0600 whatever
        // the umask, synced, renamed over the old file, and the folder synced so the rename survives a crash.
        let temporary = full + ".tmp-\(getpid())-\(UUID().uuidString)"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw SecretError("cannot write \(relative): \(String(cString: strerror(errno)))") }
        var failure: Int32 = 0
        if fchmod(descriptor, 0o600) != 0 { failure = errno }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if failure == 0, written != bytes.count { failure = errno == 0 ? EIO : errno }
        if failure == 0, fsync(descriptor) != 0 { failure = errno }
        close(descriptor)
        if failure == 0, rename(temporary, full) != 0 { failure = errno }
        guard failure == 0 else {
            unlink(temporary)
            throw SecretError("cannot write \(relative): \(String(cString: strerror(failure)))")
        }
        let folderDescriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }
}

/// A secret that cannot be read, and what to do about it. Never contains the secret itself.
public struct SecretError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
