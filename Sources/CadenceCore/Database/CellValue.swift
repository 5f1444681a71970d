import Crypto
import Foundation

/// One value of a row, as `cadence db copy` carries it between SQLite and PostgreSQL.
public enum CellValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    case date(Date)
    case boolean(Bool)
}

/// A digest of a table's rows in key order, the same for the same rows in either store: dates count to the
/// millisecond (SQLite keeps milliseconds, PostgreSQL microseconds), and each value is tagged and length-prefixed so
/// that no two different rows encode alike.
public struct TableChecksum: Sendable {
    private var hasher = SHA256()
    public private(set) var rows = 0

    public init() {}

    public mutating func add(_ row: [CellValue]) {
        rows += 1
        var bytes: [UInt8] = []
        func integer(_ value: Int64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        for value in row {
            switch value {
            case .null: bytes.append(0)
            case .integer(let number):
                bytes.append(1)
                integer(number)
            case .real(let number):
                bytes.append(2)
                integer(Int64(bitPattern: number.bitPattern))
            case .text(let text):
                bytes.append(3)
                integer(Int64(text.utf8.count))
                bytes += text.utf8
            case .blob(let blob):
                bytes.append(4)
                integer(Int64(blob.count))
                bytes += blob
            case .date(let date):
                bytes.append(5)
                integer(Int64((date.timeIntervalSince1970 * 1000).rounded()))
            case .boolean(let flag):
                bytes.append(6)
                bytes.append(flag ? 1 : 0)
            }
        }
        hasher.update(data: bytes)
    }

    public func finalize() -> String {
        hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
