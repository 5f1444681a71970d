import CadenceCore
import CadenceStore
import Foundation

/// What a launch did (or, in a dry run, would do): enrolled, held by reason, skipped by reason with lines.
public struct LaunchReport: Sendable, Equatable {
    public struct Skip: Sendable, Equatable {
        public var line: Int
        public var address: String
        public var reason: SkipReason

        public init(line: Int, address: String, reason: SkipReason) {
            self.line = line
            self.address = address
            self.reason = reason
        }
    }

    public struct Gap: Sendable, Hashable {
        public var field: String
        public var stepID: String
        public var variantID: String?
    }

    public let campaignID: String
    public let file: String
    public let dryRun: Bool
    public let version: Int
    /// Newly enrolled and ready to go.
    public private(set) var enrolledActive = 0
    /// Held for missing data: new enrolments and earlier held ones still lacking data.
    public private(set) var held = 0
    public private(set) var updated = 0
    public private(set) var skipped: [Skip] = []
    public private(set) var gaps: [Gap: Int] = [:]
    private var gapOrder: [Gap] = []
    /// Held candidates per missing field, each counted once however many steps need the field.
    private var candidatesLacking: [String: Int] = [:]
    public private(set) var firstDue: Date?
    public private(set) var lastDue: Date?
    /// The first `listedRowProblems` problems; the rest are only counted, so a wrong file (a million rows with the
    /// wrong column first, say) neither floods the terminal nor fills memory.
    public private(set) var rowProblems: [Diagnostic] = []
    public private(set) var rowProblemsNotListed = 0
    /// Rows with at least one problem.
    public private(set) var problemRows = 0
    public static let listedRowProblems = 100

    mutating func add(rowProblems diagnostics: [Diagnostic]) {
        problemRows += 1
        let room = max(0, Self.listedRowProblems - rowProblems.count)
        rowProblems += diagnostics.prefix(room)
        rowProblemsNotListed += max(0, diagnostics.count - room)
    }

    init(campaignID: String, file: String, dryRun: Bool, version: Int) {
        self.campaignID = campaignID
        self.file = file
        self.dryRun = dryRun
        self.version = version
    }

    mutating func record(_ outcome: EnrollOutcome, candidate: Candidate, missing: [(stepID: String, variantID: String?, fields: [String])]) {
        switch outcome {
        case .skipped(let reason):
            skipped.append(Skip(line: candidate.line, address: candidate.email.description, reason: reason))
        case .enrolled(let state), .updated(let state):
            if case .updated = outcome { updated += 1 }
            switch state {
            case .active(_, let due):
                if case .enrolled = outcome { enrolledActive += 1 }
                firstDue = min(firstDue ?? due, due)
                lastDue = max(lastDue ?? due, due)
            case .held:
                held += 1
                var fields: [String] = []
                for gap in missing {
                    for field in gap.fields {
                        let key = Gap(field: field, stepID: gap.stepID, variantID: gap.variantID)
                        if gaps[key] == nil { gapOrder.append(key) }
                        gaps[key, default: 0] += 1
                        if !fields.contains(field) { fields.append(field) }
                    }
                }
                for field in fields { candidatesLacking[field, default: 0] += 1 }
            default: break
            }
        }
    }

    /// Lines listed one by one before the rest are counted.
    static let listedSkips = 50

    public var text: String {
        var lines: [String] = []
        if !rowProblems.isEmpty {
            lines += rowProblems.map(\.description)
            if rowProblemsNotListed > 0 { lines.append("… and \(rowProblemsNotListed) more problem\(rowProblemsNotListed == 1 ? "" : "s"), not listed") }
            lines.append("\(problemRows) row\(problemRows == 1 ? "" : "s") cannot be read; nothing was launched. Fix the file and launch again.")
            return lines.joined(separator: "\n")
        }
        let verb = dryRun || refused ? "Would launch" : "Launched"
        lines.append("\(verb) \(campaignID) (version \(version)) from \(file):")
        var enrolledLine = "  \(enrolledActive) enrolled"
        if let firstDue {
            enrolledLine += ", first step due \(Timestamps.display(firstDue))"
            if let lastDue, lastDue != firstDue { enrolledLine += ", the last starts \(Timestamps.display(lastDue))" }
        }
        lines.append(enrolledLine)
        if updated > 0 { lines.append("  \(updated) held from an earlier launch checked again with this file's fields") }
        lines.append("  \(held) held" + (held > 0 ? " (nothing is sent to them until their data is fixed):" : ""))
        // One line per field, with every step that needs it: a person lacking a company is one person, not three.
        var fields: [String] = []
        for gap in gapOrder where !fields.contains(gap.field) { fields.append(gap.field) }
        for field in fields {
            let steps = gapOrder.filter { $0.field == field }
            let count = candidatesLacking[field] ?? 0
            let needed =
                steps.count == 1
                ? "step \(steps[0].stepID)" + (steps[0].variantID.map { ", variant \($0)" } ?? "")
                : "steps " + steps.map { $0.stepID + ($0.variantID.map { " variant \($0)" } ?? "") }.joined(separator: ", ")
            lines.append("    \(count) \(count == 1 ? "lacks" : "lack") \(field) (\(needed))")
        }
        lines.append("  \(skipped.count) skipped" + (skipped.isEmpty ? "" : ":"))
        for skip in skipped.prefix(Self.listedSkips) {
            lines.append("    \(file):\(skip.line) \(skip.address): \(skip.reason.description)")
        }
        if skipped.count > Self.listedSkips {
            var counts: [String: Int] = [:]
            for skip in skipped.dropFirst(Self.listedSkips) { counts[skip.reason.category, default: 0] += 1 }
            lines.append("    … and \(skipped.count - Self.listedSkips) more: " + counts.sorted { $0.key < $1.key }.map { "\($1) \($0)" }.joined(separator: ", ") + " (--format json lists them all)")
        }
        if dryRun { lines.append("Dry run: nothing was written. Run the same command without --dry-run to launch.") }
        return lines.joined(separator: "\n")
    }

    /// Set when the launch did not happen (refused, or rows that cannot be read).
    var refused = false

    public var json: String {
        struct Document: Encodable {
            struct Skip: Encodable { var line: Int; var address: String; var reason: String }
            struct Gap: Encodable { var field: String; var step: String; var variant: String?; var candidates: Int }
            var campaign: String
            var version: Int
            var file: String
            var dryRun: Bool
            /// Whether anything was written: false for dry runs and for launches stopped by bad rows.
            var launched: Bool
            var enrolled: Int
            var held: Int
            var updated: Int
            var firstDue: String?
            var lastDue: String?
            var gaps: [Gap]
            var skipped: [Skip]
            var rowProblems: [String]
            var rowProblemsNotListed: Int
        }
        let document = Document(
            campaign: campaignID, version: version, file: file, dryRun: dryRun, launched: !dryRun && !refused && rowProblems.isEmpty,
            enrolled: enrolledActive, held: held, updated: updated,
            firstDue: firstDue.map(Timestamps.iso), lastDue: lastDue.map(Timestamps.iso),
            gaps: gapOrder.map { .init(field: $0.field, step: $0.stepID, variant: $0.variantID, candidates: gaps[$0]!) },
            skipped: skipped.map { .init(line: $0.line, address: $0.address, reason: $0.reason.description) },
            rowProblems: rowProblems.map(\.description), rowProblemsNotListed: rowProblemsNotListed)
        return JSONOutput.encode(document)
    }
}

/// Stable, readable JSON for `--format json`.
enum JSONOutput {
    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
