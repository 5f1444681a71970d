/// The header of a candidates CSV, checked, and the rules that turn each row into a `Candidate`.
///
/// Headers become merge fields (`<<candidate.company>>`), so they must be identifiers; `email` is required and
/// an optional `timezone` column holds each person's IANA zone.
public struct CandidateColumns: Sendable {
    public static let emailColumn = "email"
    public static let timeZoneColumn = "timezone"

    public let file: String
    public let names: [String]

    public struct Result: Sendable {
        public var columns: CandidateColumns?
        public var diagnostics: [Diagnostic]
    }

    /// Checks the header row (line 1 of `file`).
    public static func check(header: [String], file: String) -> Result {
        var diagnostics: [Diagnostic] = []
        var seen: Set<String> = []
        let names = header.map(\.trimmed)
        for (index, name) in names.enumerated() {
            let column = index + 1
            if name.isEmpty {
                diagnostics.append(.error("column \(column) has no header; name it, e.g. \"company\"", file: file, at: .line(1)))
            } else if !TemplateSyntax.isIdentifier(Substring(name)) {
                diagnostics.append(
                    .error(
                        "header \"\(name)\" (column \(column)) is not a merge-field name; use letters, digits and _ starting with a letter, e.g. \"firstName\"",
                        file: file, at: .line(1)))
            } else if !seen.insert(name).inserted {
                diagnostics.append(.error("header \"\(name)\" appears twice (column \(column)); each column needs its own name", file: file, at: .line(1)))
            }
        }
        if !names.contains(emailColumn) {
            let hint = names.first { $0.lowercased().contains("mail") }.map { "; rename \"\($0)\" to \"email\"" } ?? ""
            diagnostics.append(.error("there is no \"email\" column\(hint)", file: file, at: .line(1)))
        }
        guard diagnostics.isEmpty else { return Result(columns: nil, diagnostics: diagnostics) }
        return Result(columns: CandidateColumns(file: file, names: names), diagnostics: [])
    }

    /// The candidate in `row`, or every problem with it.
    public func candidate(from row: [String], line: Int) -> Swift.Result<Candidate, RowProblems> {
        guard row.count == names.count else {
            return .failure(
                RowProblems([
                    .error(
                        "the row has \(row.count) field\(row.count == 1 ? "" : "s") but the header has \(names.count); a value with a comma needs double quotes around it",
                        file: file, at: .line(line))
                ]))
        }
        var fields: [String: String] = [:]
        fields.reserveCapacity(names.count)
        for (name, value) in zip(names, row) { fields[name] = value }
        var problems: [Diagnostic] = []
        let emailText = fields[Self.emailColumn]!.trimmed
        var email: EmailAddress?
        if emailText.isEmpty {
            problems.append(.error("the email is empty", file: file, at: .line(line)))
        } else {
            switch EmailAddress.parse(emailText) {
            case .success(let address): email = address
            case .failure(let error): problems.append(.error("\"\(emailText)\" is not an email address: it \(error.reason)", file: file, at: .line(line)))
            }
        }
        var timeZone: String?
        if let zone = fields[Self.timeZoneColumn]?.trimmed, !zone.isEmpty {
            if TimeZoneName.isKnown(zone) { timeZone = zone } else { problems.append(.error(TimeZoneName.unknownMessage(zone), file: file, at: .line(line))) }
        }
        guard let email, problems.isEmpty else { return .failure(RowProblems(problems)) }
        return .success(Candidate(line: line, email: email, fields: fields, timeZone: timeZone))
    }
}

/// Why a row is not a candidate; other rows go on.
public struct RowProblems: Error, Sendable, Equatable {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
}
