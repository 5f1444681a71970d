import CadenceCore
import CadenceEngine
import CadenceStore
import Foundation

/// `cadence-benchmarks forecast-scale PEOPLE MAILBOXES [RUNS] [--peer]`: launches PEOPLE into a four-step campaign
/// (two emails, a task, a follow-up in the thread) over MAILBOXES mailboxes at their default caps (200 a day, 30 an
/// hour, 90 s apart), candidates in five zones, then times `status --forecast` (`CampaignForecast.make`: the read
/// and the in-memory play) RUNS times. With `--peer`, the same question answered by the runner itself on a copy
/// (`run --simulate`), once, in the same run.
enum ForecastBenchmarks {
    static func main(_ arguments: [String]) async throws -> Bool {
        guard arguments.count >= 4, let people = Int(arguments[2]), let mailboxCount = Int(arguments[3]) else {
            FileHandle.standardError.write(Data("usage: cadence-benchmarks forecast-scale PEOPLE MAILBOXES [RUNS] [--peer]\n".utf8))
            return false
        }
        let runs = arguments.count > 4 ? Int(arguments[4]) ?? 10 : 10
        let peer = arguments.contains("--peer")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-forecast-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/sequences", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/templates", withIntermediateDirectories: true)
        let names = (0..<mailboxCount).map { "m\($0)" }
        let mailboxes = names.map { #"{ "name": "\#($0)", "address": "\#($0)@example.com", "displayName": "M", "timeZone": "UTC" }"# }
        let files = [
            "cadence.json": #"{ "mailboxes": [ \#(mailboxes.joined(separator: ", ")) ] }"#,
            "sequences/q.json": """
            { "id": "q", "name": "Q", "mailboxes": [\(names.map { "\"\($0)\"" }.joined(separator: ", "))], "timeZone": "Europe/Berlin",
              "holidays": ["2026-12-24", "2026-12-25", "2027-01-01"], "blackoutDates": [ { "from": "2026-12-28", "to": "2026-12-31" } ],
              "limits": { "newEnrollmentsPerDay": \(people) },
              "steps": [ { "id": "intro", "type": "email", "template": "a.md" },
                         { "id": "bump", "type": "reply", "delay": "3bd", "inThreadOf": "intro", "template": "b.md" },
                         { "id": "call", "type": "task", "delay": "2d", "title": "Call", "instructions": "Ring." },
                         { "id": "last", "type": "email", "delay": "1w", "template": "c.md" } ] }
            """.replacingOccurrences(of: "\"1w\"", with: "\"7d\""),
            "templates/a.md": "Subject: Hi\n\nHello.\n", "templates/b.md": "Again.\n", "templates/c.md": "Subject: Last\n\nBye.\n",
        ]
        for (path, content) in files { try Data(content.utf8).write(to: URL(fileURLWithPath: root + "/" + path)) }
        let zones = ["Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "Europe/Berlin"]
        var csv = "email,timezone\n"
        for index in 0..<people { csv += "p\(index)@company\(index % 997).com,\(zones[index % zones.count])\n" }
        try Data(csv.utf8).write(to: URL(fileURLWithPath: root + "/people.csv"))
        let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: root)
        let loaded = try LoadedCampaign.load("q", location: location)
        let database = try CadenceDatabase.open(path: root + "/cadence.sqlite", mode: .create)
        let now = Date(timeIntervalSince1970: 1_796_115_600)  // 2026-11-30 10:00 UTC
        _ = try Launcher.launch(loaded, database: database, options: .init(candidatesPath: "people.csv", now: now, actor: "bench"))
        var timings: [Double] = []
        var forecast: CampaignForecast?
        for _ in 0..<runs {
            let started = DispatchTime.now().uptimeNanoseconds
            forecast = try await CampaignForecast.make(database, configuration: loaded.configuration, now: now, seed: 1)
            timings.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000_000)
        }
        timings.sort()
        let result = forecast!.result
        let campaign = result.campaigns["q"] ?? Forecast.CampaignResult()
        print(
            String(
                format: "forecast of %d people over %d mailboxes: median %.0f ms, slowest %.0f ms over %d runs; %d emails and %d tasks played, last step %@",
                people, mailboxCount, timings[timings.count / 2], timings.last ?? 0, runs, campaign.emails, campaign.tasks,
                campaign.lastStep.map(Timestamps.display) ?? "-"))
        if peer {
            let started = DispatchTime.now().uptimeNanoseconds
            let copy = try database.copy(to: root + "/peer.sqlite")
            let simulated = try await Simulation.run(
                database: copy, configuration: loaded.configuration, scratchFolder: root, from: now, until: now.addingTimeInterval(366 * 86_400), seed: 1)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000_000_000
            print(
                String(
                    format: "peer, the runner on a copy (run --simulate): %.1f s; %d emails, last step %@", seconds, simulated.timeline.count,
                    simulated.finished["q"].map(Timestamps.display) ?? "-"))
        }
        print(String(format: "peak memory %.1f MiB", peakMemoryMiB()))
        return true
    }
}
