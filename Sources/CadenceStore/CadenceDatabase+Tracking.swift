import CadenceCore
import Foundation
import GRDB

/// A send as a tracking link finds it: enough to record against it and to know whom it went to.
public struct TrackedSend: Sendable, Equatable {
    public var recordID: Int64
    public var enrollmentID: Int64?
    public var campaignID: String
    public var stepID: String
    /// Whether the provider has it, may have it, or refused it.
    public var state: SendRecordState
    public var sentAt: Date?
}

extension CadenceDatabase {
    /// The send a token names, or nil (a preview's token, or a send since erased).
    public func trackedSend(trackingID: String) async throws(StoreError) -> TrackedSend? {
        try await read { db in
            try Row.fetchOne(
                db, sql: "SELECT id, enrollmentId, campaignId, stepId, state, sentAt FROM sendRecord WHERE trackingId = ? ORDER BY id LIMIT 1",
                arguments: [trackingID]
            ).map { TrackedSend(recordID: $0["id"], enrollmentID: $0["enrollmentId"], campaignID: $0["campaignId"], stepID: $0["stepId"], state: $0["state"], sentAt: $0["sentAt"]) }
        }
    }

    /// Where link `link` of the send `trackingID` goes, as the campaign wrote it; nil when the send has no such link.
    public func linkTarget(trackingID: String, link: Int) async throws(StoreError) -> String? {
        try await read { db in
            try String.fetchOne(
                db,
                sql: "SELECT l.url FROM trackedLink l JOIN sendRecord s ON s.id = l.sendRecordId WHERE s.trackingId = ? AND l.link = ? ORDER BY s.id LIMIT 1",
                arguments: [trackingID, link])
        }
    }
}
