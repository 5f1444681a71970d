import CadenceCore
import CadenceStore
import Foundation

/// `cadence update`: applies a changed campaign file to a launched campaign's steps not yet sent.
///
/// Each in-progress enrolment keeps its place by step id. If its step was removed, it moves to the first later
/// step (in the old order) that still exists, or finishes. Its fields are checked again against the new
/// templates, so an enrolment can become held (or no longer held). Nothing already sent changes.
public enum Updater {
    public struct Result: Sendable, Equatable {
        public var campaignID: String
        public var version: Int?
        public var differences: [String]
        public var changed: Int
    }

    public static func update(_ campaign: LoadedCampaign, database: any CadenceStore, actor: String, now: Date) async throws(StoreError) -> Result {
        let definition = campaign.definition
        guard let stored = try await database.storedCampaign(definition.id) else {
            throw .refused("\(definition.id) has not been launched; `cadence launch \(definition.id) --candidates CSV` starts it")
        }
        let files = CampaignSnapshot.files(of: campaign)
        let digest = CampaignSnapshot.digest(of: files)
        guard digest != stored.digest else {
            return Result(campaignID: definition.id, version: nil, differences: [], changed: 0)
        }
        let differences = CampaignSnapshot.differences(stored: stored, current: files)
        let oldOrder =
            stored.files.first { $0.kind == .campaign }
            .flatMap { SequenceDecoder.decode($0.content, file: $0.path).campaign?.definition.steps.map(\.id) } ?? []
        let composers = Dictionary(uniqueKeysWithValues: definition.mailboxes.compactMap { campaign.configuration.mailbox(named: $0) }.map { ($0.name, campaign.composer(for: $0)) })
        let composer = composers[definition.mailboxes[0]]!
        let result = try await database.update(
            .init(id: definition.id, name: definition.name, sourcePath: campaign.file, digest: digest, files: files), replacing: stored.version,
            actor: actor, now: now
        ) { enrollment in
            // Where does this enrolment stand in the new version?
            var stepID: String? = enrollment.stepID
            let stepRemoved = definition.step(withID: enrollment.stepID) == nil
            if stepRemoved {
                let later = oldOrder.drop { $0 != enrollment.stepID }.dropFirst()
                stepID = later.first { definition.step(withID: $0) != nil }
            }
            guard let stepID, definition.step(withID: stepID) != nil else {
                return (.finished, enrollment.variants)
            }
            let variants = composer.variants(for: enrollment.candidate)
            let fields = HeldStep.missingFields(from: stepID, composer.missingFields(for: enrollment.candidate), in: definition)
            if !stepRemoved {
                switch enrollment.status {
                case .held:
                    if fields.isEmpty {
                        // The data it lacked is no longer needed: due again, no sooner than its delay after the last step.
                        return (
                            HeldStep.state(
                                at: stepID, missing: [], in: definition, zone: enrollment.candidate.timeZone, lastStepAt: enrollment.lastStepAt, now: now),
                            variants
                        )
                    }
                    if fields == enrollment.heldFields { return nil }
                    return (.held(step: stepID, reason: .missingFields(fields)), variants)
                case .waitingOnTask:
                    return nil  // the task goes on; later steps are checked again when they are due
                case .active, .paused, .stopped, .finished:
                    // Active or paused at a step that still exists: keep its time; hold it if data is now missing.
                    return fields.isEmpty ? nil : (.held(step: stepID, reason: .missingFields(fields)), variants)
                }
            }
            if !fields.isEmpty { return (.held(step: stepID, reason: .missingFields(fields)), variants) }
            return (.active(nextStep: stepID, dueAt: now), variants)
        }
        return Result(campaignID: definition.id, version: result.version, differences: differences, changed: result.changed)
    }
}
