import CadenceCore
import Foundation
import NIOCore

/// Rows in `COPY … FROM STDIN`'s text format: tab-separated columns, `\N` for NULL, and a backslash before the
/// characters that would end a column or a row. Written straight into the buffer that goes to the server.
struct CopyText {
    private(set) var buffer = ByteBuffer()

    mutating func row(_ columns: (inout Row) -> Void) {
        var row = Row(buffer: buffer)
        buffer = ByteBuffer()  // one owner at a time, so writing never copies the bytes
        columns(&row)
        row.buffer.writeInteger(UInt8(ascii: "\n"))
        buffer = row.buffer
    }

    struct Row {
        fileprivate var buffer: ByteBuffer
        private var first = true

        fileprivate init(buffer: ByteBuffer) {
            self.buffer = buffer
        }

        private mutating func separate() {
            if first { first = false } else { buffer.writeInteger(UInt8(ascii: "\t")) }
        }

        mutating func null() {
            separate()
            buffer.writeStaticString("\\N")
        }

        mutating func integer(_ value: Int64) {
            separate()
            buffer.writeString(String(value))
        }

        /// Text known to need no escaping (a formatted timestamp).
        mutating func raw(_ text: String) {
            separate()
            buffer.writeString(text)
        }

        mutating func text(_ value: String?) {
            guard let value else { return null() }
            separate()
            var plain = true
            for byte in value.utf8 where byte == UInt8(ascii: "\\") || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                plain = false
                break
            }
            guard !plain else {
                buffer.writeString(value)
                return
            }
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case 0x09: buffer.writeStaticString("\\t")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0D: buffer.writeStaticString("\\r")
                default: buffer.writeInteger(byte)
                }
            }
        }
    }

    /// `date` as `timestamptz` text in UTC, to the microsecond PostgresNIO's binary encoding keeps (truncated
    /// towards 2000-01-01 as it does), so a date written by `COPY` equals one written by a bound parameter.
    static func timestamp(_ date: Date) -> String {
        let micros = Int64(date.timeIntervalSince(Date(timeIntervalSince1970: 946_684_800)) * 1_000_000)
        let perDay: Int64 = 86_400_000_000
        var days = micros / perDay
        var rest = micros % perDay
        if rest < 0 {
            rest += perDay
            days -= 1
        }
        let civil = ReportingDay.calendarDate(serial: Int(days) + 10_957)  // days since 1970-01-01
        let seconds = rest / 1_000_000
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let fraction = String(rest % 1_000_000)
        return "\(civil.year)-\(two(Int64(civil.month)))-\(two(Int64(civil.day))) \(two(seconds / 3_600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))."
            + String(repeating: "0", count: 6 - fraction.count) + fraction + "+00"
    }
}
