import GRDB

/// The `sendRecord.state` column: where one send stands in the exactly-once protocol.
public enum SendRecordState: String, Sendable, Codable, CaseIterable, DatabaseValueConvertible {
    /// Recorded with its bytes before the provider was called; the outcome is not known yet.
    case intent
    /// The provider was called and may or may not have the message: reconciled before any retry.
    case unknown
    /// The provider has it.
    case sent
    /// Refused for good, or abandoned because the enrolment moved on: not sent.
    case failed

    /// Recorded, not known to be done: what reconciliation asks the provider about.
    public static let inDoubt: [SendRecordState] = [.intent, .unknown]
}
