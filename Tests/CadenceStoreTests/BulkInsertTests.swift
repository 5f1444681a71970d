import Foundation
import GRDB
import GRDBSQLite
import Testing

@testable import CadenceStore

/// `BulkInsert` hands SQLite texts it reads in place from a `BindArena`: every text must arrive whole, whatever its
/// size, across the arena's blocks, and after the arena is rewound for the next statement.
@Suite("Bulk insert: texts bound from the arena arrive whole")
struct BulkInsertTests {
    @Test("empty, one-byte, non-ASCII, block-crossing and oversized texts, over three statements sharing one arena")
    func texts() throws {
        let queue = try DatabaseQueue()
        let arena = BindArena()
        var expected: [String?] = []
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, a TEXT, b TEXT)")
            let batches: [[(String?, String)]] = [
                [("", "x"), (nil, "é日本🙂"), (String(repeating: "L", count: BindArena.blockSize / 4 + 1), "after a large one")],
                // 3,000 texts of 700 bytes fill more than one block.
                (0..<1_500).map { (String(repeating: "\($0 % 10)", count: 700) + "\($0)", String(repeating: "b", count: 700)) },
                [("reused", "blocks")],
            ]
            var n: Int64 = 0
            for batch in batches {
                let statement = try db.makeStatement(sql: "INSERT INTO t (n, a, b) VALUES " + Array(repeating: "(?, ?, ?)", count: batch.count).joined(separator: ", "))
                var insert = BulkInsert(statement, in: db, texts: arena)
                for (a, b) in batch {
                    n += 1
                    insert.bind(n)
                    insert.bind(a)
                    insert.bind(b)
                    expected += [a, b]
                }
                try insert.execute()
            }
        }
        let stored = try queue.read { db in try Row.fetchAll(db, sql: "SELECT a, b FROM t ORDER BY n").flatMap { [$0["a"] as String?, $0["b"] as String?] } }
        #expect(stored.count == expected.count)
        #expect(stored == expected)
    }

    @Test("a lookup of many keys through a cached statement hands back each matching row, and binds afresh on the next lookup")
    func lookups() throws {
        let queue = try DatabaseQueue()
        let arena = BindArena()
        let found = try queue.write { db -> [[String]] in
            try db.execute(sql: "CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")
            try db.execute(sql: "INSERT INTO t VALUES ('a', 1), ('b', 2), ('é', 3)")
            var results: [[String]] = []
            for keys in [["a", "zz", "é"], ["b", "b", "nope"]] {
                let statement = try db.cachedStatement(sql: "SELECT k, v FROM t WHERE k IN (?, ?, ?) ORDER BY v")
                var lookup = BulkInsert(statement, in: db, texts: arena)
                for key in keys { lookup.bind(key) }
                var rows: [String] = []
                try lookup.forEachRow { row in rows.append("\(String(cString: sqlite3_column_text(row, 0)))=\(sqlite3_column_int64(row, 1))") }
                results.append(rows)
            }
            return results
        }
        #expect(found == [["a=1", "é=3"], ["b=2"]])
    }
}
