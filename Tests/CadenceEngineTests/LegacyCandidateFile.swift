import CSV
import CadenceCore
import CadenceEngine
import Foundation

/// The candidates reader as it was before `CSVParser` (CSV.swift behind a byte pre-check), kept only so the fuzz
/// test can hold the new reader to its behaviour.
///
/// Streams a candidates CSV (UTF-8, a BOM tolerated, RFC 4180 quoting including line breaks in quoted cells) row
/// by row, so 100,000 candidates never sit in memory at once.
///
/// Parsing is CSV.swift's; this type tracks line numbers (a quoted cell with line breaks spans several) and hands
/// each row to `CandidateColumns` for its checks.
struct LegacyCandidateFile {
    typealias Row = CandidateFile.Row

    let path: String
    let display: String

    /// Calls `header` with the checked columns, then `body` for each data row. Throws when the file or its
    /// header is unusable: not a file, not UTF-8, a quote never closed, no header.
    @discardableResult
    func forEachRow(header: (CandidateColumns) throws -> Void = { _ in }, _ body: (Row) throws -> Void) throws -> CandidateColumns {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CandidateFile.OpenError.problems([.error("cannot read the candidates file; check the path", file: display, at: nil)])
        }
        if isDirectory.boolValue {
            throw CandidateFile.OpenError.problems([.error("this is a folder; give the path of a CSV file", file: display, at: nil)])
        }
        // A pipe (`--candidates /dev/stdin`) can be read once: copy it aside so it can be checked and then parsed.
        var readPath = path
        var spooled: String?
        if let type = try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType, type != .typeRegular {
            let copy = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-candidates-\(UUID().uuidString).csv").path
            guard FileManager.default.createFile(atPath: copy, contents: nil), let input = FileHandle(forReadingAtPath: path),
                let output = FileHandle(forWritingAtPath: copy)
            else { throw CandidateFile.OpenError.problems([.error("cannot read the candidates file; check the path", file: display, at: nil)]) }
            do {
                while let chunk = try input.read(upToCount: 1 << 16), !chunk.isEmpty { try output.write(contentsOf: chunk) }
                try output.close()
            } catch {
                throw CandidateFile.OpenError.problems([.error("reading the file failed: \(error.localizedDescription)", file: display, at: nil)])
            }
            readPath = copy
            spooled = copy
        }
        defer { if let spooled { try? FileManager.default.removeItem(atPath: spooled) } }
        try Self.checkBytes(readPath, display: display)
        guard let stream = InputStream(fileAtPath: readPath), FileManager.default.isReadableFile(atPath: readPath) else {
            throw CandidateFile.OpenError.problems([.error("cannot read the candidates file; check the path", file: display, at: nil)])
        }
        let reader: CSVReader
        do {
            reader = try CSVReader(stream: stream, hasHeaderRow: true)
        } catch {
            throw CandidateFile.OpenError.problems([.error("the file has no header row; the first line names the columns, e.g. email,firstName,company", file: display, at: .line(1))])
        }
        defer { stream.close() }
        let headerRow = reader.headerRow ?? []
        let checked = CandidateColumns.check(header: headerRow, file: display)
        guard let columns = checked.columns else { throw CandidateFile.OpenError.problems(checked.diagnostics) }
        try header(columns)
        var line = 1 + headerRow.reduce(0) { $0 + Self.lineBreaks(in: $1) } + 1
        while let row = reader.next() {
            let rowLine = line
            line += 1 + row.reduce(0) { $0 + Self.lineBreaks(in: $1) }
            if row.count == 1, row[0].isEmpty { continue }  // a blank line
            switch columns.candidate(from: row, line: rowLine) {
            case .success(let candidate): try body(.candidate(candidate))
            case .failure(let problems): try body(.problems(problems.diagnostics))
            }
        }
        if case CSVError.streamErrorHasOccurred? = reader.error {
            throw CandidateFile.OpenError.problems([.error("reading the file failed after line \(line - 1); check that it is still there and readable", file: display, at: nil)])
        }
        return columns
    }

    /// One streaming pass over the bytes before parsing, because CSV.swift stops silently at a bad byte and reads an
    /// unclosed quote to the end of the file: every line that is not UTF-8, and a quote never closed, are located.
    static func checkBytes(_ path: String, display: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CandidateFile.OpenError.problems([.error("cannot read the candidates file; check the path", file: display, at: nil)])
        }
        defer { try? handle.close() }
        var problems: [Diagnostic] = []
        var line = 1
        var lineBytes: [UInt8] = []
        var inQuotes = false, quoteLine = 0, atFieldStart = true, pendingQuote = false
        func endLine() {
            if String(validating: lineBytes, as: UTF8.self) == nil, problems.count < 20 {
                problems.append(.error("this line is not valid UTF-8; save the file as UTF-8 (CSV UTF-8 in Excel)", file: display, at: .line(line)))
            }
            lineBytes.removeAll(keepingCapacity: true)
        }
        while true {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: 1 << 16) ?? Data()
            } catch {
                throw CandidateFile.OpenError.problems([.error("reading the file failed after line \(line - 1); check that it is still there and readable", file: display, at: nil)])
            }
            if chunk.isEmpty { break }
            for byte in chunk {
                if pendingQuote {
                    pendingQuote = false
                    if byte == UInt8(ascii: "\"") { lineBytes.append(byte); continue }  // "" inside quotes
                    inQuotes = false
                    if byte != UInt8(ascii: ","), byte != UInt8(ascii: "\r"), byte != UInt8(ascii: "\n"), problems.count < 20 {
                        problems.append(
                            .error(
                                "a quoted value (opened on line \(quoteLine)) ends with a quote followed by more text; double a quote inside a value (\"\")",
                                file: display, at: .line(line)))
                    }
                }
                if byte == UInt8(ascii: "\n") {
                    endLine()
                    line += 1
                    if !inQuotes { atFieldStart = true }
                    continue
                }
                lineBytes.append(byte)
                if inQuotes {
                    if byte == UInt8(ascii: "\"") { pendingQuote = true }
                } else if byte == UInt8(ascii: "\""), atFieldStart {
                    inQuotes = true
                    quoteLine = line
                    atFieldStart = false
                } else {
                    atFieldStart = byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\r")
                }
            }
        }
        if !lineBytes.isEmpty { endLine() }
        if inQuotes, !pendingQuote {
            problems.append(.error("the quote opened on this line is never closed; close it, or double a quote inside a value (\"\")", file: display, at: .line(quoteLine)))
        }
        if !problems.isEmpty { throw CandidateFile.OpenError.problems(problems) }
    }

    private static func lineBreaks(in field: String) -> Int {
        field.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }
}
