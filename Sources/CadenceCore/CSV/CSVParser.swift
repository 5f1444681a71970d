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

        /// Sorting within a line: a misplaced quote, then bad bytes, then a record too long. (A line's bytes may be
        /// judged before or after its quotes, depending on where a read ends, so the order cannot be the order found.)
        var rank: Int {
            switch self {
            case .textAfterClosingQuote: 0
            case .notUTF8: 1
            case .recordTooLong: 2
            case .unclosedQuote: 3
            }
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
    public var retainedBytes: Int { bytes.capacity + ends.capacity * MemoryLayout<Int>.stride + carry.capacity }

    private static let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

    /// The problems so far, by line; a quote never closed comes last.
    public var problems: [Problem] {
        noted.sorted { a, b in (a.rank == 3 ? 1 : 0, a.line, a.rank) < (b.rank == 3 ? 1 : 0, b.line, b.rank) }
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
    /// The current record passed `maximumRecordBytes`, so the rest of it is not kept.
    private var tooLong = false
    /// The raw bytes of the line being read that are not checked yet: at most an unfinished UTF-8 sequence between
    /// chunks.
    private var carry: [UInt8] = []
    private var lineIsBad = false

    public init() {
        bytes.reserveCapacity(1_024)
        ends.reserveCapacity(32)
    }

    /// Reads `chunk`, calling `record` with each record completed in it and the line it started on.
    public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, _ record: (_ fields: [String], _ line: Int) throws -> Void) rethrows {
        var lineStart = 0
        for index in chunk.indices {
            let byte = chunk[index]
            if byte == Self.lf || byte == Self.cr {
                // The line is checked before its break is read, so a record ending here knows its lines were good.
                check(UnsafeBufferPointer(rebasing: chunk[lineStart..<index]), endsLine: true)
                lineStart = index + 1
            }
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
        if lineStart < chunk.count { check(UnsafeBufferPointer(rebasing: chunk[lineStart...]), endsLine: false) }
    }

    /// The input has ended: hands over the last record if it had no line break after it, and notes a quote left open.
    public mutating func finish(_ record: (_ fields: [String], _ line: Int) throws -> Void) rethrows {
        if atStart, bomBytes > 0 {
            atStart = false
            for held in [UInt8]([0xEF, 0xBB, 0xBF])[0..<bomBytes] { try take(held, record) }
        }
        check(UnsafeBufferPointer(start: nil, count: 0), endsLine: true)
        switch state {
        case .quoted:
            noted.append(.unclosedQuote(openedOn: quoteLine))  // always named, even past the limit
        case .quoteInQuoted, .unquoted, .fieldStart:
            if hasContent || !ends.isEmpty { try endRecord(record) }
        }
    }

    @inline(__always)
    private mutating func take(_ byte: UInt8, _ record: (_ fields: [String], _ line: Int) throws -> Void) rethrows {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf = Self.lf, cr = Self.cr
        let followsCR = afterCR
        afterCR = byte == cr
        switch state {
        case .quoted:
            if byte == quote {
                state = .quoteInQuoted
            } else {
                // A line break kept in the value: CRLF counts once.
                if byte == cr || (byte == lf && !followsCR) { line += 1 }
                keep(byte)
            }
            return
        case .quoteInQuoted:
            if byte == quote {
                keep(quote)
                state = .quoted
                return
            }
            if byte != comma, byte != lf, byte != cr {
                note(.textAfterClosingQuote(line: line, openedOn: quoteLine))
                state = .unquoted
                keep(byte)
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
            // A field's end costs memory as its bytes do: a line of commas counts against the limit too.
            if bytes.count + ends.count * 8 < Self.maximumRecordBytes { ends.append(bytes.count) } else { tooLong = true }
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
            keep(byte)
            hasContent = true
            state = .unquoted
        }
    }

    /// Keeps a byte of the current record, up to the limit: past it the record is refused, so its bytes are not needed.
    @inline(__always)
    private mutating func keep(_ byte: UInt8) {
        if bytes.count + ends.count * 8 < Self.maximumRecordBytes { bytes.append(byte) } else { tooLong = true }
    }

    private mutating func endRecord(_ record: (_ fields: [String], _ line: Int) throws -> Void) rethrows {
        defer {
            bytes.removeAll(keepingCapacity: bytes.capacity <= 1 << 16)
            ends.removeAll(keepingCapacity: ends.capacity <= 1 << 12)
            hasContent = false
            tooLong = false
            state = .fieldStart
        }
        if tooLong { note(.recordTooLong(line: recordLine)) }
        // Every line of the record was checked as it ended, so a record with no problem noted is valid UTF-8.
        guard noted.isEmpty else { return }
        ends.append(bytes.count)  // a blank line is one empty field: a header there is empty, and rows skip it
        var fields: [String] = []
        fields.reserveCapacity(ends.count)
        var start = 0
        bytes.withUnsafeBufferPointer { buffer in
            for end in ends {
                fields.append(String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self))
                start = end
            }
        }
        try record(fields, recordLine)
    }

    /// Checks the raw bytes of the line being read, as they come, straight from the chunk: only an unfinished UTF-8
    /// sequence at a chunk's end waits in `carry`, so a line of any length is checked in bounded memory. Raw lines
    /// judge the same as values would: the delimiters are ASCII, and no sequence is valid across one.
    private mutating func check(_ piece: UnsafeBufferPointer<UInt8>, endsLine: Bool) {
        defer {
            if endsLine {
                carry.removeAll(keepingCapacity: true)
                lineIsBad = false
            }
        }
        guard !lineIsBad else { return }
        var start = 0
        if !carry.isEmpty {
            // The held sequence goes on with the piece's continuation bytes and ends at its first other byte.
            while start < piece.count, carry.count < 5, piece[start] & 0xC0 == 0x80 {
                carry.append(piece[start])
                start += 1
            }
            if start == piece.count, !endsLine, carry.count < 5 { return }  // still unfinished
            guard carry.withUnsafeBufferPointer(Self.isUTF8) else { return noteBadLine() }
            carry.removeAll(keepingCapacity: true)
        }
        var cut = piece.count
        if !endsLine {
            // Hold back a last sequence that may go on in the next chunk: a lead byte and up to 3 continuation bytes.
            var lead = piece.count
            while lead > start, piece.count - lead < 3, piece[lead - 1] & 0xC0 == 0x80 { lead -= 1 }
            if lead > start, piece[lead - 1] >= 0xC0 { cut = lead - 1 }
        }
        guard Self.isUTF8(UnsafeBufferPointer(rebasing: piece[start..<cut])) else { return noteBadLine() }
        carry.append(contentsOf: piece[cut...])
    }

    private mutating func noteBadLine() {
        lineIsBad = true
        note(.notUTF8(line: line))
    }

    private static func isUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if bytes.allSatisfy({ $0 < 0x80 }) { return true }
        return String(validating: bytes, as: UTF8.self) != nil
    }

    private mutating func note(_ problem: Problem) {
        if noted.count < Self.maximumProblems { noted.append(problem) }
    }
}
