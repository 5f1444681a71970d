import CadenceCore
import CadenceEngine
import CadenceStore
import Foundation
import Testing

/// Whole campaigns simulated with random windows, zones, delays and limits (a fixed seed, bounded cases); the
/// timeline must keep every rule.
@Suite("Runner properties (fixed seed)")
struct RunnerPropertyTests {
    struct Random {
        var state: UInt64
        mutating func next(_ range: ClosedRange<Int>) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return range.lowerBound + Int(z % UInt64(range.count))
        }
    }

    static let zones = ["Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC", ""]
    static let delays = ["30m", "4h", "1d", "2d", "1bd", "3bd"]

    @Test("every send in its window, after its delay, within every mailbox limit, one step at a time", arguments: 0..<12)
    func simulated(caseNumber: Int) async throws {
        var random = Random(state: 0xCADE_0000 + UInt64(caseNumber))
        let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].filter { _ in random.next(0...3) > 0 }
        let startHour = random.next(0...16), length = random.next(2...8)
        let daily = random.next(4...40), hourly = random.next(1...6), gap = random.next(0...900)
        let delayA = Self.delays[random.next(0...5)], delayB = Self.delays[random.next(0...5)]
        let campaignZone = ["Europe/Berlin", "America/Chicago", "Asia/Tokyo"][random.next(0...2)]
        let window = days.isEmpty ? ["wed"] : days
        let files: [String: String?] = [
            "cadence.json":
                #"{ "mailboxes": [ { "name": "sam", "address": "sam@example.com", "displayName": "Sam", "timeZone": "UTC", "limits": { "dailyCap": \#(daily), "hourlyCap": \#(hourly), "minimumGap": "\#(gap)s" } } ] }"#,
            "sequences/q1.json": """
            { "id": "q1", "name": "Q1", "mailboxes": ["sam"], "timeZone": "\(campaignZone)",
              "sendWindow": { "days": [\(window.map { "\"\($0)\"" }.joined(separator: ","))], "start": "\(String(format: "%02d", startHour)):00", "end": "\(String(format: "%02d", startHour + length)):00" },
              "steps": [ { "id": "a", "type": "email", "template": "a.md" },
                         { "id": "b", "type": "reply", "delay": "\(delayA)", "inThreadOf": "a", "template": "b.md" },
                         { "id": "c", "type": "email", "delay": "\(delayB)", "template": "a.md" } ] }
            """,
            "templates/a.md": "Subject: Hi\n\nHello.\n",
            "templates/b.md": "Again.\n",
            "people.csv": "email,timezone\n" + (1...random.next(3...12)).map { "p\($0)@example\($0 % 3).org,\(Self.zones[random.next(0...5)])" }.joined(separator: "\n") + "\n",
        ]
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-prop-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let project = TemporaryProject(root: root)
        for (path, content) in files { try project.write(path, content!) }
        let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: root)
        let loaded = try LoadedCampaign.load("q1", location: location)
        let database = try CadenceDatabase.open(path: root + "/cadence.sqlite", mode: .create)
        let start = Date(timeIntervalSince1970: 1_796_108_400)
        _ = try Launcher.launch(loaded, database: database, options: .init(candidatesPath: "people.csv", now: start, actor: "t"))
        let result = try await Simulation.run(
            database: database, configuration: loaded.configuration, scratchFolder: root, from: start, until: start.addingTimeInterval(120 * 86_400), seed: UInt64(caseNumber))
        let timeline = result.timeline
        let label = "case \(caseNumber): window \(window) \(startHour)+\(length)h, caps \(daily)/day \(hourly)/h gap \(gap)s, delays \(delayA) \(delayB)"
        #expect(!timeline.isEmpty, "\(label)")
        for entry in timeline {
            // In the window, in the candidate's zone (else the campaign's); a DST gap may push the opening an hour.
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: (entry.timeZone?.isEmpty == false ? entry.timeZone : nil) ?? campaignZone)!
            let parts = calendar.dateComponents([.weekday, .hour, .minute], from: entry.at)
            let weekday = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"][parts.weekday! - 1]
            let minutes = parts.hour! * 60 + parts.minute!
            #expect(window.contains(weekday), "\(label): \(entry) on \(weekday)")
            #expect(minutes >= startHour * 60 && minutes < (startHour + length) * 60 + 60, "\(label): \(entry) at \(minutes / 60):\(minutes % 60)")
        }
        let times = timeline.map(\.at)
        for (index, time) in times.enumerated() {
            let lastHour = times[...index].filter { $0 > time.addingTimeInterval(-3_600) }.count
            let lastDay = times[...index].filter { $0 > time.addingTimeInterval(-86_400) }.count
            #expect(lastHour <= hourly, "\(label): \(lastHour) sends in the hour before \(time)")
            #expect(lastDay <= daily, "\(label): \(lastDay) sends in the day before \(time)")
            if index > 0 { #expect(time.timeIntervalSince(times[index - 1]) >= Double(gap), "\(label): gap before \(time)") }
        }
        for address in Set(timeline.map(\.address)) {
            let sends = timeline.filter { $0.address == address }
            #expect(sends.map(\.stepID) == Array(["a", "b", "c"].prefix(sends.count)), "\(label): \(address) steps \(sends.map(\.stepID))")
            for (earlier, later) in zip(sends, sends.dropFirst()) {
                // Never before the delay: minutes and hours exactly; days (calendar or business) allowing a DST hour.
                let minimum: Double =
                    switch try Delay.parse(later.stepID == "b" ? delayA : delayB).get() {
                    case .minutes(let n): Double(n * 60)
                    case .hours(let n): Double(n * 3_600)
                    case .days(let n), .businessDays(let n): Double(n * 86_400 - 3_600)
                    }
                #expect(later.at.timeIntervalSince(earlier.at) >= minimum, "\(label): \(address) \(earlier.stepID)→\(later.stepID) too soon")
            }
        }
    }
}
