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
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 10_957 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let seconds = rest / 1_000_000
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let fraction = String(rest % 1_000_000)
        return "\(year)-\(two(month))-\(two(day)) \(two(seconds / 3_600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))."
            + String(repeating: "0", count: 6 - fraction.count) + fraction + "+00"
    }
}
