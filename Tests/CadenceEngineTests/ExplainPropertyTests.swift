import CadenceCore
import CadenceEngine
import CadenceStore
import Foundation
import Testing

/// `cadence explain` and the runner must agree: random campaigns (windows, zones, delays, holidays, mailbox and
/// campaign caps, people missing a merge field) run by the real runner one due step per pass, and before each
/// pass every person is explained. The runner never sends a step before the earliest time `explain` gave for it;
/// when it defers the step it takes, it records the rule and time `explain` named first; when it sends, `explain`
/// said nothing held it; when it holds a person for a missing field, `explain` named the field.
@Suite("explain agrees with the runner (fixed seeds)")
struct ExplainPropertyTests {
    static let zones = ["Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney", ""]
    static let delays = ["30m", "4h", "1d", "2d", "1bd", "3bd"]
    /// The database keeps times to the millisecond: a due time stored from a jittered gap reads back up to a
    /// millisecond before the instant explain computed.
    static let stored: TimeInterval = 0.001

    @Test("random campaigns, one due step per pass: sends never before explain's earliest; deferrals and holds are the rule explain named", arguments: 0..<8)
    func agrees(caseNumber: Int) async throws {
        var random = RunnerPropertyTests.Random(state: 0xE7A1_0000 + UInt64(caseNumber))
        let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].filter { _ in random.next(0...2) > 0 }
        let window = days.isEmpty ? ["tue"] : days
        let startHour = random.next(5...14), length = random.next(2...6)
        let daily = random.next(3...12), hourly = random.next(1...4), gap = random.next(0...1_200)
        let campaignCap = random.next(0...1) == 0 ? "" : #", "dailyCap": \#(random.next(2...8))"#
        let domainCap = random.next(0...1) == 0 ? "" : #", "perDomainDailyCap": \#(random.next(1...3))"#
        let campaignZone = ["Europe/Berlin", "America/Chicago", "Asia/Tokyo"][random.next(0...2)]
        let holidays = (0..<random.next(0...3)).map { _ in "\"2026-12-\(String(format: "%02d", random.next(1...20)))\"" }
        let delayA = Self.delays[random.next(0...5)], delayB = Self.delays[random.next(0...5)]
        let people = (1...random.next(3...8)).map { "p\($0)@example\($0 % 3).org" }
        let files: [String: String] = [
            "cadence.json":
                #"{ "mailboxes": [ { "name": "sam", "address": "sam@example.com", "displayName": "Sam", "timeZone": "UTC", "limits": { "dailyCap": \#(daily), "hourlyCap": \#(hourly), "minimumGap": "\#(gap)s" } } ] }"#,
            "sequences/q1.json": """
            { "id": "q1", "name": "Q1", "mailboxes": ["sam"], "timeZone": "\(campaignZone)", "holidays": [\(holidays.joined(separator: ","))],
              "limits": { "newEnrollmentsPerDay": 500\(campaignCap)\(domainCap) },
              "sendWindow": { "days": [\(window.map { "\"\($0)\"" }.joined(separator: ","))], "start": "\(String(format: "%02d", startHour)):00", "end": "\(String(format: "%02d", startHour + length)):00" },
              "steps": [ { "id": "a", "type": "email", "template": "a.md" },
                         { "id": "b", "type": "reply", "delay": "\(delayA)", "inThreadOf": "a", "template": "b.md" },
                         { "id": "c", "type": "email", "delay": "\(delayB)", "template": "c.md" } ] }
            """,
            "templates/a.md": "Subject: Hi\n\nHello.\n",
            "templates/b.md": "Again.\n",
            // Only step c needs the company: people without one are held there, not before.
            "templates/c.md": "Subject: About <<candidate.company>>\n\nLast note.\n",
            "people.csv": "email,timezone,company\n"
                + people.map { "\($0),\(Self.zones[random.next(0...4)]),\(random.next(0...3) == 0 ? "" : "Acme")" }.joined(separator: "\n") + "\n",
        ]
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-explain-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let project = TemporaryProject(root: root)
        for (path, content) in files { try project.write(path, content) }
        let location = ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: root)
        let loaded = try LoadedCampaign.load("q1", location: location)
        let database = try CadenceDatabase.open(path: root + "/cadence.sqlite", mode: .create)
        let start = Date(timeIntervalSince1970: 1_796_108_400)
        _ = try Launcher.launch(loaded, database: database, options: .init(candidatesPath: "people.csv", now: start, actor: "t"))
        var configuration = loaded.configuration
        configuration.mailboxes = configuration.mailboxes.map {
            var mailbox = $0
            mailbox.provider = .outbox(folder: "outbox/\($0.name)")
            return mailbox
        }
        let seed = UInt64(caseNumber)
        let lease = LeaseKeeper(store: database, owner: "test", seconds: 365 * 86_400, clock: FixedClock(start))
        var runner = Runner(store: database, configuration: configuration, sender: OutboxFolderSender(root: root), batch: 1, seed: seed, lease: lease)
        let label =
            "case \(caseNumber): window \(window) \(startHour)+\(length)h \(campaignZone), caps \(daily)/day \(hourly)/h gap \(gap)s\(campaignCap)\(domainCap), holidays \(holidays), delays \(delayA) \(delayB)"

        var earliest: [String: Date] = [:]  // "address step" → the latest earliest explain gave
        var never = Set<String>()  // steps explain said could not go within a year
        var now = start
        var sends = 0, deferrals = 0, holds = 0
        for _ in 0..<300 {
            // Explain everyone, as the runner is about to look.
            var explained: [String: Explanation] = [:]
            for person in people {
                for explanation in try await Explainer.explain(database, configuration: configuration, addressKey: person, campaign: "q1", now: now, seed: seed) {
                    explained[person] = explanation
                    if let next = explanation.next {
                        let key = "\(person) \(next.stepID)"
                        if let at = next.earliest { earliest[key] = max(earliest[key] ?? .distantPast, at) } else { never.insert(key) }
                    }
                }
            }
            let due = try await database.dueSteps(now: now, limit: 1).first
            let before = try due.map { try database.candidate(AddressKey.normalized(text: $0.address))?.enrollments.first?.events.count ?? 0 }
            _ = try await runner.runOnce(now: now)
            if let due, let before {
                let person = AddressKey.normalized(text: due.address)
                let after = try await #require(try database.candidate(person)?.enrollments.first)
                let new = after.events.dropFirst(before)
                let next = try #require(explained[person]?.next, "\(label): explain has no next step for \(person), due at \(due.stepID)")
                #expect(next.stepID == due.stepID, "\(label)")
                let hold = next.checks.first { $0.holdsUntil != nil }
                if let sent = new.first(where: { $0.kind == "sent" }) {
                    sends += 1
                    #expect(hold == nil, "\(label): the runner sent \(person) \(due.stepID) at \(now) while explain said \(hold?.reason ?? "")")
                    #expect(next.missingFields.isEmpty, "\(label)")
                    #expect(sent.at >= (earliest["\(person) \(due.stepID)"] ?? .distantPast).addingTimeInterval(-Self.stored), "\(label): sent before explain's earliest")
                    #expect(!never.contains("\(person) \(due.stepID)"), "\(label): sent, though explain said not within a year")
                } else if let deferred = new.first(where: { $0.kind == "deferred" }) {
                    deferrals += 1
                    let named = hold.map { "until \(Timestamps.display($0.holdsUntil!)): \($0.reason)" }
                    #expect(deferred.detail == named, "\(label): runner deferred \(person) \(due.stepID) \"\(deferred.detail)\"; explain named \(named ?? "nothing")")
                } else if new.contains(where: { $0.kind == "held" }) {
                    holds += 1
                    #expect(hold == nil && !next.missingFields.isEmpty, "\(label): held \(person) at \(due.stepID); explain: \(next.missingFields) \(hold?.reason ?? "")")
                }
            }
            guard let following = try database.nextDueTime() else { break }
            now = max(following, now.addingTimeInterval(1))
        }
        #expect(sends > 0, "\(label)")
        // Every send, not only the one each pass took: never before the earliest explain gave for it.
        for person in people {
            for send in try await database.sentRecords(enrollment: try #require(try database.candidate(person)?.enrollments.first).id) {
                if let at = send.sentAt, let bound = earliest["\(person) \(send.stepID)"] {
                    #expect(at >= bound.addingTimeInterval(-Self.stored), "\(label): \(person) \(send.stepID) sent \(at), explain said not before \(bound)")
                }
            }
        }
        #expect(deferrals > 0, "\(label): the runner never deferred, so nothing was compared")
        _ = holds
    }
}
