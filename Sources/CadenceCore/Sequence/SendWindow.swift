/// The local days and hours in which a campaign's emails may go out, applied in each candidate's own zone.
public struct SendWindow: Sendable, Hashable {
    public var days: [Weekday]
    /// Inclusive start.
    public var start: LocalTime
    /// Exclusive end; after `start` (windows do not cross midnight).
    public var end: LocalTime

    public init(days: [Weekday], start: LocalTime, end: LocalTime) {
        self.days = days
        self.start = start
        self.end = end
    }

    /// Weekdays, 09:00 to 17:00: office hours, when a cold email is most likely to be read.
    public static let officeHours = SendWindow(
        days: Weekday.businessDays, start: LocalTime(hour: 9, minute: 0), end: LocalTime(hour: 17, minute: 0))
}
