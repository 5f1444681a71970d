import CadenceCore
import GRDB

/// The `enrollment.state` column: which case of `EnrollmentState` a row holds. The schema's CHECK allows exactly
/// these values, so the column is bound and read as this type instead of as text spelt out at each query.
public enum EnrollmentStatus: String, Sendable, Codable, CaseIterable, DatabaseValueConvertible {
    case active, waitingOnTask, held, paused, stopped, finished

    /// In progress: the person may still be written to in this campaign.
    public static let inProgress: [EnrollmentStatus] = [.active, .waitingOnTask, .held, .paused]

    public init(_ state: EnrollmentState) {
        switch state {
        case .active: self = .active
        case .waitingOnTask: self = .waitingOnTask
        case .held: self = .held
        case .paused: self = .paused
        case .stopped: self = .stopped
        case .finished: self = .finished
        }
    }
}
