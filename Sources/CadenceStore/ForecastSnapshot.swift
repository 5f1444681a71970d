import CadenceCore
import Foundation
import GRDB

/// What a forecast starts from, read in one transaction: the people in progress, where they are and when, the
/// last day's sends (what the caps count), and who is left out because they are held or paused.
public struct ForecastSnapshot: Sendable {
    public var people: [Forecast.Person]
    public var pastSends: [Forecast.PastSend]
    /// Per campaign: people held (waiting for a fix) and paused by hand or with their campaign, not played forward.
    public var held: [String: Int]
    public var paused: [String: Int]
    public var campaigns: [String]

    package init(people: [Forecast.Person], pastSends: [Forecast.PastSend], held: [String: Int], paused: [String: Int], campaigns: [String]) {
        self.people = people
        self.pastSends = pastSends
        self.held = held
        self.paused = paused
        self.campaigns = campaigns
    }
}

extension CadenceDatabase {
    public func forecastSnapshot(now: Date) async throws(StoreError) -> ForecastSnapshot {
        try await read { db in try Self.forecastSnapshot(now: now, db) }
    }

    static func forecastSnapshot(now: Date, _ db: Database) throws -> ForecastSnapshot {
        var snapshot = ForecastSnapshot(
            people: [], pastSends: [], held: [:], paused: [:], campaigns: try String.fetchAll(db, sql: "SELECT id FROM campaign WHERE state <> 'stopped' ORDER BY id"))
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT e.campaignId, e.mailbox, e.state, e.stepId, e.dueAt, e.reason, c.address, c.timeZone FROM enrollment e
                JOIN candidate c ON c.id = e.candidateId WHERE e.state IN (?, ?, ?, ?) ORDER BY e.id
                """, arguments: StatementArguments(EnrollmentStatus.inProgress))
        while let row = try rows.next() {
            snapshot.add(
                campaign: row["campaignId"], mailbox: row["mailbox"], address: row["address"], zone: row["timeZone"],
                stored: StoredState(state: row["state"], stepId: row["stepId"], dueAt: row["dueAt"], reason: row["reason"], taskId: nil), now: now)
        }
        snapshot.pastSends = try Row.fetchAll(
            db, sql: "SELECT mailbox, campaignId, recipientDomain, sentAt FROM mailboxLedger WHERE sentAt > ? ORDER BY sentAt",
            arguments: [now.addingTimeInterval(-86_400)]
        ).map { Forecast.PastSend(mailbox: $0["mailbox"], campaign: $0["campaignId"], domain: $0["recipientDomain"], at: $0["sentAt"]) }
        return snapshot
    }
}

extension ForecastSnapshot {
    /// Places one person in progress: played forward from when they are next due, or counted as held or paused
    /// (by hand or with their campaign: nobody knows when they resume, so they are left out).
    package mutating func add(campaign: String, mailbox: String, address text: String, zone: String?, stored: StoredState, now: Date) {
        guard case .success(let address) = EmailAddress.parse(text), let step = stored.stepId else { return }
        let due: Date
        switch stored.state {
        case .active: due = stored.dueAt ?? now
        // A task waiting now is done at once, in the forecast.
        case .waitingOnTask: due = now
        case .paused:
            // Out of office: back on the day they gave, with the time they had left.
            guard let reason = stored.decodedReason, reason.kind == .outOfOffice, let until = reason.until else {
                paused[campaign, default: 0] += 1
                return
            }
            due = max(reason.previous?.dueAt ?? until, until, now)
        case .held:
            held[campaign, default: 0] += 1
            return
        case .stopped, .finished: return
        }
        people.append(Forecast.Person(campaign: campaign, mailbox: mailbox, step: step, due: max(due, now), zone: zone, address: address))
    }
}
