import Foundation

/// The one rule for where an enrolment goes once one of its steps has happened (an email sent, a task done):
/// the next step, due its delay after that moment and then at the first opening of the send window in the
/// candidate's own zone (holidays and blackouts skipped), or finished after the last step.
///
/// The runner after a send, reconciliation after a confirmed send, the store after a task, simulations and
/// `explain` all ask this, so a step is never due at one time in `status` and sent at another.
public enum NextStep {
    public static func after(_ stepID: String, in campaign: SequenceDefinition, candidateZone: String?, at time: Date) -> EnrollmentState {
        after(stepID, in: campaign, schedule: SendSchedule(campaign: campaign, candidateZone: candidateZone), at: time)
    }

    /// The same, with the candidate's schedule already made (the forecast keeps one per campaign and zone).
    public static func after(_ stepID: String, in campaign: SequenceDefinition, schedule: SendSchedule, at time: Date) -> EnrollmentState {
        guard let index = campaign.steps.firstIndex(where: { $0.id == stepID }), index + 1 < campaign.steps.count else { return .finished }
        let next = campaign.steps[index + 1]
        // A window that never opens within the horizon (every day a holiday): the delay alone, holidays still
        // skipped; the runner then holds the step back with the reason.
        let due =
            schedule.earliestEligible(after: time, delay: next.delay)
            ?? next.delay.earliest(after: time, timeZone: schedule.zone, holidays: Array(schedule.holidays))
        return .active(nextStep: next.id, dueAt: due)
    }
}
