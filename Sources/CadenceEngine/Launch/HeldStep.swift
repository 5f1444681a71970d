import CadenceCore
import Foundation

/// Where someone stands at a step they were held at for missing data, once their data is checked again. Launch
/// (a corrected row) and update (a changed template) both ask this.
enum HeldStep {
    /// The fields with no value for `step` or any step after it: those before it have been sent already.
    static func missingFields(from step: String, _ missing: [(stepID: String, variantID: String?, fields: [String])], in definition: SequenceDefinition) -> [String] {
        guard let index = definition.steps.firstIndex(where: { $0.id == step }) else { return [] }
        var fields: [String] = []
        for gap in missing {
            guard let gapIndex = definition.steps.firstIndex(where: { $0.id == gap.stepID }), gapIndex >= index else { continue }
            for field in gap.fields where !fields.contains(field) { fields.append(field) }
        }
        return fields
    }

    /// Held still, naming what is missing from `step` on; or due again, no sooner than `step`'s delay after the
    /// last step was sent or done, so a late fix never shortens the wait the sequence promised.
    static func state(
        at step: String, missing: [(stepID: String, variantID: String?, fields: [String])], in definition: SequenceDefinition, zone: String?,
        lastStepAt: Date?, now: Date
    ) -> EnrollmentState {
        let fields = missingFields(from: step, missing, in: definition)
        if !fields.isEmpty { return .held(step: step, reason: .missingFields(fields)) }
        guard let lastStepAt, let index = definition.steps.firstIndex(where: { $0.id == step }), index > 0,
            case .active(step, let due) = NextStep.after(definition.steps[index - 1].id, in: definition, candidateZone: zone, at: lastStepAt)
        else { return .active(nextStep: step, dueAt: now) }
        return .active(nextStep: step, dueAt: max(due, now))
    }
}
