import CadenceCore
import CadenceEngine
import CadenceStore
import Foundation
import Testing

/// The forecast plays the same rules as the runner, in memory: on random campaigns it must give the sends and the
/// finish time the real runner gives in `run --simulate` (which makes the same assumptions: nobody replies, tasks
/// are done when they open). One difference is by design: people queued behind a mailbox's minimum gap go at the
/// gap itself, without the runner's random extra (up to a third of the gap), which would cost a check per person
/// per send; so the forecast may be that much early per send, never late, and people queued together may go in
/// another order than the runner's (the finish is what the forecast promises, not each person's time).
@Suite("status --forecast agrees with the runner's simulation (fixed seeds)")
struct ForecastTests {
    @Test(
        "random windows, zones, delays, holidays and caps: the same sends and the same finish, up to the gap's jitter, which the forecast leaves out",
        arguments: 0..<10)
    func agreesWithSimulation(caseNumber: Int) async throws {
        var random = RunnerPropertyTests.Random(state: 0xF0CA_5700 + UInt64(caseNumber))
        let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].filter { _ in random.next(0...2) > 0 }
        let window = days.isEmpty ? ["thu"] : days
        let startHour = random.next(5...14), length = random.next(2...6)
        let daily = random.next(3...15), hourly = random.next(1...5), gap = random.next(0...900)
        let campaignCap = random.next(0...1) == 0 ? "" : #", "dailyCap": \#(random.next(3...9))"#
        let domainCap = random.next(0...1) == 0 ? "" : #", "perDomainDailyCap": \#(random.next(1...4))"#
        let campaignZone = ["Europe/Berlin", "America/Chicago", "Asia/Tokyo"][random.next(0...2)]
        let holidays = (0..<random.next(0...3)).map { _ in "\"2026-12-\(String(format: "%02d", random.next(1...20)))\"" }
        let delays = ExplainPropertyTests.delays
        let delayA = delays[random.next(0...5)], delayB = delays[random.next(0...5)]
        let zones = ExplainPropertyTests.zones
        let people = (1...random.next(4...14)).map { "p\($0)@example\($0 % 3).org,\(zones[random.next(0...4)])" }
        let files: [String: String] = [
            "cadence.json":
                #"{ "mailboxes": [ { "name": "sam", "address": "sam@example.com", "displayName": "Sam", "timeZone": "UTC", "limits": { "dailyCap": \#(daily), "hourlyCap": \#(hourly), "minimumGap": "\#(gap)s" } }, { "name": "kim", "address": "kim@example.com", "displayName": "Kim", "timeZone": "UTC", "limits": { "dailyCap": \#(daily + 2), "hourlyCap": \#(hourly), "minimumGap": "60s" } } ] }"#,
            "sequences/q1.json": """
            { "id": "q1", "name": "Q1", "mailboxes": ["sam", "kim"], "timeZone": "\(campaignZone)", "holidays": [\(holidays.joined(separator: ","))],
              "limits": { "newEnrollmentsPerDay": 500\(campaignCap)\(domainCap) },
              "sendWindow": { "days": [\(window.map { "\"\($0)\"" }.joined(separator: ","))], "start": "\(String(format: "%02d", startHour)):00", "end": "\(String(format: "%02d", startHour + length)):00" },
              "steps": [ { "id": "a", "type": "email", "template": "a.md" },
                         { "id": "t", "type": "task", "delay": "\(delayA)", "title": "Call", "instructions": "Ring." },
                         { "id": "b", "type": "reply", "delay": "\(delayB)", "inThreadOf": "a", "template": "b.md" } ] }
            """,
            "templates/a.md": "Subject: Hi\n\nHello.\n",
            "templates/b.md": "Again.\n",
            "people.csv": "email,timezone\n" + people.joined(separator: "\n") + "\n",
        ]
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-forecast-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let project = TemporaryProject(root: root)
        for (path, content) in files { try project.write(path, content) }
        let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: root)
        let loaded = try LoadedCampaign.load("q1", location: location)
        let database = try CadenceDatabase.open(path: root + "/cadence.sqlite", mode: .create)
        let start = Date(timeIntervalSince1970: 1_796_108_400)
        _ = try Launcher.launch(loaded, database: database, options: .init(candidatesPath: "people.csv", now: start, actor: "t"))
        let seed = UInt64(caseNumber)
        let forecast = try await CampaignForecast.make(database, configuration: loaded.configuration, now: start, seed: seed)
        let simulated = try await Simulation.run(
            database: database, configuration: loaded.configuration, scratchFolder: root, from: start, until: start.addingTimeInterval(366 * 86_400), seed: seed)
        let label =
            "case \(caseNumber): window \(window) \(startHour)+\(length)h \(campaignZone), caps \(daily)/day \(hourly)/h gap \(gap)s\(campaignCap)\(domainCap), holidays \(holidays), delays \(delayA) \(delayB)"
        let predicted = try #require(forecast.result.campaigns["q1"], "\(label)")
        #expect(predicted.people == people.count, "\(label)")
        #expect(predicted.emails == simulated.timeline.count, "\(label)")
        // The same sends (who and which step), and the same finish up to the gap's jitter.
        let played = Dictionary(forecast.result.sends.map { ("\(forecast.snapshot.people[$0.person].address) \($0.step)", $0.at) }) { first, _ in first }
        let ran = Dictionary(simulated.timeline.map { ("\($0.address) \($0.stepID)", $0.at) }) { first, _ in first }
        #expect(Set(played.keys) == Set(ran.keys), "\(label)")
        let slack = Double(max(gap, 60)) / 3 * Double(simulated.timeline.count)
        let finished = try #require(simulated.finished["q1"], "\(label)")
        let last = try #require(predicted.lastStep, "\(label)")
        #expect(last <= finished.addingTimeInterval(0.001) && last >= finished.addingTimeInterval(-slack), "\(label): forecast \(last), runner \(finished)")
        #expect(forecast.result.mailboxes.values.reduce(0) { $0 + $1.emails } == simulated.timeline.count, "\(label)")

    }

    @Test("one campaign's forecast shows every mailbox its people send from, also one an update took off its list")
    func oneCampaignsMailboxes() async throws {
        let campaign = { (mailboxes: String) in
            """
            { "id": "q1", "name": "Q1", "mailboxes": [\(mailboxes)], "timeZone": "UTC",
              "steps": [ { "id": "a", "type": "email", "template": "a.md" } ] }
            """
        }
        let files: [String: String] = [
            "cadence.json":
                #"{ "mailboxes": [ { "name": "sam", "address": "sam@example.com", "displayName": "Sam", "timeZone": "UTC" }, { "name": "kim", "address": "kim@example.com", "displayName": "Kim", "timeZone": "UTC" } ] }"#,
            "sequences/q1.json": campaign(#""sam", "kim""#),
            "templates/a.md": "Subject: Hi\n\nHello.\n",
            "people.csv": "email\na@example.org\nb@example.org\nc@example.org\nd@example.org\n",
        ]
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-forecast-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let project = TemporaryProject(root: root)
        for (path, content) in files { try project.write(path, content) }
        let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: root)
        let database = try CadenceDatabase.open(path: root + "/cadence.sqlite", mode: .create)
        let start = Date(timeIntervalSince1970: 1_796_108_400)
        _ = try Launcher.launch(try LoadedCampaign.load("q1", location: location), database: database, options: .init(candidatesPath: "people.csv", now: start, actor: "t"))
        try project.write("sequences/q1.json", campaign(#""sam""#))
        let loaded = try LoadedCampaign.load("q1", location: location)
        _ = try await Updater.update(loaded, database: database, actor: "t", now: start)
        let forecast = try await CampaignForecast.make(database, configuration: loaded.configuration, now: start, seed: 1, only: "q1")
        #expect(forecast.text.contains("mailbox kim: 2 emails queued"))
        #expect(forecast.text.contains("mailbox sam: 2 emails queued"))
    }
}
