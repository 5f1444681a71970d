import CadenceCore
import CadenceStore
import Foundation

/// The file `cadence suppress import` reads: addresses and domains one per line, or in the first column of a CSV
/// (a header naming that column is skipped), or the CSV `suppress export` writes (`kind,value,reason,addedAt`),
/// read back as it is. Parsed by Core's `CSVParser`, so quoted cells and CRLF lines are read as in a candidates
/// file and every problem is located by line.
public enum SuppressionFile {
    public enum Failure: Error, Equatable {
        case problems([Diagnostic])
    }

    public typealias Entry = (kind: Suppression.Kind, value: String)

    /// An address (by its key, as launch compares them) or a domain (`@` in front tolerated); why not, otherwise.
    public static func entry(_ text: String) -> Result<Entry, EntryError> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.contains("@"), !trimmed.hasPrefix("@") {
            switch EmailAddress.parse(trimmed) {
            case .success(let address): return .success((.address, AddressKey.normalized(address)))
            case .failure(let error): return .failure(EntryError("\"\(text)\" is not an email address: it \(error.reason)"))
            }
        }
        let domain = (trimmed.hasPrefix("@") ? String(trimmed.dropFirst()) : trimmed).lowercased()
        guard !domain.contains("@"), case .success = EmailAddress.parse("x@" + domain) else {
            return .failure(EntryError("\"\(text)\" is neither an email address nor a domain such as example.com"))
        }
        return .success((.domain, domain))
    }

    public struct EntryError: Error, Equatable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Every entry of the file, or its problems: at most 20 of the file's own, else 100 of its entries' and a count.
    public static func read(path: String, display: String) throws(Failure) -> [Entry] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .problems([.error("cannot read the file; check the path", file: display, at: nil)])
        }
        defer { try? handle.close() }
        var parser = CSVParser()
        var entries: [Entry] = []
        var problems: [Diagnostic] = []
        var notListed = 0
        var exported = false
        var first = true
        func take(_ fields: [String], _ line: Int) {
            let cells = fields.map { $0.trimmingCharacters(in: .whitespaces) }
            defer { first = false }
            if first {
                // `suppress export` writes kind,value,reason,addedAt: read that back as it is.
                exported = cells.count >= 2 && cells[0].lowercased() == "kind" && cells[1].lowercased() == "value"
                if exported || ["email", "address", "domain", "value", "e-mail"].contains(cells[0].lowercased()) { return }
            }
            if exported, cells.count >= 2, let kind = Suppression.Kind(rawValue: cells[0]) {
                if kind == .hash {
                    guard cells[1].count == 64, cells[1].allSatisfy(\.isHexDigit) else {
                        problem("\"\(cells[1])\" is not a forgotten person's hash", line)
                        return
                    }
                    entries.append((.hash, cells[1]))
                    return
                }
                record(entry(cells[1]), line)
                return
            }
            if cells[0].isEmpty { return }  // a blank line
            record(entry(cells[0]), line)
        }
        func record(_ result: Result<Entry, EntryError>, _ line: Int) {
            switch result {
            case .success(let entry): entries.append(entry)
            case .failure(let error): problem(error.description, line)
            }
        }
        // The first 100 are listed and the rest counted, so a wrong file does not flood the terminal.
        func problem(_ message: String, _ line: Int) {
            if problems.count < 100 { problems.append(.error(message, file: display, at: .line(line))) } else { notListed += 1 }
        }
        while true {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: 1 << 16) ?? Data()
            } catch {
                throw .problems([.error("reading the file failed after line \(parser.line - 1); check that it is still there and readable", file: display, at: nil)])
            }
            if chunk.isEmpty { break }
            chunk.withUnsafeBytes { raw in parser.feed(raw.bindMemory(to: UInt8.self), take) }
        }
        parser.finish(take)
        let located = parser.problems.map { Diagnostic.error($0.message, file: display, at: .line($0.line)) }
        if !located.isEmpty { throw .problems(located) }
        if notListed > 0 { problems.append(.error("… and \(notListed) more problem\(notListed == 1 ? "" : "s"), not listed", file: display, at: nil)) }
        if !problems.isEmpty { throw .problems(problems) }
        return entries
    }
}
