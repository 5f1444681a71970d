/// Merge values placed inside a link's address.
enum URLValue {
    /// http, https and mailto: the only schemes a value may bring when it is the whole address of a link.
    static func isWebOrMail(_ value: String) -> Bool {
        let lowered = value.lowercased()
        return (lowered.hasPrefix("https://") || lowered.hasPrefix("http://")) && lowered.count > 8 || lowered.hasPrefix("mailto:") && lowered.count > 7
    }

    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
    /// What may stand unencoded in a whole address (RFC 3986 reserved and unreserved characters, and `%`).
    private static let addressCharacters = unreserved.union(":/?#[]@!$&'()*+,;=%".utf8)

    /// A whole address keeps its structure and loses only what cannot appear in one (spaces, quotes, angle
    /// brackets, non-ASCII); a value inside an address (a query parameter) is encoded down to unreserved characters.
    static func encode(_ value: String, wholeURL: Bool) -> String {
        let allowed = wholeURL ? addressCharacters : unreserved
        var output = ""
        for byte in value.utf8 {
            if allowed.contains(byte) {
                output.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                output += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return output
    }
}
