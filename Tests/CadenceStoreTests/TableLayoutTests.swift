import CadenceCore
import CadenceStore
import GRDB
import Testing

/// `cadence db copy` reads and writes tables by `TableLayout`; a column a migration adds but the layout lacks would
/// be lost in a copy. This holds the layout to what the migrations make.
@Suite("TableLayout matches the SQLite store's tables")
struct TableLayoutTests {
    @Test("every table the migrations make is listed, with its columns in order, their kinds and its key")
    func matchesMigrations() throws {
        let database = try CadenceDatabase(DatabaseQueue())
        let kinds: [String: TableLayout.Kind] = ["INTEGER": .integer, "TEXT": .text, "DATETIME": .date, "BLOB": .blob, "REAL": .real]
        try database.writer.read { db in
            let tables = try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations' ORDER BY name")
            #expect(tables == TableLayout.all.map(\.name).sorted())
            for table in TableLayout.all {
                let info = try Row.fetchAll(db, sql: "SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid", arguments: [table.name])
                #expect(info.map { $0["name"] as String } == table.columns.map(\.name), "\(table.name)")
                let declared = info.map { row -> TableLayout.Kind? in kinds[row["type"] as String] }
                // Flags are INTEGER in SQLite and boolean in PostgreSQL: the layout says boolean.
                let expected = table.columns.map { $0.kind == .boolean ? TableLayout.Kind.integer : $0.kind }
                #expect(declared == expected.map(Optional.some), "\(table.name)")
                let key = info.filter { ($0["pk"] as Int) > 0 }.sorted { ($0["pk"] as Int) < ($1["pk"] as Int) }.map { $0["name"] as String }
                #expect(key == table.key, "\(table.name)")
            }
        }
    }

    @Test("a table comes after every table it refers to, so a copy never breaks a foreign key")
    func order() throws {
        let database = try CadenceDatabase(DatabaseQueue())
        try database.writer.read { db in
            for (index, table) in TableLayout.all.enumerated() {
                let parents = try String.fetchAll(db, sql: "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?)", arguments: [table.name])
                for parent in parents where parent != table.name {
                    let position = TableLayout.all.firstIndex { $0.name == parent }
                    #expect(position.map { $0 < index } == true, "\(table.name) refers to \(parent)")
                }
            }
        }
    }
}
