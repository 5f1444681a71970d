import CadenceCore
import Foundation

/// The suppression list as a launch reads it once, before its first row: every row is checked against it in
/// memory (the runner checks the table again before every send).
package struct LaunchSuppression: Sendable {
    private var addresses: Set<String> = []
    private var hashes: Set<String> = []
    private var domains: Set<String> = []

    package init(_ entries: [(kind: String, value: String)]) {
        for entry in entries {
            switch Suppression.Kind(rawValue: entry.kind) {
            case .address?: addresses.insert(entry.value)
            case .domain?: domains.insert(entry.value)
            case .hash?, nil: hashes.insert(entry.value)
            }
        }
    }

    /// Why the list forbids writing to this address, if it does.
    package func reason(for key: String, domain: String) -> SkipReason? {
        if addresses.contains(key) || (!hashes.isEmpty && hashes.contains(AddressKey.hash(key))) {
            return .suppressedAddress
        }
        guard !domains.isEmpty else { return nil }
        return AddressKey.domainAndParents(domain).first(where: domains.contains).map(SkipReason.suppressedDomain)
    }
}
