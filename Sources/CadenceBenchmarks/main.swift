import CadenceStore
import Foundation
import GRDB

// Benchmarks that need the store from the inside. Not run in CI; results and commands in BENCHMARKS.md.
//
//   cadence-benchmarks claim ENROLMENTS DUE [RUNS]
//   cadence-benchmarks gmail-quota MAILBOXES PEOPLE_PER_MAILBOX MINUTES
//   cadence-benchmarks gmail-throughput MAILBOXES SENDS
//   cadence-benchmarks outbox-throughput MAILBOXES SENDS
//   cadence-benchmarks postgres-runners URL MAILBOXES SENDS RUNNERS | postgres-claim URL ENROLMENTS DUE [RUNS]
//   cadence-benchmarks reply-latency push|poll PEOPLE INTERVAL PATH_TO_CADENCE
//   cadence-benchmarks reply-quota HOURS REPLIES_PER_HOUR
//   cadence-benchmarks tracking-prepare DIR SENDS | tracking-plain PORT | tracking-open-loop URL_BASE PATHS RATE SECONDS
//   cadence-benchmarks stats-scale DB PEOPLE [RUNS]
//   cadence-benchmarks forecast-scale PEOPLE MAILBOXES [RUNS] [--peer]
//
// Builds a database of ENROLMENTS active enrolments of which DUE are due, then times claiming the due steps
// (`CadenceDatabase.dueSteps`) RUNS times and prints the median, the slowest and the process's peak memory.

func peakMemoryMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

let arguments = CommandLine.arguments
if arguments.count >= 2, arguments[1].hasPrefix("tracking-") {
    exit(try await TrackingBenchmarks.main(arguments) ? 0 : 1)
}
if arguments.count >= 2, arguments[1].hasPrefix("forecast-") {
    exit(try await ForecastBenchmarks.main(arguments) ? 0 : 1)
}
if arguments.count >= 2, arguments[1].hasPrefix("stats-") {
    exit(try await StatsBenchmarks.main(arguments) ? 0 : 1)
}
if arguments.count >= 2, arguments[1].hasPrefix("reply-") {
    exit(try await ReplyBenchmarks.main(arguments) ? 0 : 1)
}
if arguments.count >= 2, arguments[1].hasPrefix("postgres-") {
    exit(try await PostgresBenchmarks.main(arguments) ? 0 : 1)
}
if arguments.count >= 2, arguments[1].hasPrefix("gmail-") || arguments[1] == "outbox-throughput" {
    exit(try await GmailBenchmarks.main(arguments) ? 0 : 1)
}
guard arguments.count >= 4, arguments[1] == "claim", let total = Int(arguments[2]), let due = Int(arguments[3]), due <= total else {
    FileHandle.standardError.write(Data("usage: cadence-benchmarks claim ENROLMENTS DUE [RUNS]\n".utf8))
    exit(64)
}
let runs = arguments.count > 4 ? Int(arguments[4]) ?? 20 : 20
let path = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-claim-\(UUID().uuidString).sqlite").path
defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }

let now = Date(timeIntervalSince1970: 1_796_115_600)
let database = try CadenceDatabase.open(path: path, mode: .create)
let built = Date()
try database.writer.write { db in
    try db.execute(sql: "INSERT INTO campaign (id, name, sourcePath, version, createdAt, updatedAt) VALUES ('bench', 'Bench', 'b.json', 1, ?, ?)", arguments: [now, now])
    try db.execute(
        sql: """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
            INSERT INTO candidate (id, addressKey, address, fields, createdAt, updatedAt)
            SELECT i, 'p' || i || '@example.org', 'p' || i || '@example.org', '{"firstName":"P"}', ?, ? FROM n
            """, arguments: [total, now, now])
    // The first DUE are due an hour ago; the rest spread over the coming year.
    try db.execute(
        sql: """
            INSERT INTO enrollment (campaignId, candidateId, mailbox, fields, variants, launchId, state, stepId, dueAt, createdAt, updatedAt)
            SELECT 'bench', id, 'sam', fields, '{}', 'bench', 'active', 'intro',
                   CASE WHEN id <= ? THEN datetime(?, '-1 hour') ELSE datetime(?, '+' || (id % 365 + 1) || ' days') END, ?, ?
            FROM candidate
            """, arguments: [due, now, now, now, now])
}
let buildSeconds = Date().timeIntervalSince(built)

var timings: [Double] = []
var claimed = 0
for _ in 0..<runs {
    let started = DispatchTime.now().uptimeNanoseconds
    claimed = try await database.dueSteps(now: now, limit: due).count
    timings.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000_000)
}
timings.sort()
print(
    String(
        format: "enrolments %d, due %d, claimed %d: median %.2f ms, slowest %.2f ms over %d runs; peak memory %.1f MiB (database built in %.1f s)",
        total, due, claimed, timings[timings.count / 2], timings.last ?? 0, runs, peakMemoryMiB(), buildSeconds))
