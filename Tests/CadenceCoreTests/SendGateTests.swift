import CadenceCore
import Foundation
import Testing

@Suite("Send gate: the rules between a due step and its send, in the runner's order")
struct SendGateTests {
    /// Tuesday 2026-12-01 10:00 UTC.
    static let tuesday = Date(timeIntervalSince1970: 1_796_119_200)

    static func conditions(
        window: SendWindow = .officeHours, holidays: [CalendarDate] = [], problem: String? = nil, pause: (until: Date, reason: String)? = nil,
        ledger: SendAdmission.Ledger = .init(mailbox: [])
    ) -> SendGate.Conditions {
        let campaign = SequenceDefinition(id: "q1", name: "Q1", mailboxes: ["sam"], timeZone: "UTC", sendWindow: window, holidays: holidays, steps: [])
        return SendGate.Conditions(
            campaign: campaign, candidateZone: nil, mailbox: SendAdmissionTests.mailbox, mailboxProblem: problem, mailboxPause: pause, ledger: ledger,
            domain: "acme.com", sendID: "q1.intro.a", seed: 1)
    }

    @Test("nothing in the way: every rule says ok and the step goes now")
    func open() {
        let checks = SendGate.checks(Self.conditions(), now: Self.tuesday)
        #expect(checks.map(\.rule) == [.authorisation, .mailboxPause, .sendWindow, .limits])
        #expect(checks.allSatisfy { $0.holdsUntil == nil })
        #expect(SendGate.decide(Self.conditions(), now: Self.tuesday) == nil)
        #expect(SendGate.earliest(Self.conditions(), from: Self.tuesday)?.at == Self.tuesday)
    }

    @Test("the first rule that holds decides, in order: authorisation, pause, window, limits")
    func order() {
        let night = Self.tuesday.addingTimeInterval(12 * 3_600)  // 22:00, window closed
        let full = SendAdmission.Ledger(mailbox: (1...5).map { night.addingTimeInterval(-Double($0) * 600) })
        let all = Self.conditions(problem: "not authorised", pause: (night.addingTimeInterval(3_600), "Gmail said so"), ledger: full)
        #expect(SendGate.decide(all, now: night)?.rule == .authorisation)
        #expect(SendGate.decide(all, now: night)?.reason == "mailbox sam: not authorised")
        var paused = all
        paused.mailboxProblem = nil
        // The pause lifts at 23:00; the window opens Tuesday 09:00, so that is when the step is looked at again.
        #expect(SendGate.decide(paused, now: night)?.rule == .mailboxPause)
        #expect(SendGate.decide(paused, now: night)?.holdsUntil == Self.tuesday.addingTimeInterval(23 * 3_600))
        var closed = paused
        closed.mailboxPause = nil
        #expect(SendGate.decide(closed, now: night).map { "\($0.rule.rawValue): \($0.reason)" } == "send window: outside the send window")
        let morning = Self.tuesday.addingTimeInterval(-3_600 + 2 * 3_600)  // 11:00
        var capped = closed
        capped.ledger = SendAdmission.Ledger(mailbox: (1...5).map { morning.addingTimeInterval(-Double($0) * 60) })
        let hold = SendGate.decide(capped, now: morning)
        #expect(hold?.rule == .limits)
        // Five in the last five minutes: both caps are full; the later of their lifts wins.
        #expect(hold?.reason == "mailbox sam reached its daily cap (5)")
    }

    @Test("a window that never opens within the horizon holds the step a day at a time rather than letting it go")
    func neverOpens() {
        let everyDay = (0..<(SendSchedule.horizonDays + 2)).map { ReportingDay.calendarDate(serial: ReportingDay.serialDay(CalendarDate(year: 2026, month: 11, day: 30)) + $0) }
        let blocked = Self.conditions(holidays: everyDay)
        let hold = SendGate.decide(blocked, now: Self.tuesday)
        #expect(hold?.rule == .sendWindow)
        #expect(hold?.holdsUntil == Self.tuesday.addingTimeInterval(86_400))
        #expect(SendGate.earliest(blocked, from: Self.tuesday) == nil)
    }

    @Test("earliest follows the runner's postponements: a cap that lifts at night moves the step to the next morning")
    func earliestFollowsPostponements() {
        let late = Self.tuesday.addingTimeInterval(6 * 3_600 + 55 * 60)  // 16:55
        let ledger = SendAdmission.Ledger(mailbox: [late.addingTimeInterval(-3_000), late.addingTimeInterval(-2_000), late.addingTimeInterval(-1_000)])
        let result = SendGate.earliest(Self.conditions(ledger: ledger), from: late)
        // The hourly cap lifts at 17:05, after the window closed: the limit postpones it to Wednesday 09:00.
        #expect(result?.postponements.map(\.rule) == [.limits])
        #expect(result?.at == Self.tuesday.addingTimeInterval(23 * 3_600))
    }

    @Test("earliest counts only the last 24 hours at each time it looks (fails on 99d72f3: a full daily cap never emptied, so explain said not within a year)")
    func earliestWithAFullDailyCap() {
        // Five sends (the cap) in the morning two to six hours ago: the cap lifts 24 hours after the oldest.
        let ledger = SendAdmission.Ledger(mailbox: (2...6).reversed().map { Self.tuesday.addingTimeInterval(-Double($0) * 3_600) })
        let result = SendGate.earliest(Self.conditions(ledger: ledger), from: Self.tuesday)
        // The cap lifts Wednesday 04:00, before the window opens: Wednesday 09:00.
        #expect(result?.at == Self.tuesday.addingTimeInterval(23 * 3_600), "\(String(describing: result))")
    }
}
