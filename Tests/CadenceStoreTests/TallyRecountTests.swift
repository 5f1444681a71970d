import CadenceCore
import Foundation
import GRDB
import Testing

@testable import CadenceStore

/// `stats` reads counters kept in the transactions that write the facts; they must always equal a recount of the
/// facts. Random histories of launches, sends (some reconciled late), incoming mail of every class (some dated
/// before later sends), labels, tasks, opens and clicks (bursts reclassed as a scanner's) and erasures; at
/// checkpoints the counters are compared with `recount`, whole and by mailbox and launch. An erased person leaves
/// the facts but stays in the counters (`forget` keeps anonymous counts), so their share, measured by recounting
/// just before and after the erasure, is added back to the recount.
@Suite("stats counters always equal a recount of the facts")
struct TallyRecountTests {
    static let start = Date(timeIntervalSince1970: 1_796_115_600)
    static let campaignJSON = """
        { "id": "q", "name": "Q", "mailboxes": ["sam", "kim"], "timeZone": "America/New_York",
          "steps": [
            { "id": "intro", "type": "email", "variants": [ { "id": "a", "template": "a.md", "weight": 50 }, { "id": "b", "template": "b.md", "weight": 50 } ] },
            { "id": "call", "type": "task", "delay": "1d", "title": "Call", "instructions": "Ring them." },
            { "id": "bump", "type": "reply", "delay": "2d", "inThreadOf": "intro", "template": "bump.md" } ] }
        """

    static let campaign = CadenceDatabase.LaunchCampaign(
        id: "q", name: "Q", sourcePath: "q.json", digest: "d", files: [SnapshotFile(kind: .campaign, path: "q.json", content: Array(campaignJSON.utf8), digest: "x")])

    /// Every number of every row, keyed by slice value, step and variant.
    static func flatten(_ stats: [CampaignStats]) -> [String: [Int]] {
        var result: [String: [Int]] = [:]
        for campaign in stats {
            func add(_ slice: String, _ rows: [CampaignStats.Row]) {
                for row in rows { result["\(slice)|\(row.stepID)|\(row.variantID ?? "")"] = numbers(row.counts) }
            }
            add("", campaign.rows)
            for slice in campaign.slices { add(slice.value, slice.rows) }
        }
        return result
    }

    static func numbers(_ c: StatCounts) -> [Int] {
        [
            c.enrolled, c.sent, c.bounced, c.replied, c.repliedEventually, c.positiveReplies, c.unsubscribed, c.outOfOffice, c.opened, c.openedHuman,
            c.clicked, c.clickedHuman, c.unsubscribedByLink, c.tasksDone,
        ]
    }

    static func add(_ a: [String: [Int]], _ b: [String: [Int]], sign: Int = 1) -> [String: [Int]] {
        var result = a
        for (key, values) in b {
            let base = result[key] ?? Array(repeating: 0, count: values.count)
            result[key] = zip(base, values).map { $0 + sign * $1 }
        }
        return result.filter { $0.value.contains { $0 != 0 } }
    }

    static let queries = [StatsQuery(campaign: "q"), StatsQuery(campaign: "q", slice: .mailbox), StatsQuery(campaign: "q", slice: .launch)]

    @Test("six random histories of 300 steps each, three with erasures", arguments: 0..<6)
    func countersEqualRecount(seed: UInt64) async throws {
        let database = try CadenceDatabase.inMemory()
        var random = SplitMix64(seed: 0x57A7_5000 + seed)
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        let erasing = seed % 2 == 1
        var clock = Self.start
        var people: [String] = []
        var sends: [(record: Int64, address: String)] = []
        var unknown: [Int64] = []
        var erasedShare = Self.queries.map { _ in [String: [Int]]() }
        var erasures = 0
        guard case .held(let lease) = try await database.acquireLease(owner: "test", now: clock, seconds: 86_400 * 365) else {
            Issue.record("no lease")
            return
        }
        func check(_ label: String) throws {
            for (index, query) in Self.queries.enumerated() {
                let counted = Self.add(Self.flatten(try database.stats(query, now: clock)), [:])
                let recounted = Self.add(Self.flatten(try database.recount(query, now: clock)), erasedShare[index])
                #expect(counted == recounted, "seed \(seed), \(label), by \(query.slice?.rawValue ?? "-")")
                if !erasing, query.slice == nil {
                    let medians = try database.stats(query, now: clock).flatMap { $0.rows.map(\.medianSecondsToReply) }
                    let recountedMedians = try database.recount(query, now: clock).flatMap { $0.rows.map(\.medianSecondsToReply) }
                    #expect(medians == recountedMedians, "seed \(seed), \(label): median time to first reply")
                }
            }
            // The day series adds up to the same totals as the table.
            let series = try database.stats(StatsQuery(campaign: "q", slice: .day), now: clock).first?.series ?? []
            let whole = try database.stats(StatsQuery(campaign: "q"), now: clock).first
            #expect(series.reduce(0) { $0 + $1.counts.sent } == whole?.rows.filter { $0.variantID == nil }.reduce(0) { $0 + $1.sent }, "seed \(seed), \(label): daily sends")
        }
        for step in 0..<300 {
            clock = clock.addingTimeInterval(Double(pick(4 * 3600)))
            switch step == 0 ? 0 : pick(100) {
            case 0..<8:
                _ = try database.launch(Self.campaign, actor: "test", now: clock, allowConcurrent: true) { session in
                    for _ in 0..<(1 + pick(6)) {
                        let address = "p\(people.count)@example.org"
                        people.append(address)
                        _ = try session.enroll(
                            Candidate(line: people.count + 1, email: try EmailAddress.parse(address).get(), fields: ["email": address]),
                            mailbox: pick(2) == 0 ? "sam" : "kim", variants: ["intro": pick(2) == 0 ? "a" : "b"],
                            initial: .active(nextStep: "intro", dueAt: clock))
                    }
                    return ((), true)
                }
            case 8..<40:
                let due = try await database.dueSteps(now: clock, limit: 50).filter { $0.stepID != "call" }
                guard !due.isEmpty else { continue }
                let chosen = due[pick(due.count)]
                let key = SendKey(sendID: "q.\(chosen.stepID).\(chosen.enrollmentID).\(step)", messageID: "m\(step)@example.com")
                guard case .recorded(let id) = try await database.recordIntent(chosen, key: key, bytes: [1], fence: lease.fence, now: clock) else { continue }
                sends.append((id, chosen.address))
                if pick(10) == 0 {
                    try await database.recordOutcomeUnknown(id, reason: "timed out", fence: lease.fence)
                    unknown.append(id)
                    continue
                }
                let next: EnrollmentState = chosen.stepID == "intro" ? .active(nextStep: "call", dueAt: clock) : .finished
                try await database.recordSent(id, sent: SentMessage(providerMessageID: "g\(step)", threadID: "t\(step)"), next: next, recipientDomain: "example.org", fence: lease.fence, now: clock)
            case 40..<44 where !unknown.isEmpty:
                // Reconciled later: Gmail had it.
                let id = unknown.remove(at: pick(unknown.count))
                try await database.recordSent(
                    id, sent: SentMessage(providerMessageID: "r\(step)", threadID: "u\(step)"), next: .finished, recipientDomain: "example.org", fence: lease.fence, now: clock)
            case 44..<50:
                let tasks = try await database.openTasks(campaign: "q", actor: "test", now: clock)
                guard !tasks.isEmpty else { continue }
                _ = try? await database.completeTask(tasks[pick(tasks.count)].id, note: nil, actor: "test", now: clock)
            case 50..<72 where !people.isEmpty:
                let address = people[pick(people.count)]
                let classes: [IncomingClass] = [
                    .reply, .reply, .unparsed(reason: "no text"), .bounce(permanent: true, recipient: address, status: "5.1.1"),
                    .bounce(permanent: false, recipient: address, status: "4.2.2"), .outOfOffice(returns: nil), .unsubscribe, .automated(.ticket),
                ]
                let message = IncomingMessage(
                    mailbox: "sam", providerMessageID: "in\(step)", providerThreadID: nil, from: address, references: [], incomingClass: classes[pick(classes.count)],
                    snippet: "hello",
                    // Mostly before later sends; sometimes stamped ahead of the runner's clock (a skewed or simulated
                    // clock), so a send recorded afterwards can come before it.
                    receivedAt: clock.addingTimeInterval(pick(4) == 0 ? Double(pick(3 * 86_400)) : -Double(pick(3 * 86_400))))
                _ = try await database.applyIncoming(message, now: clock)
            case 72..<78 where !people.isEmpty:
                let label = [ReplyLabel.interested, .interested, .notNow, .no][pick(4)]
                _ = await try? database.label(addressKey: people[pick(people.count)], campaign: "q", as: label, actor: "test", now: clock)
            case 78..<96 where !sends.isEmpty:
                var events: [TrackingEventRecord] = []
                let send = sends[pick(sends.count)].record
                for index in 0..<(1 + pick(4)) {
                    let kind: TrackingEventRecord.Kind = pick(2) == 0 ? .open : .click
                    events.append(
                        TrackingEventRecord(
                            sendRecordID: pick(3) == 0 ? sends[pick(sends.count)].record : send, kind: kind, link: kind == .click ? 1 + pick(3) : nil,
                            eventClass: TrackingEventClass.allCases[pick(TrackingEventClass.allCases.count)], at: clock.addingTimeInterval(Double(index * pick(4)))))
                }
                try await database.recordTrackingEvents(events)
            case 96..<99 where erasing && !people.isEmpty:
                let address = people[pick(people.count)]
                let countersBefore = try Self.queries.map { Self.flatten(try database.stats($0, now: clock)) }
                let before = try Self.queries.map { Self.flatten(try database.recount($0, now: clock)) }
                _ = try await database.forget(addressKey: address, actor: "test", now: clock)
                let after = try Self.queries.map { Self.flatten(try database.recount($0, now: clock)) }
                for index in Self.queries.indices { erasedShare[index] = Self.add(erasedShare[index], Self.add(before[index], after[index], sign: -1)) }
                #expect(try Self.queries.map { Self.flatten(try database.stats($0, now: clock)) } == countersBefore, "forget keeps the counts")
                people.removeAll { $0 == address }
                erasures += 1
            default:
                continue
            }
            if step % 50 == 49 { try check("step \(step)") }
        }
        try check("the end")
        let totals = try await #require(try database.stats(StatsQuery(campaign: "q"), now: clock).first)
        // The history did what it is meant to test.
        #expect(totals.rows.first { $0.stepID == "intro" && $0.variantID == nil }.map { $0.sent > 10 && $0.replied > 0 && $0.clicked > 0 } == true)
        if erasing { #expect(erasures > 0) }
        // The migration's backfill, run on the same facts a page at a time, counts what a recount does (an erased
        // person's share is no longer in the facts, so none is added back).
        try await database.write { db in
            try db.execute(sql: "DELETE FROM stepTally; DELETE FROM stepTotal; DELETE FROM stepOutcome")
            try CadenceDatabase.backfillTallies(db, pageSize: 7)  // many pages, each ending anywhere
        }
        for query in Self.queries {
            await #expect(
                Self.add(Self.flatten(try database.stats(query, now: clock)), [:]) == Self.add(Self.flatten(try database.recount(query, now: clock)), [:]),
                "seed \(seed), backfill, by \(query.slice?.rawValue ?? "-")")
        }
    }

    @Test("a reply already read counts for a send recorded after it, when the send came first (a send reconciled late)")
    func replyBeforeLateSend() async throws {
        let database = try CadenceDatabase.inMemory()
        let now = Self.start
        _ = try database.launch(Self.campaign, actor: "test", now: now, allowConcurrent: true) { session in
            _ = try session.enroll(
                Candidate(line: 2, email: try EmailAddress.parse("ana@example.org").get(), fields: [:]), mailbox: "sam", variants: ["intro": "a"],
                initial: .active(nextStep: "intro", dueAt: now))
            return ((), true)
        }
        guard case .held(let lease) = try await database.acquireLease(owner: "test", now: now, seconds: 600) else { return }
        let step = try #require(try await database.dueSteps(now: now, limit: 1).first)
        guard case .recorded(let id) = try await database.recordIntent(step, key: SendKey(sendID: "q.intro.ana", messageID: "m@x"), bytes: [1], fence: lease.fence, now: now)
        else { return }
        try await database.recordOutcomeUnknown(id, reason: "timed out", fence: lease.fence)
        // Her reply is read, dated an hour on; the send is then found in Gmail and recorded ten minutes on.
        _ = try await database.applyIncoming(
            IncomingMessage(
                mailbox: "sam", providerMessageID: "r1", providerThreadID: nil, from: "ana@example.org", references: [], incomingClass: .reply, snippet: "yes",
                receivedAt: now.addingTimeInterval(3600)), now: now.addingTimeInterval(60))
        try await database.recordSent(
            id, sent: SentMessage(providerMessageID: "g1", threadID: "t1"), next: .finished, recipientDomain: "example.org", fence: lease.fence,
            now: now.addingTimeInterval(600))
        let intro = try await #require(try database.stats(StatsQuery(campaign: "q"), now: now).first?.rows.first { $0.stepID == "intro" && $0.variantID == nil })
        #expect(intro.replied == 1)
        #expect(intro.medianSecondsToReply == 3000)
        await #expect(Self.flatten(try database.stats(StatsQuery(campaign: "q"), now: now)) == Self.flatten(try database.recount(StatsQuery(campaign: "q"), now: now)))
    }

    @Test("a held person launched again is counted under the new launch and variant (fails on 9468ebc: the enrolled counters stayed with the first launch)")
    func relaunchedHeldPerson() throws {
        let database = try CadenceDatabase.inMemory()
        let person = Candidate(line: 2, email: try EmailAddress.parse("ana@example.org").get(), fields: [:])
        _ = try database.launch(Self.campaign, actor: "test", now: Self.start, allowConcurrent: true) { session in
            _ = try session.enroll(person, mailbox: "sam", variants: ["intro": "a"], initial: .held(step: "intro", reason: .missingFields(["candidate.company"])))
            return ((), true)
        }
        let outcome = try database.launch(Self.campaign, actor: "test", now: Self.start.addingTimeInterval(3_600), allowConcurrent: true) { session in
            (try session.enroll(person, mailbox: "sam", variants: ["intro": "b"], initial: .active(nextStep: "intro", dueAt: Self.start)), true)
        }
        #expect(outcome == .updated(.active(nextStep: "intro", dueAt: Self.start)))
        for query in Self.queries {
            #expect(
                Self.add(Self.flatten(try database.stats(query, now: Self.start)), [:]) == Self.add(Self.flatten(try database.recount(query, now: Self.start)), [:]),
                "by \(query.slice?.rawValue ?? "-")")
        }
    }
}
