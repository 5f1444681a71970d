/// The rule for ids people type into files and commands: campaign ids, step ids, variant ids, mailbox names.
///
/// Lowercase slugs survive being typed on a command line, used in file names and compared across machines.
public enum Identifier {
    public static let rule = "must be lowercase letters, digits, '-' and '_', starting with a letter or digit (at most 64 characters)"

    public static func isValid(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.unicodeScalars.count <= 64 else { return false }
        func isLowerOrDigit(_ s: UnicodeScalar) -> Bool { ("a"..."z").contains(s) || ("0"..."9").contains(s) }
        return isLowerOrDigit(first) && text.unicodeScalars.allSatisfy { isLowerOrDigit($0) || $0 == "-" || $0 == "_" }
    }
}
