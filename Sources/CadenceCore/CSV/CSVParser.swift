/// A streaming RFC 4180 reader over bytes: it is fed chunks as they are read and hands over each record with the
/// line it starts on, checking UTF-8 as it goes. Written by hand because no kept Swift library both streams and
/// locates its errors: the one the mirror offered decoded a scalar at a time, stopped silently at a bad byte and
/// read an unclosed quote to the end of the file, so a pre-check pass had to find those first.
///
/// What it accepts: a byte-order mark at the start; CRLF, LF or a lone CR between records; fields quoted with `"`,
/// a doubled `""` inside them, and line breaks inside quotes (a record then spans several lines, and the next
/// record's line says so). A `"` inside an unquoted field is kept as text. A blank line is a record of one empty
/// field (the caller decides: a header there is empty, a data row is skipped).
///
/// What it refuses, each located by line (at most `maximumProblems` of them): a line that is not UTF-8, a closing
/// quote followed by more text, and a quote never closed. After the first problem no more records are handed
/// over, but the input is still read to the end so that every problem is listed at once.
public struct CSVParser: Sendable {
    public enum Problem: Sendable, Equatable {
        case notUTF8(line: Int)
        case textAfterClosingQuote(line: Int, openedOn: Int)
        case unclosedQuote(openedOn: Int)
        case recordTooLong(line: Int)

        public var line: Int {
            switch self {
            case .notUTF8(let line), .textAfterClosingQuote(let line, _), .recordTooLong(let line): line
            case .unclosedQuote(let line): line
            }
        }

        /// Sorting: a quote never closed is named after everything else.
        var order: Int {
            if case .unclosedQuote = self { 1 } else { 0 }
        }

        public var message: String {
            switch self {
            case .notUTF8: "this line is not valid UTF-8; save the file as UTF-8 (CSV UTF-8 in Excel)"
            case .textAfterClosingQuote(_, let opened):
                "a quoted value (opened on line \(opened)) ends with a quote followed by more text; double a quote inside a value (\"\")"
            case .unclosedQuote: "the quote opened on this line is never closed; close it, or double a quote inside a value (\"\")"
            case .recordTooLong:
                "this row is longer than 1 MiB, so it was not read; most likely a quote in it closes far too late: check its quotes"
            }
        }
    }

    private enum State {
        case fieldStart, unquoted, quoted, quoteInQuoted
    }

    public static let maximumProblems = 20
    /// No candidate's row comes near this; a quote closed far too late does, and would otherwise be held whole.
    public static let maximumRecordBytes = 1 << 20

    /// What the reader holds between chunks, so a test can see that it stays bounded.
    public var retainedBytes: Int { bytes.capacity }

    /// The problems so far, by line; on one line a misplaced quote comes before the bad bytes, and a quote never
    /// closed comes last.
    public var problems: [Problem] {
        noted.enumerated().sorted { a, b in
            (a.element.order, a.element.line, a.offset) < (b.element.order, b.element.line, b.offset)
        }.map(\.element)
    }
    private var noted: [Problem] = []
    /// The line the reader is on (1-based), counted by LF and by a lone CR.
    public private(set) var line = 1

    private var state = State.fieldStart
    /// The current record's bytes, its fields one after another; `ends` marks where each finished field stops.
    private var bytes: [UInt8] = []
    private var ends: [Int] = []
    private var recordLine = 1
    private var quoteLine = 0
    private var afterCR = false
    private var atStart = true
    private var bomBytes = 0
    /// Whether the current record has any content (a quote counts): a blank line has none.
    private var hasContent = false

    public init() {
        bytes.reserveCapacity(1_024)
        ends.reserveCapacity(32)
    }

    /// Reads `chunk`, calling `record` with each record completed in it and the line it started on.
    public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, _ record: (_ fields: [String], _ line: Int) throws -> Void) rethrows {
        for byte in chunk {
            if atStart {
                // A UTF-8 byte-order mark (EF BB BF) before the first byte of the file is not data.
                let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
                if byte == bom[bomBytes] {
                    bomBytes += 1
                    if bomBytes == 3 { atStart = false }
                    continue
                }
                atStart = false
                if bomBytes > 0 {
                    // Not a BOM after all: its first bytes are data.
                    for held in bom[0..<bomBytes] { try take(held, record) }
                }
            }
            try take(byte, record)
        }
    }

    /// The input has ended: hands over the last record if it had no line break after it, and notes a quote left open.
    public mutating func finish(_ record: (_ fields: [String], _ line: Int) throws -> Void) rethrows {
        if atStart, bomBytes > 0 {
            atStart = false
            for held in [UInt8]([0xEF, 0xBB, 0xBF])[0..<bomBytes] { try take(held, record) }
        }
        switch state {
        case .quoted:
            ends.append(bytes.count)
            noteBadLines()
            noted.append(.unclosedQuote(openedOn: quoteLine))  // always named, even past the limit
        case .quoteInQuoted, .unquoted, .fieldStart:
            if hasContent || !ends.isEmpty { try endRecord(record) }
        }
    }

    @inline(__always)
    private mutating func take(_ byte: UInt8, _ record: (_ fields: [String], _ line: Int) throws -> Void) rethrows {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        let followsCR = afterCR
        afterCR = byte == cr
        switch state {
        case .quoted:
            if byte == quote {
                state = .quoteInQuoted
            } else {
                // A line break kept in the value: CRLF counts once.
                if byte == cr || (byte == lf && !followsCR) { line += 1 }
                bytes.append(byte)
            }
            return
        case .quoteInQuoted:
            if byte == quote {
                bytes.append(quote)
                state = .quoted
                return
            }
            if byte != comma, byte != lf, byte != cr {
                note(.textAfterClosingQuote(line: line, openedOn: quoteLine))
                state = .unquoted
                bytes.append(byte)
                return
            }
        case .fieldStart:
            if byte == quote {
                state = .quoted
                quoteLine = line
                hasContent = true
                return
            }
        case .unquoted:
            break
        }
        switch byte {
        case comma:
            ends.append(bytes.count)
            hasContent = true
            state = .fieldStart
        case lf:
            if followsCR { return }  // CRLF: the CR ended the record and counted the line
            try endRecord(record)
            line += 1
            recordLine = line
        case cr:
            try endRecord(record)
            line += 1
            recordLine = line
        default:
            bytes.append(byte)
            hasContent = true
            state = .unquoted
        }
    }

    private mutating func endRecord(_ record: (_ fields: [String], _ line: Int) throws -> Void) rethrows {
        defer {
            bytes.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            hasContent = false
            state = .fieldStart
        }
        ends.append(bytes.count)  // a blank line is one empty field: a header there is empty, and rows skip it
        var fields: [String] = []
        fields.reserveCapacity(ends.count)
        var start = 0
        var valid = true
        bytes.withUnsafeBufferPointer { buffer in
            for end in ends {
                if let field = String(validating: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self) {
                    fields.append(field)
                } else {
                    valid = false
                }
                start = end
            }
        }
        if !valid {
            noteBadLines()
            return
        }
        guard noted.isEmpty else { return }
        try record(fields, recordLine)
    }

    /// Names each line of the current record with a bad byte. Only quoted values hold line breaks, so each value
    /// is cut at its own breaks; a sequence is never judged across two values.
    private mutating func noteBadLines() {
        var bad: [Int] = []
        var current = recordLine
        var start = 0
        for end in ends {
            var pieceStart = start
            var index = start
            while index <= end {
                let isBreak = index < end && (bytes[index] == UInt8(ascii: "\n") || bytes[index] == UInt8(ascii: "\r"))
                if index == end || isBreak {
                    if String(validating: bytes[pieceStart..<index], as: UTF8.self) == nil, bad.last != current { bad.append(current) }
                    if isBreak, !(bytes[index] == UInt8(ascii: "\n") && index > start && bytes[index - 1] == UInt8(ascii: "\r")) { current += 1 }
                    pieceStart = index + 1
                }
                index += 1
            }
            start = end
        }
        for line in bad { note(.notUTF8(line: line)) }
    }

    private mutating func note(_ problem: Problem) {
        if noted.count < Self.maximumProblems { noted.append(problem) }
    }
}
