import CSV
import CadenceCore
import Foundation

/// Streams a candidates CSV (UTF-8, a BOM tolerated, RFC 4180 quoting including line breaks in quoted cells) row
/// by row, so 100,000 candidates never sit in memory at once.
///
/// Parsing is CSV.swift's; this type tracks line numbers (a quoted cell with line breaks spans several) and hands
/// each row to `CandidateColumns` for its checks.
public struct CandidateFile {
    public enum Row {
        case candidate(Candidate)
        /// The row is skipped for these reasons; the others go on.
        case problems([Diagnostic])
    }

    public enum OpenError: Error, Equatable {
        case problems([Diagnostic])
    }

    public let path: String
    public let display: String

    public init(path: String, display: String) {
        self.path = path
        self.display = display
    }

    /// Calls `body` for each data row; returns the header's columns. Throws when the file or its header is unusable.
    @discardableResult
    public func forEachRow(_ body: (Row) throws -> Void) throws -> CandidateColumns {
        guard let stream = InputStream(fileAtPath: path), FileManager.default.isReadableFile(atPath: path) else {
            throw OpenError.problems([.error("cannot read the candidates file; check the path", file: display, at: nil)])
        }
        // CSV.swift reads the header before it installs its error handler, so a bad byte there would pass unnoticed.
        if let handle = FileHandle(forReadingAtPath: path) {
            let head = handle.readData(ofLength: 1 << 16)
            try? handle.close()
            let firstLine = head.prefix { $0 != UInt8(ascii: "\n") }
            let complete = firstLine.count < head.count || head.count < 1 << 16
            if complete, String(validating: Array(firstLine), as: UTF8.self) == nil {
                throw OpenError.problems([.error("the header row is not valid UTF-8; save the file as UTF-8", file: display, at: .line(1))])
            }
        }
        let reader: CSVReader
        do {
            reader = try CSVReader(stream: stream, hasHeaderRow: true)
        } catch {
            throw OpenError.problems([.error("the file has no header row; the first line names the columns, e.g. email,firstName,company", file: display, at: .line(1))])
        }
        defer { stream.close() }
        let header = reader.headerRow ?? []
        let checked = CandidateColumns.check(header: header, file: display)
        guard let columns = checked.columns else { throw OpenError.problems(checked.diagnostics) }
        var line = 1 + header.reduce(0) { $0 + Self.lineBreaks(in: $1) } + 1
        while let row = reader.next() {
            let rowLine = line
            // CSV.swift ends the row at a decoding error as if the file ended there: never use that truncated row.
            if case CSVError.unicodeDecoding? = reader.error {
                try body(.problems([.error("the file is not valid UTF-8 on this line; save it as UTF-8", file: display, at: .line(rowLine))]))
                return columns
            }
            line += 1 + row.reduce(0) { $0 + Self.lineBreaks(in: $1) }
            if row.count == 1, row[0].isEmpty { continue }  // a blank line
            switch columns.candidate(from: row, line: rowLine) {
            case .success(let candidate): try body(.candidate(candidate))
            case .failure(let problems): try body(.problems(problems.diagnostics))
            }
        }
        // CSV.swift records "cannot read" at every end of file; only a decoding error means bad bytes.
        if case CSVError.unicodeDecoding? = reader.error {
            try body(.problems([.error("the file is not valid UTF-8 on this line; save it as UTF-8", file: display, at: .line(line))]))
        }
        return columns
    }

    private static func lineBreaks(in field: String) -> Int {
        field.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }
}
