import Foundation

/// The form of an address that identifies a person across campaigns and the suppression list.
///
/// Addresses compare without case. For gmail.com and googlemail.com, which deliver `a.n.a+jobs@gmail.com` to
/// `ana@gmail.com`, dots and `+tags` in the local part are ignored too. Other domains keep them: a `+tag` there may
/// be a different mailbox.
public enum AddressKey {
    public static let gmailDomains: Set<String> = ["gmail.com", "googlemail.com"]

    public static func normalized(_ address: EmailAddress) -> String {
        var local = address.localPart.lowercased()
        var domain = address.domain
        if gmailDomains.contains(domain) {
            if let plus = local.firstIndex(of: "+") { local = String(local[..<plus]) }
            local.removeAll { $0 == "." }
            domain = "gmail.com"
        }
        return "\(local)@\(domain)"
    }

    /// The key of an address as it arrives in mail (a `From`, a bounce's failed recipient), to compare with
    /// candidates' keys: normalised like theirs when it is a valid address, else only trimmed and lowercased.
    public static func normalized(text: String) -> String {
        let trimmed = text.trimmingCharacters(in: CharacterSet(charactersIn: " \t<>"))
        if case .success(let address) = EmailAddress.parse(trimmed) { return normalized(address) }
        return trimmed.lowercased()
    }

    /// What the suppression list keeps after `cadence forget`: enough to recognise the person, nothing to read.
    public static func hash(_ normalized: String) -> String {
        StableHash.hex("forgotten-address", normalized, bytes: 32)
    }

    /// `eu.client.com`, `client.com`, `com`: a domain suppression covers its subdomains.
    public static func domainAndParents(_ domain: String) -> [String] {
        var domains: [String] = []
        var parent = Substring(domain)
        while true {
            domains.append(String(parent))
            guard let dot = parent.firstIndex(of: ".") else { return domains }
            parent = parent[parent.index(after: dot)...]
        }
    }
}
