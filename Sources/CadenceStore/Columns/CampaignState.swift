import GRDB

/// The `campaign.state` column. (`CampaignStatus` is the report `cadence status` prints.)
public enum CampaignState: String, Sendable, Codable, CaseIterable, DatabaseValueConvertible {
    case active
    /// New launches start paused, and its enrolments resume with it.
    case paused
    /// Takes no new candidates and cannot be resumed.
    case stopped
}
