import CadenceCore
import Testing

/// The reader's edges that random files seldom reach: empty input, a lone byte-order mark, the cap on problems, and
/// memory. A candidates file can be millions of rows, and a quote left open swallows the rest of it into one value,
/// so the reader must hold a bounded amount however the file is broken.
@Suite("CSVParser edges")
struct CSVParserTests {
    struct Read {
        var records: [String] = []
        var problems: [CSVParser.Problem] = []
        var retainedBytes = 0
    }

    /// Feeds `bytes` in 64 KiB chunks, as the candidates and suppression readers do.
    static func read(_ bytes: [UInt8]) -> Read {
        var parser = CSVParser()
        var read = Read()
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + (1 << 16))
            bytes[offset..<end].withUnsafeBufferPointer { parser.feed($0) { fields, line in read.records.append("\(line):\(fields.joined(separator: "|"))") } }
            read.retainedBytes = max(read.retainedBytes, parser.retainedBytes)
            offset = end
        }
        parser.finish { fields, line in read.records.append("\(line):\(fields.joined(separator: "|"))") }
        read.problems = parser.problems
        return read
    }

    @Test("an empty file and a file of only a byte-order mark have no records and no problems")
    func empty() {
        let nothing = Self.read([])
        #expect(nothing.records.isEmpty && nothing.problems.isEmpty)
        let bom = Self.read([0xEF, 0xBB, 0xBF])
        #expect(bom.records.isEmpty && bom.problems.isEmpty)
        let bomThenBreak = Self.read([0xEF, 0xBB, 0xBF, UInt8(ascii: "\n")])
        #expect(bomThenBreak.records == ["1:"] && bomThenBreak.problems.isEmpty)
    }

    @Test("a lone CR ends a record and a line, as LF and CRLF do")
    func loneCR() {
        let read = Self.read(Array("a,b\rc,\"d\re\"\r\nf\n".utf8))
        #expect(read.records == ["1:a|b", "2:c|d\re", "4:f"])
        #expect(read.problems.isEmpty)
    }

    @Test("at most 20 problems are listed, the first by line; a quote never closed is always named")
    func cap() {
        var bytes = Array("email\n".utf8)
        for line in 2...40 { bytes += Array("p\(line)@example.org".utf8) + [0xFF, UInt8(ascii: "\n")] }
        bytes += Array("\"open\n".utf8)
        let read = Self.read(bytes)
        #expect(read.problems == (2...21).map { .notUTF8(line: $0) } + [.unclosedQuote(openedOn: 41)])
        #expect(read.records == ["1:email"])
    }

    @Test("a quote never closed: the reader keeps a bounded amount, still finds bad lines after it, and names the quote")
    func unclosedQuoteMemory() {
        var bytes = Array("email,notes\na@example.org,\"starts here\n".utf8)
        let line = Array("more text that never meets a closing quote, line after line\n".utf8)
        while bytes.count < 16 << 20 { bytes += line }
        bytes += [0xC3, UInt8(ascii: "\n")]
        let lastLine = bytes.filter { $0 == UInt8(ascii: "\n") }.count
        let read = Self.read(bytes)
        #expect(read.records == ["1:email|notes"])
        #expect(read.problems == [.notUTF8(line: lastLine), .unclosedQuote(openedOn: 2)])
        #expect(read.retainedBytes <= CSVParser.maximumRecordBytes + (1 << 17), "held \(read.retainedBytes) bytes")
    }

    @Test("a record longer than the limit is refused, located, and not held whole; one line with no break is too")
    func tooLong() {
        var bytes = Array("email,notes\na@example.org,\"".utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "x"), count: 2 << 20)
        bytes += Array("\"\nb@example.org,fine\n".utf8)
        let read = Self.read(bytes)
        #expect(read.records.map { $0.prefix(40) } == ["1:email|notes"])  // a failure must not print two megabytes
        #expect(read.problems == [.recordTooLong(line: 2)])
        #expect(read.retainedBytes <= CSVParser.maximumRecordBytes + (1 << 17), "held \(read.retainedBytes) bytes")
        #expect(read.problems.first?.message.contains("1 MiB") == true)

        let binary = Self.read([UInt8](repeating: 0x80, count: 4 << 20))
        #expect(binary.problems == [.notUTF8(line: 1), .recordTooLong(line: 1)])
        #expect(binary.retainedBytes <= CSVParser.maximumRecordBytes + (1 << 17), "held \(binary.retainedBytes) bytes")
    }

    @Test("a line of nothing but commas counts against the record limit too: refused, and held in bounded memory")
    func commas() {
        let read = Self.read(Array("email,notes\n".utf8) + [UInt8](repeating: UInt8(ascii: ","), count: 8 << 20) + [UInt8(ascii: "\n")])
        #expect(read.records == ["1:email|notes"])
        #expect(read.problems == [.recordTooLong(line: 2)])
        #expect(read.retainedBytes <= CSVParser.maximumRecordBytes + (1 << 17), "held \(read.retainedBytes) bytes")
    }
}
