import CadenceCore
import Foundation

/// The text of a launch's `enrolled` and `fieldsUpdated` events, the same on both stores. A launch's rows share a
/// handful of due times, in runs, so the last one described is kept.
package struct EnrolmentDescription {
    private var last: (step: String, date: Date, text: String)?

    package init() {}

    package mutating func callAsFunction(_ state: EnrollmentState) -> String {
        switch state {
        case .active(let step, let due):
            if last?.date != due || last?.step != step { last = (step, due, "active: \(step) due \(Timestamps.display(due))") }
            return last!.text
        case .held(let step, let reason): return "held at \(step): \(reason.description)"
        default: return state.name
        }
    }
}
