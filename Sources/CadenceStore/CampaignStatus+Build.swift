import CadenceCore
import Foundation

/// `cadence status` from the counts a store reads, the same on every store: each store groups a campaign's
/// enrolments by step, state and reason (ordered by those, bytewise) and its sends in doubt by step and reason, and
/// this turns them into the report.
extension CampaignStatus {
    /// Enrolments of one step, state and reason.
    package struct Group: Sendable {
        package var stepID: String?
        package var state: EnrollmentStatus
        package var reason: String?
        package var count: Int
        package var nextDue: Date?
        /// How many are due now.
        package var due: Int

        package init(stepID: String?, state: EnrollmentStatus, reason: String?, count: Int, nextDue: Date?, due: Int) {
            self.stepID = stepID
            self.state = state
            self.reason = reason
            self.count = count
            self.nextDue = nextDue
            self.due = due
        }
    }

    /// Sends in doubt of one step, for one reason.
    package struct Doubt: Sendable {
        package var stepID: String
        package var why: String
        package var count: Int

        package init(stepID: String, why: String, count: Int) {
            self.stepID = stepID
            self.why = why
            self.count = count
        }
    }

    /// The report; `order` is the campaign's steps, in its file's order (steps no longer in it come after).
    package static func build(id: String, name: String, version: Int, paused: Bool, order: [String], groups: [Group], doubts: [Doubt]) -> CampaignStatus {
        var steps = Dictionary(uniqueKeysWithValues: order.map { ($0, StepCounts(stepID: $0)) })
        var extra: [String] = []
        var stopped: [String: Int] = [:]
        var stoppedReasons: [ReasonCount] = []
        var finished = 0, total = 0
        func add(_ list: inout [ReasonCount], _ stored: StoredState, _ description: String, _ count: Int) {
            let reason = stored.decodedReason
            if let index = list.firstIndex(where: { $0.description == description }) {
                list[index].count += count
            } else {
                list.append(ReasonCount(kind: reason?.kind.rawValue ?? "", fields: reason?.fields, note: reason?.note, until: reason?.until, description: description, count: count))
            }
        }
        for group in groups {
            let count = group.count
            total += count
            let stored = StoredState(state: group.state, stepId: group.stepID, dueAt: group.nextDue, reason: group.reason, taskId: nil)
            guard let stepID = stored.stepId else {
                if stored.state == .finished {
                    finished += count
                } else if case .stopped(let reason) = stored.value {
                    stopped[reason.description, default: 0] += count
                    add(&stoppedReasons, stored, reason.description, count)
                }
                continue
            }
            if steps[stepID] == nil {
                steps[stepID] = .init(stepID: stepID)
                extra.append(stepID)
            }
            switch stored.value {
            case .active:
                steps[stepID]!.active += count
                if let reason = stored.decodedReason, reason.kind == .deferred, let note = reason.note {
                    steps[stepID]!.waiting[note, default: 0] += count
                }
                steps[stepID]!.due += group.due
                if let next = stored.dueAt { steps[stepID]!.nextDue = min(steps[stepID]!.nextDue ?? next, next) }
            case .waitingOnTask: steps[stepID]!.waitingOnTask += count
            case .held(_, let reason):
                steps[stepID]!.held[reason.description, default: 0] += count
                add(&steps[stepID]!.heldReasons, stored, reason.description, count)
            case .paused(_, let reason):
                steps[stepID]!.paused[reason.description, default: 0] += count
                add(&steps[stepID]!.pausedReasons, stored, reason.description, count)
            default: break
            }
        }
        for doubt in doubts {
            if steps[doubt.stepID] == nil {
                steps[doubt.stepID] = .init(stepID: doubt.stepID)
                extra.append(doubt.stepID)
            }
            steps[doubt.stepID]!.inDoubt[doubt.why, default: 0] += doubt.count
        }
        return CampaignStatus(
            id: id, name: name, version: version, paused: paused, steps: (order + extra).compactMap { steps[$0] }, stopped: stopped, stoppedReasons: stoppedReasons,
            finished: finished, total: total)
    }
}
