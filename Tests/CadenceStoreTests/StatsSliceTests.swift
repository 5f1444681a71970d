import CadenceCore
import CadenceStore
import Foundation
import Testing

/// `stats --by` and `--since/--until`: slices by mailbox and launch, day and week series in the campaign's zone,
/// and cohorts by first send.
@Suite("Stats: slices, series and cohorts")
struct StatsSliceTests {
    /// 2026-12-01 04:30 UTC: still 2026-11-30 (23:30) in New York, the campaign's zone.
    static let lateMonday = Date(timeIntervalSince1970: 1_796_099_400)

    /// Four people over two launches and two mailboxes, each sent the intro on a different day; two reply.
    static func scene() async throws -> CadenceDatabase {
        let database = try CadenceDatabase.inMemory()
        let days: [Double] = [0, 1, 7, 8]
        guard case .held(let lease) = try await database.acquireLease(owner: "t", now: lateMonday, seconds: 86_400 * 30) else { throw StoreError.leaseLost }
        for (index, offset) in days.enumerated() {
            let at = lateMonday.addingTimeInterval(offset * 86_400)
            let address = "p\(index)@example.org"
            _ = try database.launch(TallyRecountTests.campaign, actor: "t", now: at, allowConcurrent: true) { session in
                _ = try session.enroll(
                    Candidate(line: 2, email: try EmailAddress.parse(address).get(), fields: [:]), mailbox: index < 2 ? "sam" : "kim",
                    variants: ["intro": index % 2 == 0 ? "a" : "b"], initial: .active(nextStep: "intro", dueAt: at))
                return ((), true)
            }
            let step = try #require(try await database.dueSteps(now: at, limit: 1).first)
            guard case .recorded(let id) = try await database.recordIntent(step, key: SendKey(sendID: "q.intro.\(index)", messageID: "m\(index)@x"), bytes: [1], fence: lease.fence, now: at)
            else { throw StoreError.leaseLost }
            try await database.recordSent(id, sent: SentMessage(providerMessageID: "g\(index)", threadID: "t\(index)"), next: .finished, recipientDomain: "example.org", fence: lease.fence, now: at)
            if index % 2 == 1 {
                _ = try await database.applyIncoming(
                    IncomingMessage(
                        mailbox: "sam", providerMessageID: "r\(index)", providerThreadID: "t\(index)", from: address, references: [], incomingClass: .reply,
                        snippet: "yes", receivedAt: at.addingTimeInterval(7_200)), now: at.addingTimeInterval(7_200))
            }
        }
        return database
    }

    static func intro(_ rows: [CampaignStats.Row]) -> CampaignStats.Row? { rows.first { $0.stepID == "intro" && $0.variantID == nil } }

    @Test("by mailbox and by launch: each group's own enrolled, sends and replies, and the whole campaign above them")
    func groups() async throws {
        let database = try await Self.scene()
        let byMailbox = try await #require(try database.stats(StatsQuery(campaign: "q", slice: .mailbox), now: Self.lateMonday).first)
        #expect(byMailbox.slices.map(\.value) == ["kim", "sam"])
        #expect(byMailbox.slices.map { "\($0.value): \($0.enrolled) \(Self.intro($0.rows).map { "\($0.sent)/\($0.replied)" } ?? "")" } == ["kim: 2 2/1", "sam: 2 2/1"])
        #expect(Self.intro(byMailbox.rows).map { "\($0.enrolled) \($0.sent) \($0.replied)" } == "4 4 2")
        let byLaunch = try await #require(try database.stats(StatsQuery(campaign: "q", slice: .launch), now: Self.lateMonday).first)
        #expect(byLaunch.slices.count == 4)
        #expect(byLaunch.slices.allSatisfy { $0.enrolled == 1 && Self.intro($0.rows)?.sent == 1 })
    }

    @Test("by day and week, in the campaign's zone: 23:30 in New York is that day there, not UTC's next day; since/until keep those days' events")
    func series() async throws {
        let database = try await Self.scene()
        let days = try await #require(try database.stats(StatsQuery(campaign: "q", slice: .day), now: Self.lateMonday).first)
        #expect(
            days.series.map { "\($0.start) sent \($0.counts.sent) replied \($0.counts.replied) enrolled \($0.counts.enrolled)" } == [
                // p0 enrolled and sent at 04:30 UTC on 1 December: 23:30 on 30 November in New York.
                "2026-11-30 sent 1 replied 0 enrolled 1",
                "2026-12-01 sent 1 replied 0 enrolled 1",
                // p1's reply two hours after its send, at 01:30 in New York: the next day there.
                "2026-12-02 sent 0 replied 1 enrolled 0",
                "2026-12-07 sent 1 replied 0 enrolled 1",
                "2026-12-08 sent 1 replied 0 enrolled 1",
                "2026-12-09 sent 0 replied 1 enrolled 0",
            ])
        #expect(days.rows.isEmpty)
        let weeks = try await #require(try database.stats(StatsQuery(campaign: "q", slice: .week), now: Self.lateMonday).first)
        #expect(weeks.series.map { "\($0.start) \($0.counts.sent)" } == ["2026-11-30 2", "2026-12-07 2"])
        let second = try await #require(
            try database.stats(StatsQuery(campaign: "q", slice: .day, since: CalendarDate.parse("2026-12-02"), until: CalendarDate.parse("2026-12-07")), now: Self.lateMonday).first)
        #expect(second.series.map(\.start.description) == ["2026-12-02", "2026-12-07"])
    }

    @Test("since and until take the cohort first sent to in those days, with everything that came of them")
    func cohort() async throws {
        let database = try await Self.scene()
        let early = try await #require(
            try database.stats(StatsQuery(campaign: "q", since: CalendarDate.parse("2026-11-30"), until: CalendarDate.parse("2026-12-01")), now: Self.lateMonday).first)
        #expect(early.enrolled == 2)
        #expect(Self.intro(early.rows).map { "\($0.sent) \($0.replied) \($0.repliedEventually)" } == "2 1 1")
        #expect(early.rows.first { $0.variantID == "b" }.map { "\($0.enrolled) \($0.sent) \($0.replied) \($0.medianSecondsToReply ?? 0)" } == "1 1 1 7200.0")
        let late = try await #require(try database.stats(StatsQuery(campaign: "q", since: CalendarDate.parse("2026-12-07")), now: Self.lateMonday).first)
        #expect(late.enrolled == 2)
        let none = try await #require(try database.stats(StatsQuery(campaign: "q", until: CalendarDate.parse("2026-11-29")), now: Self.lateMonday).first)
        #expect(none.enrolled == 0 && Self.intro(none.rows)?.sent == 0)
    }

    @Test("a week starts on Monday; serial days round-trip with Foundation's calendar")
    func reportingDays() throws {
        #expect(ReportingDay.weekStart(of: CalendarDate(year: 2026, month: 12, day: 6)).description == "2026-11-30")  // a Sunday
        #expect(ReportingDay.weekStart(of: CalendarDate(year: 2026, month: 11, day: 30)).description == "2026-11-30")
        #expect(ReportingDay.weekStart(of: CalendarDate(year: 2027, month: 1, day: 1)).description == "2026-12-28")
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var random = SplitMix64(seed: 7)
        for _ in 0..<2_000 {
            let serial = Int(random.next() % 80_000) - 10_000
            let date = Date(timeIntervalSince1970: Double(serial) * 86_400 + 3_600)
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: date)
            let day = ReportingDay.calendarDate(serial: serial)
            #expect(day == CalendarDate(year: parts.year!, month: parts.month!, day: parts.day!))
            #expect(ReportingDay.serialDay(day) == serial)
            #expect(ReportingDay.day(of: date, in: calendar.timeZone) == day)
            let monday = ReportingDay.weekStart(of: day)
            #expect(calendar.dateComponents([.weekday], from: Date(timeIntervalSince1970: Double(ReportingDay.serialDay(monday)) * 86_400)).weekday == 2)
            #expect((0..<7).contains(serial - ReportingDay.serialDay(monday)))
        }
    }
}
