import CadenceCore
import Foundation
import Testing

@Suite("Send admission: every shared limit, one pure rule")
struct SendAdmissionTests {
    static let now = Date(timeIntervalSince1970: 1_796_119_200)
    static let mailbox = Mailbox(
        name: "sam", address: try! EmailAddress.parse("sam@example.com").get(), displayName: "Sam", signature: "", timeZone: "UTC", provider: .outbox(folder: "outbox/sam"),
        limits: MailboxLimits(dailyCap: 5, hourlyCap: 3, minimumGapSeconds: 90))
    static let campaign = SequenceDefinition(
        id: "q1", name: "Q1", mailboxes: ["sam"], timeZone: "UTC", limits: CampaignLimits(dailyCap: 4, perDomainDailyCap: 2), steps: [])

    static func ago(_ seconds: Double...) -> [Date] { seconds.map { now.addingTimeInterval(-$0) } }

    func check(_ ledger: SendAdmission.Ledger, domain: String = "acme.com", sendID: String = "q1.intro.a", seed: UInt64 = 1) -> SendAdmission.Wait? {
        SendAdmission.check(mailbox: Self.mailbox, campaign: Self.campaign, domain: domain, ledger: ledger, now: Self.now, seed: seed, sendID: sendID)
    }

    @Test("an empty ledger admits the send")
    func empty() { #expect(check(.init(mailbox: [])) == nil) }

    @Test("each cap names itself and waits until its oldest counted send leaves the window; the latest wait wins")
    func caps() {
        #expect(check(.init(mailbox: Self.ago(7_200, 5_000, 4_000))) == nil)
        let hourly = check(.init(mailbox: Self.ago(3_000, 2_000, 1_000)))
        #expect(hourly == SendAdmission.Wait(until: Self.now.addingTimeInterval(600), reason: "mailbox sam reached its hourly cap (3)"))
        let daily = check(.init(mailbox: Self.ago(80_000, 70_000, 60_000, 50_000, 40_000)))
        #expect(daily == SendAdmission.Wait(until: Self.now.addingTimeInterval(6_400), reason: "mailbox sam reached its daily cap (5)"))
        let campaign = check(.init(mailbox: [], campaign: Self.ago(9_000, 8_000, 7_000, 6_000)))
        #expect(campaign?.reason == "campaign daily cap (4)")
        #expect(check(.init(mailbox: [], domain: Self.ago(9_000, 8_000)))?.reason == "daily cap for acme.com (2)")
        #expect(check(.init(mailbox: [], domain: Self.ago(9_000, 8_000)), domain: "gmail.com") == nil, "free-mail domains are exempt")
    }

    @Test("the minimum gap waits 90 s plus up to a third more, the same for the same send and seed whatever came before")
    func gapJitter() {
        let ledger = SendAdmission.Ledger(mailbox: Self.ago(10))
        var seen = Set<Date>()
        for index in 0..<200 {
            let wait = check(ledger, sendID: "q1.intro.\(index)")
            let until = try! #require(wait?.until)
            #expect(until >= Self.now.addingTimeInterval(80) && until < Self.now.addingTimeInterval(110))
            #expect(check(ledger, sendID: "q1.intro.\(index)") == wait, "reproducible")
            seen.insert(until)
        }
        #expect(seen.count > 150, "different sends get different jitter")
        #expect(check(ledger, seed: 1) != check(ledger, seed: 2))
        #expect(check(.init(mailbox: Self.ago(100))) == nil, "the gap has passed")
    }
}
