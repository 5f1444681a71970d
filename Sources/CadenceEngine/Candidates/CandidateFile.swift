import CadenceCore
import Foundation

/// Streams a candidates CSV (UTF-8, a BOM tolerated, RFC 4180 quoting including line breaks in quoted cells) row
/// by row through Core's `CSVParser`, so a million candidates never sit in memory at once and the file (or a pipe)
/// is read once.
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

    /// Calls `header` with the checked columns, then `body` for each data row. Throws when the file or its
    /// header is unusable: not a file, not UTF-8, a quote never closed, no header.
    ///
    /// The file is checked as it is read: `body` may have seen earlier rows when a later line turns out not to be
    /// UTF-8. A caller that writes in one transaction discards it on the throw; one whose effects cannot be taken
    /// back (a preview printing messages) asks for `checkFirst`, which reads the whole file once before any row.
    @discardableResult
    public func forEachRow(
        checkFirst: Bool = false, header: (CandidateColumns) throws -> Void = { _ in }, _ body: (Row) throws -> Void
    ) throws -> CandidateColumns {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw OpenError.problems([.error("cannot read the candidates file; check the path", file: display, at: nil)])
        }
        if isDirectory.boolValue {
            throw OpenError.problems([.error("this is a folder; give the path of a CSV file", file: display, at: nil)])
        }
        var readPath = path
        var spooled: String?
        defer { if let spooled { try? FileManager.default.removeItem(atPath: spooled) } }
        if checkFirst {
            // A pipe (`--candidates /dev/stdin`) can be read once: copy it aside so it can be checked, then read.
            if let type = try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType, type != .typeRegular {
                let copy = try spool()
                readPath = copy
                spooled = copy
            }
            let problems = try parse(readPath) { _, _ in }
            if !problems.isEmpty { throw OpenError.problems(problems) }
        }
        var columns: CandidateColumns?
        var headerProblems: [Diagnostic]?
        let problems = try parse(readPath) { fields, line in
            guard let columns else {
                guard headerProblems == nil else { return }  // the header was refused: only the bytes are still checked
                let checked = CandidateColumns.check(header: fields, file: display)
                guard let checkedColumns = checked.columns else {
                    headerProblems = checked.diagnostics
                    return
                }
                columns = checkedColumns
                try header(checkedColumns)
                return
            }
            if fields.count == 1, fields[0].isEmpty { return }  // a line holding only ""
            switch columns.candidate(from: fields, line: line) {
            case .success(let candidate): try body(.candidate(candidate))
            case .failure(let problems): try body(.problems(problems.diagnostics))
            }
        }
        if !problems.isEmpty { throw OpenError.problems(problems) }
        if let headerProblems { throw OpenError.problems(headerProblems) }
        guard let columns else {
            throw OpenError.problems([.error("the file has no header row; the first line names the columns, e.g. email,firstName,company", file: display, at: .line(1))])
        }
        return columns
    }

    /// Feeds the file at `path` to a parser in 64 KiB reads; returns the byte-level problems, located.
    private func parse(_ path: String, _ record: ([String], Int) throws -> Void) throws -> [Diagnostic] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw OpenError.problems([.error("cannot read the candidates file; check the path", file: display, at: nil)])
        }
        defer { try? handle.close() }
        var parser = CSVParser()
        while true {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: 1 << 16) ?? Data()
            } catch {
                throw OpenError.problems([.error("reading the file failed after line \(parser.line - 1); check that it is still there and readable", file: display, at: nil)])
            }
            if chunk.isEmpty { break }
            try chunk.withUnsafeBytes { raw in try parser.feed(raw.bindMemory(to: UInt8.self), record) }
        }
        try parser.finish(record)
        return parser.problems.map { .error($0.message, file: display, at: .line($0.line)) }
    }

    /// Copies a pipe's bytes to a temporary file, for a caller that reads them twice.
    private func spool() throws -> String {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-candidates-\(UUID().uuidString).csv").path
        guard FileManager.default.createFile(atPath: copy, contents: nil, attributes: [.posixPermissions: 0o600]), let input = FileHandle(forReadingAtPath: path),
            let output = FileHandle(forWritingAtPath: copy)
        else { throw OpenError.problems([.error("cannot read the candidates file; check the path", file: display, at: nil)]) }
        do {
            while let chunk = try input.read(upToCount: 1 << 16), !chunk.isEmpty { try output.write(contentsOf: chunk) }
            try output.close()
        } catch {
            try? FileManager.default.removeItem(atPath: copy)
            throw OpenError.problems([.error("reading the file failed: \(error.localizedDescription)", file: display, at: nil)])
        }
        return copy
    }
}
