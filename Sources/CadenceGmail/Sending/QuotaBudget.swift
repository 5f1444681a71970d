import CadenceCore
import Foundation

/// Paces one mailbox to Gmail's per-user quota in units (100 a send, 5 a read…): a call waits, through the
/// injected sleeper, until the rolling minute and second have room, so Cadence does not provoke 429s.
///
/// It keeps its own timeline (`cursor`) as well as reading the clock: after waiting it knows that much time has
/// passed even when the clock is fixed (a simulation, `CADENCE_NOW`), so it can never wait forever.
public actor QuotaBudget {
    let perMinute: Int?
    let perSecond: Int?
    let clock: any WallClock
    let sleeper: any Sleeper
    private var charges: [(at: Date, units: Int)] = []
    private var cursor = Date.distantPast
    /// Seconds spent waiting for room: what the quota benchmark reports.
    public private(set) var waited: Double = 0
    public private(set) var spent = 0

    public init(perMinute: Int?, perSecond: Int?, clock: any WallClock, sleeper: any Sleeper) {
        self.perMinute = perMinute
        self.perSecond = perSecond
        self.clock = clock
        self.sleeper = sleeper
    }

    /// Waits until `units` fit, then records them. A wait that would leave no time for the attempt (`attemptSeconds`)
    /// before the call's deadline, or a cancelled task, gives up instead: nothing is recorded.
    public func reserve(_ units: Int, attemptSeconds: Double = 0) async throws(DeadlineReached) {
        while true {
            let now = max(clock.now, cursor)
            charges.removeAll { now.timeIntervalSince($0.at) >= 60 }
            var wait = 0.0
            if let perMinute {
                var total = charges.reduce(0) { $0 + $1.units } + units
                for charge in charges where total > perMinute {
                    total -= charge.units
                    wait = max(wait, charge.at.addingTimeInterval(60).timeIntervalSince(now))
                }
            }
            if let perSecond {
                let recent = charges.filter { now.timeIntervalSince($0.at) < 1 }
                var total = recent.reduce(0) { $0 + $1.units } + units
                for charge in recent where total > perSecond {
                    total -= charge.units
                    wait = max(wait, charge.at.addingTimeInterval(1).timeIntervalSince(now))
                }
            }
            if wait <= 0 {
                charges.append((now, units))
                cursor = now
                spent += units
                return
            }
            guard CallDeadline.allows(wait + attemptSeconds, at: now) else { throw DeadlineReached(waiting: "\(Int(wait.rounded(.up))) s for Gmail's quota") }
            waited += wait
            do { try await sleeper.sleep(seconds: wait) } catch { throw DeadlineReached(waiting: "Gmail's quota, cancelled") }
            cursor = now.addingTimeInterval(wait)
        }
    }
}
