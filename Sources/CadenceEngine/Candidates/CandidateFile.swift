import CadenceCore
import Foundation

/// Streams a candidates CSV (UTF-8, a BOM tolerated, RFC 4180 quoting including line breaks in quoted cells) row
/// by row through Core's `CSVParser`, so a million candidates never sit in memory at once and the file (or a pipe)
/// is read once.
public struct CandidateFile: Sendable {
    public enum Row: Sendable {
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
        try checkIsFile()
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
        var rows = RowReader(display: display)
        let problems = try parse(readPath) { fields, line in
            try rows.accept(fields, line: line, header: header, body)
        }
        return try rows.finish(problems)
    }

    /// The same rows, given to `body` a batch at a time (at least `batchSize` rows, as many as the 64 KiB reads
    /// brought; fewer at the end): for a store that looks a batch's people up in one query before placing them.
    @discardableResult
    public func forEachBatch(batchSize: Int = 2_000, _ body: ([Row]) async throws -> Void) async throws -> CandidateColumns {
        try checkIsFile()
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw OpenError.problems([.error("cannot read the candidates file; check the path", file: display, at: nil)])
        }
        defer { try? handle.close() }
        var parser = CSVParser()
        var reader = RowReader(display: display)
        var batch: [Row] = []
        batch.reserveCapacity(batchSize)
        while true {
            let chunk = try read(handle, after: parser.line)
            if chunk.isEmpty { break }
            try chunk.withUnsafeBytes { raw in
                try parser.feed(raw.bindMemory(to: UInt8.self)) { fields, line in try reader.accept(fields, line: line, header: { _ in }) { batch.append($0) } }
            }
            if batch.count >= batchSize {
                try await body(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        try parser.finish { fields, line in try reader.accept(fields, line: line, header: { _ in }) { batch.append($0) } }
        if !batch.isEmpty { try await body(batch) }
        return try reader.finish(parser.problems.map { .error($0.message, file: display, at: .line($0.line)) })
    }

    /// Turns records into rows: the first is the header, checked once; the rest become candidates or problems.
    private struct RowReader {
        let display: String
        var columns: CandidateColumns?
        var headerProblems: [Diagnostic]?

        init(display: String) {
            self.display = display
        }

        mutating func accept(_ fields: [String], line: Int, header: (CandidateColumns) throws -> Void, _ body: (Row) throws -> Void) throws {
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

        /// The columns, or why the file as a whole is refused: its bytes (`problems`), its header, or no header.
        func finish(_ problems: [Diagnostic]) throws -> CandidateColumns {
            if !problems.isEmpty { throw OpenError.problems(problems) }
            if let headerProblems { throw OpenError.problems(headerProblems) }
            guard let columns else {
                throw OpenError.problems([.error("the file has no header row; the first line names the columns, e.g. email,firstName,company", file: display, at: .line(1))])
            }
            return columns
        }
    }

    /// Whether `path` is a plain file, which can be read again from the start (a pipe cannot).
    public static func isRegularFile(_ path: String) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeRegular
    }

    private func checkIsFile() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw OpenError.problems([.error("cannot read the candidates file; check the path", file: display, at: nil)])
        }
        if isDirectory.boolValue {
            throw OpenError.problems([.error("this is a folder; give the path of a CSV file", file: display, at: nil)])
        }
    }

    private func read(_ handle: FileHandle, after line: Int) throws -> Data {
        do {
            return try handle.read(upToCount: 1 << 16) ?? Data()
        } catch {
            throw OpenError.problems([.error("reading the file failed after line \(line - 1); check that it is still there and readable", file: display, at: nil)])
        }
    }

    /// Feeds the file at `path` to a parser in 64 KiB reads; returns the byte-level problems, located.
    private func parse(_ path: String, _ record: ([String], Int) throws -> Void) throws -> [Diagnostic] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw OpenError.problems([.error("cannot read the candidates file; check the path", file: display, at: nil)])
        }
        defer { try? handle.close() }
        var parser = CSVParser()
        while true {
            let chunk = try read(handle, after: parser.line)
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
