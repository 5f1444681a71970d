/// libpq's password file (`~/.pgpass`, or `PGPASSFILE`): lines of `host:port:database:user:password`, where `*`
/// matches anything, `\:` and `\\` stand for `:` and `\`, and `#` starts a comment. The first matching line wins.
/// Reading the file, and refusing it unless only its owner can read it (mode 0600, as libpq insists), is the
/// caller's: this only matches.
public enum PostgresPasswordFile {
    /// The password for this connection, if a line matches. A Unix socket in the default folder matches the host
    /// `localhost`, another folder its own path, as in libpq.
    public static func password(in contents: String, for settings: PostgresSettings) -> String? {
        let host: String
        let port: Int
        switch settings.endpoint {
        case .tcp(let name, let number): (host, port) = (name, number)
        case .socket(let folder, let number): (host, port) = (folder == PostgresSettings.defaultSocketFolder ? "localhost" : folder, number)
        }
        let wanted = [host, String(port), settings.database, settings.user]
        for line in contents.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            if line.hasPrefix("#") { continue }
            let fields = Self.fields(line)
            guard fields.count == 5 else { continue }  // libpq skips a line it cannot read
            if zip(fields.prefix(4), wanted).allSatisfy({ $0.wildcard || $0.text == $1 }) { return fields[4].text }
        }
        return nil
    }

    /// Splits a line at unescaped colons; the last field keeps any colons after the fourth. A field that is a lone
    /// unescaped `*` matches anything; `\*` is a literal star.
    static func fields(_ line: Substring) -> [(text: String, wildcard: Bool)] {
        var fields: [(text: String, wildcard: Bool)] = []
        var current = ""
        var escapedAny = false
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
                escapedAny = true
            } else if character == ":", fields.count < 4 {
                fields.append((current, current == "*" && !escapedAny))
                current = ""
                escapedAny = false
            } else {
                current.append(character)
            }
        }
        fields.append((current, current == "*" && !escapedAny))
        return fields
    }
}
