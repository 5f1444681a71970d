import CadenceCore
import CadenceGmail

/// Reads the keys the `tracking` section names. A key file is read as bytes (a trailing newline dropped, as an
/// editor adds one), refused unless private to its owner like every secret, and must hold at least 32 bytes.
public enum TrackingKeyLoader {
    public static func load(_ settings: TrackingSettings, secrets: SecretStore) throws(SecretError) -> TrackingKeys {
        let current = try key(settings.key, what: "the tracking key (\"tracking\".\"key\")", secrets: secrets)
        var previous: [TrackingKey] = []
        for (index, reference) in settings.previousKeys.enumerated() {
            previous.append(try key(reference, what: "previous tracking key #\(index + 1) (\"tracking\".\"previousKeys\")", secrets: secrets))
        }
        return TrackingKeys(current: current, previous: previous)
    }

    static func key(_ reference: SecretReference, what: String, secrets: SecretStore) throws(SecretError) -> TrackingKey {
        var bytes: [UInt8]
        switch reference {
        case .file(let path): bytes = try secrets.privateFile(path, what: what)
        case .environment: bytes = Array(try secrets.text(reference, what: what).revealed.utf8)
        }
        while let last = bytes.last, last == 10 || last == 13 || last == 32 || last == 9 { bytes.removeLast() }
        guard let key = TrackingKey(secret: bytes) else {
            throw SecretError(
                "\(what) (\(reference)) holds \(bytes.count) bytes; it needs at least 32. Make one with `head -c 32 /dev/urandom | base64 > secrets/tracking.key && chmod 600 secrets/tracking.key`"
            )
        }
        return key
    }
}
