import CadenceCore

/// Which candidates render every step, and for the rest, which fields are missing on which steps.
public struct CoverageReport: Sendable {
    public struct Gap: Sendable, Hashable {
        public var field: String
        public var stepID: String
        public var variantID: String?
    }

    public let stepFilter: String?
    public private(set) var candidates = 0
    public private(set) var complete = 0
    public private(set) var messages = 0
    /// Candidates lacking each field on each step (and variant), in first-seen order.
    public private(set) var gaps: [(gap: Gap, count: Int)] = []
    public var rowProblems: [Diagnostic] = []
    /// Things worth knowing that are not row problems (a template field with no column).
    public var notes: [String] = []
    /// Where `--out` wrote and how many files.
    public var filesWritten: (folder: String, count: Int)?

    init(stepFilter: String?) {
        self.stepFilter = stepFilter
    }

    mutating func record(_ candidate: Candidate, _ steps: [ComposedStep]) {
        candidates += 1
        var held = false
        for step in steps {
            switch step.outcome {
            case .email: messages += 1
            case .task: break
            case .held(let missing):
                held = true
                for field in missing {
                    let gap = Gap(field: field, stepID: step.step.id, variantID: step.variantID)
                    if let index = gaps.firstIndex(where: { $0.gap == gap }) {
                        gaps[index].count += 1
                    } else {
                        gaps.append((gap, 1))
                    }
                }
            }
        }
        if !held { complete += 1 }
    }

    /// Missing data or unusable rows: the preview exits non-zero so CI and scripts notice.
    public var hasProblems: Bool { complete < candidates || !rowProblems.isEmpty }

    public var text: String {
        var lines = notes + rowProblems.map(\.description)
        if !rowProblems.isEmpty {
            lines.append("\(rowProblems.count) row problem\(rowProblems.count == 1 ? "" : "s"); those rows were skipped.")
        }
        let scope = stepFilter.map { "step \($0)" } ?? "every step"
        lines.append("Coverage: \(complete) of \(candidates) candidate\(candidates == 1 ? "" : "s") \(complete == 1 ? "renders" : "render") \(scope) (\(messages) email\(messages == 1 ? "" : "s")).")
        for (gap, count) in gaps {
            let variant = gap.variantID.map { ", variant \($0)" } ?? ""
            lines.append("  \(count) of \(candidates) candidate\(candidates == 1 ? "" : "s") \(count == 1 ? "lacks" : "lack") \(gap.field) (step \(gap.stepID)\(variant))")
        }
        if let (folder, count) = filesWritten {
            lines.append("Wrote \(count) .eml file\(count == 1 ? "" : "s") to \(folder)/.")
        }
        return lines.joined(separator: "\n")
    }
}
