import CadenceCore
import Foundation

/// Replies counted by weekday and hour in each person's own zone (the campaign's when they have none), as both
/// stores count them.
package struct ReplyHeatmap {
    package private(set) var cells = Array(repeating: 0, count: 7 * 24)
    private let campaignZone: TimeZone
    private var calendars: [String: Calendar] = [:]

    package init(campaignZone: TimeZone) {
        self.campaignZone = campaignZone
    }

    package mutating func add(_ receivedAt: Date, zoneName: String?) {
        let zoneName = zoneName ?? ""
        let calendar =
            calendars[zoneName]
            ?? {
                var calendar = Calendar(identifier: .gregorian)
                calendar.timeZone = zoneName.isEmpty ? campaignZone : CadenceDatabase.zone(named: zoneName)
                calendars[zoneName] = calendar
                return calendar
            }()
        let parts = calendar.dateComponents([.weekday, .hour], from: receivedAt)
        // Gregorian weekday 1 is Sunday; Monday first.
        let day = ((parts.weekday ?? 1) + 5) % 7
        cells[day * 24 + (parts.hour ?? 0)] += 1
    }
}
