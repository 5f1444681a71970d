import AsyncHTTPClient
import CadenceCore
import CadenceEngine
import CadenceGmail
import CadenceServer
import CadenceStore
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import UnixSignals

/// The pieces `benchmarks/tracking.sh` drives around a real `cadence serve` (see BENCHMARKS.md):
///
/// - `tracking-prepare DIR SENDS`: a project in DIR with tracking on, SENDS emails sent through the outbox, and
///   two files of request paths, `pixels.txt` and `clicks.txt`, one per send.
/// - `tracking-plain PORT`: the peer, a bare Hummingbird route answering the same GIF and recording nothing.
/// - `tracking-open-loop URL_BASE PATHS RATE SECONDS`: requests at a fixed rate whatever the answers' pace, each
///   timed from when it was due to be sent (so a stalled server cannot hide its queue: no coordinated omission).
enum TrackingBenchmarks {
    static let start = Date(timeIntervalSince1970: 1_796_119_200)

    static func main(_ arguments: [String]) async throws -> Bool {
        switch arguments[1] {
        case "tracking-prepare" where arguments.count == 4:
            guard let sends = Int(arguments[3]) else { return false }
            try await prepare(folder: arguments[2], sends: sends)
            return true
        case "tracking-plain" where arguments.count == 3:
            guard let port = Int(arguments[2]) else { return false }
            try await plain(port: port)
            return true
        case "tracking-open-loop" where arguments.count == 6:
            guard let rate = Double(arguments[4]), let seconds = Double(arguments[5]) else { return false }
            try await openLoop(base: arguments[2], pathsFile: arguments[3], rate: rate, seconds: seconds)
            return true
        default:
            FileHandle.standardError.write(
                Data(
                    "usage: cadence-benchmarks tracking-prepare DIR SENDS | tracking-plain PORT | tracking-open-loop URL_BASE PATHS RATE SECONDS\n"
                        .utf8))
            return false
        }
    }

    static func prepare(folder: String, sends: Int) async throws {
        let files: [String: String] = [
            "cadence.json":
                #"{ "tracking": { "baseURL": "https://t.example.com", "key": { "file": "secrets/tracking.key" }, "defaults": { "opens": true } }, "mailboxes": [ { "name": "sam", "address": "sam@example.com", "displayName": "Sam", "timeZone": "UTC", "limits": { "dailyCap": 2000, "hourlyCap": 2000, "minimumGap": "0s" } } ] }"#,
            "sequences/b.json":
                #"{ "id": "b", "name": "B", "mailboxes": ["sam"], "timeZone": "UTC", "sendWindow": { "days": ["mon","tue","wed","thu","fri","sat","sun"], "start": "00:00", "end": "24:00" }, "limits": { "dailyCap": 2000, "perDomainDailyCap": 2000, "newEnrollmentsPerDay": 100000 }, "tracking": { "footer": true }, "steps": [ { "id": "intro", "type": "email", "template": "intro.md" } ] }"#,
            "templates/intro.md": "Subject: Hello <<candidate.firstName>>\n\nHi <<candidate.firstName>>, see [the role](https://jobs.example.com/r?for=<<candidate.email>>).\n",
            "people.csv": "email,firstName\n" + (1...sends).map { "p\($0)@example.org,P\($0)" }.joined(separator: "\n") + "\n",
            "secrets/tracking.key": "benchmark-tracking-key-0123456789abcdef0123\n",
        ]
        for (path, content) in files {
            let url = URL(fileURLWithPath: folder + "/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: url)
            if path.hasPrefix("secrets/") { chmod(url.path, 0o600) }
        }
        let location = ProjectLocation.resolve(explicit: folder + "/cadence.json", environment: [:], currentDirectory: folder)
        let loaded = try LoadedCampaign.load("b", location: location)
        let database = try CadenceDatabase.open(path: folder + "/cadence.sqlite", mode: .create)
        _ = try Launcher.launch(loaded, database: database, options: .init(candidatesPath: "people.csv", now: start, actor: "bench"))
        let keys = try TrackingKeyLoader.load(loaded.configuration.tracking!, secrets: SecretStore(root: folder, environment: [:]))
        _ = try await Simulation.run(
            database: database, configuration: loaded.configuration, sender: OutboxFolderSender(root: folder), from: start,
            until: start.addingTimeInterval(30 * 86_400), seed: 1, tracking: keys)
        let queue = try DatabaseQueue(path: folder + "/cadence.sqlite")
        let ids = try await queue.read { db in try String.fetchAll(db, sql: "SELECT trackingId FROM sendRecord WHERE state = 'sent' ORDER BY id") }
        try queue.close()
        let pixels = ids.map { "/t/o/" + TrackingToken(kind: .open, sendTrackingID: $0).signed(with: keys.current) + ".gif" }
        let clicks = ids.map { "/t/c/" + TrackingToken(kind: .click, sendTrackingID: $0, link: 1).signed(with: keys.current) }
        try Data((pixels.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: folder + "/pixels.txt"))
        try Data((clicks.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: folder + "/clicks.txt"))
        try? FileManager.default.removeItem(atPath: folder + "/outbox")
        print("prepared \(folder): \(ids.count) sends, pixels.txt and clicks.txt")
    }

    /// The peer: the same GIF, the same headers, from a plain Hummingbird route that records nothing.
    static func plain(port: Int) async throws {
        let router = Router()
        router.get("/t/o/:token") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "image/gif"
            headers[.cacheControl] = "no-store, no-cache, must-revalidate, private"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: TrackingEndpoint.gif)))
        }
        let app = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in
                FileHandle.standardOutput.write(Data("Listening on http://127.0.0.1:\(channel.localAddress?.port ?? port)\n".utf8))
            },
            logger: Logger(label: "plain") { _ in SwiftLogNoOpLogHandler() })
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    /// Fixed-rate requests (`OpenLoopLoad`), each timed from its due time; prints the percentiles and how many
    /// answers were 200/302.
    static func openLoop(base: String, pathsFile: String, rate: Double, seconds: Double) async throws {
        let paths = try String(contentsOfFile: pathsFile, encoding: .utf8).split(separator: "\n").map(String.init)
        guard let url = URL(string: base), let host = url.host, let port = url.port else { throw CocoaError(.fileReadInvalidFileName) }
        let connections = Int(ProcessInfo.processInfo.environment["OPEN_LOOP_CONNECTIONS"] ?? "") ?? 64
        let result = try OpenLoopLoad.run(host: host, port: port, paths: paths, rate: rate, seconds: seconds, connections: connections)
        let sorted = result.latenciesMS.sorted()
        let elapsed = result.elapsed
        func percentile(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        let statuses = result.statuses.sorted { $0.key < $1.key }.map { "\($0.key == 0 ? "failed" : String($0.key)): \($0.value)" }.joined(separator: ", ")
        print(
            String(
                format: "open loop %.0f req/s for %.0f s on %d connections (%d requests, %.1f s): p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms; answers %@", rate, seconds,
                connections, sorted.count, elapsed, percentile(0.5), percentile(0.99), percentile(0.999), sorted.last ?? 0, statuses))
        // How late the generator's own timers fired: time it could not keep would be charged to the server.
        let lag = result.timerLagMS.sorted()
        let lagP99 = lag.isEmpty ? 0 : lag[min(lag.count - 1, Int(Double(lag.count) * 0.99))]
        print(String(format: "generator timers: p99 %.2f ms late, max %.2f ms late (what the generator itself adds to the latencies above)", lagP99, lag.last ?? 0))
        if elapsed > seconds * 1.05 {
            print(
                String(
                    format: "the last answer came %.1f s after the %.0f s schedule began: the server (or the generator) fell behind, and that queue is in these latencies",
                    elapsed, seconds))
        }
        let good = (result.statuses[200] ?? 0) + (result.statuses[302] ?? 0)
        print("answered 200 or 302: \(good)")
    }
}
