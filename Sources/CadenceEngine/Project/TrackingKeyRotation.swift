import CadenceCore
import CadenceGmail
import CadenceStore
import Foundation

/// `validate`'s check on key rotation: a key may leave `"tracking"` only once no unsubscribe link it signed is
/// younger than 60 days. Gmail and Yahoo expect one-click unsubscribe to keep working long after the mail was sent,
/// and a link whose key is gone can no longer be verified.
public enum TrackingKeyRotation {
    public static let keepDays = 60

    public static func check(
        _ configuration: ProjectConfiguration, databasePath: String, secrets: SecretStore, file: String, now: Date
    ) -> [Diagnostic] {
        guard let settings = configuration.tracking, FileManager.default.fileExists(atPath: databasePath) else { return [] }
        let keys: TrackingKeys
        do {
            keys = try TrackingKeyLoader.load(settings, secrets: secrets)
        } catch {
            return [.warning("cannot check that no tracking key still needed was dropped: \(error)", file: file, at: nil)]
        }
        let held = Set(([keys.current] + keys.previous).map(\.id))
        let used: [(keyID: UInt8, latest: Date)]
        do {
            let database = try CadenceDatabase.open(path: databasePath, mode: .readOnly)
            used = try database.trackingKeysUsed(since: now.addingTimeInterval(-Double(keepDays) * 86_400))
        } catch {
            return [.warning("cannot check that no tracking key still needed was dropped: \(error)", file: file, at: nil)]
        }
        return used.filter { !held.contains($0.keyID) }.sorted { $0.keyID < $1.keyID }.map { dropped in
            let until = dropped.latest.addingTimeInterval(Double(keepDays) * 86_400)
            return .error(
                "a tracking key no longer in \"tracking\" (key id \(dropped.keyID)) signed the unsubscribe links of mail sent up to \(Timestamps.display(dropped.latest)); those links must work for \(keepDays) days, so keep that key in \"previousKeys\" until \(Timestamps.display(until))",
                file: file, at: nil)
        }
    }
}
