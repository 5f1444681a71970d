import CadenceCore
import CadencePostgres
import Foundation
import GRDB
import Testing

extension ProcessTests.DbCommandTests {
    /// The files of a launch test: thousands of rows (more than one of PostgreSQL's batches), duplicates within a
    /// batch and across batches, people held for data, suppressed addresses and domains, and text that COPY must
    /// escape (quotes, backslashes, a line break inside a cell, accents).
    static func launchFiles(in root: URL) throws {
        var big = "email,firstName,lastName,company,role,timezone\n"
        for index in 0..<4_500 {
            let company = index % 9 == 4 ? "" : "Corp \(index % 13)"
            let first = index % 50 == 7 ? #""Jo ""JJ"" \ Smith""# : index % 50 == 8 ? "\"Line\nBreak\"" : "Zoë\(index)"
            big += "p\(index)@corp\(index % 7).example,\(first),Müller,\(company),Engineer,\(index % 3 == 0 ? "Europe/Berlin" : "")\n"
            if index % 500 == 250 { big += "p\(index - 2_100 < 0 ? index : index - 2_100)@corp\((index - 2_100 < 0 ? index : index - 2_100) % 7).example,Dup,Row,Corp,Engineer,\n" }
            if index % 1_000 == 10 { big += "P\(index)@CORP\(index % 7).EXAMPLE,Same,Batch,Corp,Engineer,\n" }
        }
        big += "nope@example.org,Sup,Pressed,Corp,Engineer,\nsomeone@blocked.example,Sup,Domain,Corp,Engineer,\nerased@example.org,Was,Forgotten,Corp,Engineer,\n"
        try big.write(to: root.appendingPathComponent("big.csv"), atomically: true, encoding: .utf8)
        // Corrections for some of the held, some new people, and a duplicate of a corrected row.
        var fix = "email,firstName,lastName,company,role,timezone\n"
        for index in stride(from: 4, to: 900, by: 9) { fix += "p\(index)@corp\(index % 7).example,Fixed,Row,Fixed Inc,Engineer,\n" }
        fix += "p13@corp6.example,Again,Row,Fixed Inc,Engineer,\n"
        for index in 0..<30 { fix += "new\(index)@fresh.example,New,Person,\(index % 4 == 0 ? "" : "Fresh"),Engineer,\n" }
        // Past the first batch: more new people, then corrected rows again (duplicates of rows a batch before).
        for index in 0..<2_100 { fix += "later\(index)@fresh.example,Later,Person,Fresh,Engineer,\n" }
        for index in stride(from: 4, to: 100, by: 9) { fix += "p\(index)@corp\(index % 7).example,Twice,Row,Fixed Inc,Engineer,\n" }
        try fix.write(to: root.appendingPathComponent("fix.csv"), atomically: true, encoding: .utf8)
        // People in progress in the other campaign, then the same with --allow-concurrent.
        var ops = "email,firstName,lastName,company,role,timezone\n"
        for index in 0..<40 { ops += "p\(index * 3)@corp\(index * 3 % 7).example,Op,Lead,Ops \(index),Director,America/New_York\n" }
        ops += "ops-only@ops.example,Op,Only,Ops Co,Director,\n"
        try ops.write(to: root.appendingPathComponent("ops.csv"), atomically: true, encoding: .utf8)
        // A row that cannot be read, first, so nothing is placed before it is found.
        try "email,firstName,lastName,company,role,timezone\nnot-an-address,A,B,C,D,\np1@corp1.example,A,B,C,D,\n".write(
            to: root.appendingPathComponent("bad.csv"), atomically: true, encoding: .utf8)
        try "email,firstName,lastName,company,role,timezone\nstrict1@fresh.example,S,T,Co,R,\nstrict2@fresh.example,S,T,,R,\n".write(
            to: root.appendingPathComponent("strict.csv"), atomically: true, encoding: .utf8)
    }

    /// Every table's rows (`dump`), with each launch id replaced by its order of first appearance, so that two
    /// databases that ran the same launches compare equal; sorted again, since a key may hold a launch id.
    static func dumpWithLaunchOrder(_ path: String) throws -> [String: [String]] {
        var order: [String: String] = [:]
        let uuid = try Regex(#"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}"#)
        var tables: [String: [String]] = [:]
        let dump = try dump(path)
        for table in TableLayout.all {
            tables[table.name] = dump[table.name]?.map { row in
                row.replacing(uuid) { match in
                    let id = String(row[match.range])
                    if let known = order[id] { return known }
                    order[id] = "launch\(order.count + 1)"
                    return order[id]!
                }
            }.sorted()
        }
        return tables
    }

    @Test(
        "cadence launch on PostgreSQL (COPY, in batches) says and writes what the same launches say and write on SQLite",
        .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
    func launchOnPostgres() async throws {
        let sqliteRoot = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-launch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: sqliteRoot, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: sqliteRoot) }
        for item in ["cadence.json", "sequences", "templates", "examples"] {
            try FileManager.default.copyItem(at: CadenceBinary.repositoryRoot.appendingPathComponent(item), to: sqliteRoot.appendingPathComponent(item))
        }
        try Self.launchFiles(in: sqliteRoot)
        let environment = ["CADENCE_NOW": "2026-11-30T10:00:00Z", "USER": "sam"]
        for entry in ["blocked.example", "nope@example.org"] {
            let suppress = try CadenceBinary.run(["suppress", "add", entry, "--reason", "test"], in: sqliteRoot, environment: environment)
            #expect(suppress.status == 0, "\(suppress.stderr)")
        }
        // An erasure request: only a hash of the address is kept.
        let forget = try CadenceBinary.run(["forget", "erased@example.org"], in: sqliteRoot, environment: environment)
        #expect(forget.status == 0, "\(forget.stderr)")
        let postgresRoot = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-launch-pg-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: sqliteRoot, to: postgresRoot)
        defer { try? FileManager.default.removeItem(at: postgresRoot) }
        try await PostgresTestServer.withScratchDatabase { url in
            let copy = try CadenceBinary.run(["db", "copy", "--from", "cadence.sqlite", "--to", url], in: postgresRoot)
            #expect(copy.status == 0, "\(copy.stderr)")
            let launches: [(arguments: [String], status: Int32)] = [
                (["launch", "backend-engineers", "--candidates", "big.csv"], 0),
                (["launch", "backend-engineers", "--candidates", "bad.csv"], 65),
                (["launch", "ops-leaders-q1", "--candidates", "ops.csv"], 0),
                (["launch", "ops-leaders-q1", "--candidates", "ops.csv", "--allow-concurrent"], 0),
                // Thousands of people already known: their rows are updated in bulk.
                (["launch", "ops-leaders-q1", "--candidates", "big.csv", "--allow-concurrent"], 0),
                (["launch", "backend-engineers", "--candidates", "fix.csv", "--start", "2026-12-02T09:00:00Z"], 0),
                (["launch", "backend-engineers", "--candidates", "fix.csv", "--format", "json"], 0),
                (["launch", "backend-engineers", "--candidates", "strict.csv", "--strict"], 65),
            ]
            for (arguments, status) in launches {
                let onSQLite = try CadenceBinary.run(arguments, in: sqliteRoot, environment: environment)
                let onPostgres = try CadenceBinary.run(arguments + ["--db", url], in: postgresRoot, environment: environment)
                #expect(onSQLite.status == status, "\(arguments): \(onSQLite.stderr)")
                #expect(onPostgres.status == status, "\(arguments): \(onPostgres.stderr)")
                #expect(onPostgres.stdout == onSQLite.stdout, "\(arguments)")
                #expect(onPostgres.stderr == onSQLite.stderr, "\(arguments)")
            }
            let back = try CadenceBinary.run(["db", "copy", "--from", url, "--to", "back.sqlite"], in: postgresRoot)
            #expect(back.status == 0, "\(back.stderr)")
            let expected = try Self.dumpWithLaunchOrder(sqliteRoot.appendingPathComponent("cadence.sqlite").path)
            let returned = try Self.dumpWithLaunchOrder(postgresRoot.appendingPathComponent("back.sqlite").path)
            #expect((expected["enrollment"]?.count ?? 0) > 4_000)
            #expect(expected["enrollment"]?.contains { $0.contains(#"Jo \\\"JJ\\\" \\\\ Smith"#) } == true, "the escaped name is in the rows")
            for table in TableLayout.all where table.name != "runnerLease" {
                let mismatch = zip(returned[table.name] ?? [], expected[table.name] ?? []).first { $0 != $1 }.map { "\($0.0)\n  against \($0.1)" } ?? "none"
                let same = returned[table.name] == expected[table.name]
                #expect(same, "\(table.name): \(returned[table.name]?.count ?? 0) rows against \(expected[table.name]?.count ?? 0); first difference: \(mismatch)")
            }
        }
    }
}
