/// An address Cadence will put in a `From:` or `To:` header, checked the way a careful sender checks it.
///
/// Only the common dot-atom form (RFC 5322 §3.4.1) is accepted: quoted local parts and IP-literal domains are legal
/// but in practice are typos, and a malformed address must never reach a send.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    public let localPart: String
    /// Lowercased: domains are case-insensitive.
    public let domain: String

    public var description: String { "\(localPart)@\(domain)" }

    private static let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-".unicodeScalars)

    /// The address, or why `text` is not one (to append after the value in a message).
    public static func parse(_ text: String) -> Result<EmailAddress, EmailAddressError> {
        if let address = fastParse(text) { return .success(address) }
        return carefulParse(text)
    }

    /// The rules one by one, with the reason for a failure.
    static func carefulParse(_ text: String) -> Result<EmailAddress, EmailAddressError> {
        if text.first?.isWhitespace == true || text.last?.isWhitespace == true {
            return .failure(.init("has spaces around it"))
        }
        let pieces = text.split(separator: "@", omittingEmptySubsequences: false)
        guard pieces.count == 2 else {
            return .failure(.init(pieces.count == 1 ? "has no @" : "has more than one @"))
        }
        let local = String(pieces[0]), domain = String(pieces[1])
        guard !local.isEmpty else { return .failure(.init("has nothing before the @")) }
        guard local.utf8.count <= 64 else { return .failure(.init("has a part before the @ longer than 64 characters")) }
        guard local.unicodeScalars.allSatisfy({ atext.contains($0) || $0 == "." }) else {
            return .failure(.init("has a character that is not allowed before the @"))
        }
        guard !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else {
            return .failure(.init("has a misplaced dot before the @"))
        }
        guard !domain.isEmpty else { return .failure(.init("has nothing after the @")) }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return .failure(.init("has no dot in its domain \"\(domain)\"")) }
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= 63,
                label.unicodeScalars.allSatisfy({ ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" }),
                !label.hasPrefix("-"), !label.hasSuffix("-")
            else { return .failure(.init("has an invalid domain \"\(domain)\"")) }
        }
        guard let tld = labels.last, tld.count >= 2, !tld.allSatisfy(\.isNumber) else {
            return .failure(.init("has an invalid domain \"\(domain)\""))
        }
        return .success(EmailAddress(localPart: local, domain: domain.lowercased()))
    }

    /// One pass over the bytes for the common, clearly valid address; anything unusual goes to the careful path,
    /// which also says what is wrong.
    static func fastParse(_ text: String) -> EmailAddress? {
        var at: Int?
        var previous: UInt8 = 0
        var labelLength = 0
        var lastLabelAllDigits = true
        var lastLabelLength = 0
        var index = 0
        var domainHasDot = false
        var domainHasUpper = false
        for byte in text.utf8 {
            defer { previous = byte; index += 1 }
            if byte == UInt8(ascii: "@") {
                guard at == nil, index > 0, index <= 64, previous != UInt8(ascii: ".") else { return nil }
                at = index
                continue
            }
            if at == nil {
                let ok =
                    (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                guard ok else { return nil }
                if byte == UInt8(ascii: ".") { guard index > 0, previous != UInt8(ascii: ".") else { return nil } }
            } else {
                if byte == UInt8(ascii: ".") {
                    guard labelLength > 0, previous != UInt8(ascii: "-") else { return nil }
                    domainHasDot = true
                    labelLength = 0
                    lastLabelAllDigits = true
                    lastLabelLength = 0
                    continue
                }
                let letter = (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A)
                let digit = byte >= 0x30 && byte <= 0x39
                guard letter || digit || (byte == UInt8(ascii: "-") && labelLength > 0) else { return nil }
                if byte >= 0x41 && byte <= 0x5A { domainHasUpper = true }
                if !digit { lastLabelAllDigits = false }
                labelLength += 1
                lastLabelLength += 1
                guard labelLength <= 63 else { return nil }
            }
        }
        guard let at, domainHasDot, labelLength > 0, previous != UInt8(ascii: "-"), lastLabelLength >= 2, !lastLabelAllDigits else { return nil }
        let utf8 = text.utf8
        let local = String(utf8[utf8.startIndex..<utf8.index(utf8.startIndex, offsetBy: at)])!
        let domain = String(utf8[utf8.index(utf8.startIndex, offsetBy: at + 1)...])!
        return EmailAddress(localPart: local, domain: domainHasUpper ? domain.lowercased() : domain)
    }

    private init(localPart: String, domain: String) {
        self.localPart = localPart
        self.domain = domain
    }
}

public struct EmailAddressError: Error, Sendable, Equatable {
    /// Completes "… is not an email address: it …".
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public init(reason: String) { self.reason = reason }
}
