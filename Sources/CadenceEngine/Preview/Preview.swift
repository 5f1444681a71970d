import CadenceCore
import Foundation

/// `cadence preview`: renders a campaign for a candidates file exactly as it would be sent, and reports which
/// candidates cannot be rendered and why. Reads files; writes only to the output (and `--out`). Never sends.
public enum Preview {
    public enum Format: String, Sendable, CaseIterable {
        /// Subject and text body of each step, for a person to read.
        case text
        /// The complete messages as handed to the provider.
        case eml
    }

    public struct Options: Sendable {
        public var candidatesPath: String
        public var candidate: String?
        public var step: String?
        public var format: Format
        public var outFolder: String?
        public var date: Date
        public var mailbox: String?
        /// The tracking keys, when cadence.json has a `tracking` section: the preview then shows the signed links
        /// the send would carry (opening them records nothing, since no send has that record yet).
        public var tracking: TrackingKeys?

        public init(
            candidatesPath: String, candidate: String? = nil, step: String? = nil, format: Format = .text,
            outFolder: String? = nil, date: Date, mailbox: String? = nil, tracking: TrackingKeys? = nil
        ) {
            self.tracking = tracking
            self.candidatesPath = candidatesPath
            self.candidate = candidate
            self.step = step
            self.format = format
            self.outFolder = outFolder
            self.date = date
            self.mailbox = mailbox
        }
    }

    public enum Failure: Error, Equatable {
        /// Problems that stop the preview before any candidate is read.
        case problems([Diagnostic])
        case usage(String)
    }

    /// Renders every selected candidate and step into `output`; the coverage report is returned, not written.
    public static func run(_ campaign: LoadedCampaign, options: Options, output: BufferedOutput) throws(Failure) -> CoverageReport {
        let definition = campaign.definition
        if let step = options.step, definition.step(withID: step) == nil {
            let ids = definition.steps.map(\.id)
            throw .usage("campaign \"\(definition.id)\" has no step \"\(step)\" (steps: \(ids.joined(separator: ", ")))\(Suggestion.didYouMean(step, among: ids))")
        }
        let mailboxName = options.mailbox ?? definition.mailboxes[0]
        guard definition.mailboxes.contains(mailboxName), let mailbox = campaign.configuration.mailbox(named: mailboxName) else {
            throw .usage("campaign \"\(definition.id)\" does not send from mailbox \"\(mailboxName)\" (it uses \(definition.mailboxes.joined(separator: ", ")))")
        }
        let composer = campaign.composer(for: mailbox, tracking: options.tracking)
        let location = campaign.location
        let csvPath = ProjectLocation.absolute(options.candidatesPath, base: location.displayBase)
        let file = CandidateFile(path: csvPath, display: location.display(csvPath))
        var outFolder: String?
        if let folder = options.outFolder {
            let absolute = ProjectLocation.absolute(folder, base: location.displayBase)
            do {
                try FileManager.default.createDirectory(atPath: absolute, withIntermediateDirectories: true)
            } catch {
                throw .usage("cannot create the folder \(folder): \(error.localizedDescription)")
            }
            outFolder = absolute
        }
        let wanted = options.candidate.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        var report = CoverageReport(stepFilter: options.step)
        var found = false
        var otherRowProblems = 0
        // Lines by person, to catch the same person twice (their files would collide, and launch skips them).
        var seen: [String: Int] = [:]
        let required = Set(composer.templates.values.flatMap(\.requiredCandidateFields))
        do {
            try file.forEachRow(
                checkFirst: true,
                header: { columns in
                    for name in required.sorted() where !columns.names.contains(name) {
                        report.notes.append(
                            "note: \(file.display) has no column \"\(name)\"\(Suggestion.didYouMean(name, among: columns.names)); every candidate lacks candidate.\(name)")
                    }
                },
                { row in
                    switch row {
                    case .problems(let diagnostics):
                        // With --candidate, other rows' problems are not this preview's business.
                        if wanted == nil { report.rowProblems += diagnostics } else { otherRowProblems += 1 }
                    case .candidate(let candidate):
                        if let wanted, candidate.email.description.lowercased() != wanted { return }
                        found = true
                        let key = AddressKey.normalized(candidate.email)
                        if let first = seen[key] {
                            report.rowProblems.append(.error("\(candidate.email) is the same person as line \(first); launch skips this row", file: file.display, at: .line(candidate.line)))
                            return
                        }
                        seen[key] = candidate.line
                        let steps = composer.compose(candidate, date: options.date, only: options.step)
                        report.record(candidate, steps)
                        for step in steps {
                            try write(step, for: candidate, format: options.format, outFolder: outFolder, output: output)
                        }
                    }
                })
        } catch let error as CandidateFile.OpenError {
            guard case .problems(let diagnostics) = error else { throw .problems([]) }
            throw .problems(diagnostics)
        } catch let error as Failure {
            throw error
        } catch {
            throw .usage("cannot write the preview: \(error.localizedDescription)")
        }
        if let wanted, !found {
            let unread = otherRowProblems == 0 ? "" : " (\(otherRowProblems) row\(otherRowProblems == 1 ? "" : "s") could not be read; run without --candidate to see why)"
            throw .usage("no candidate with the address \(wanted) in \(file.display)\(unread)")
        }
        output.flush()
        report.filesWritten = outFolder.map { (location.display($0), report.messages) }
        return report
    }

    private static func write(_ composed: ComposedStep, for candidate: Candidate, format: Format, outFolder: String?, output: BufferedOutput) throws {
        let step = composed.step
        if let outFolder {
            guard case .email(let message) = composed.outcome else { return }
            // Only characters that are safe in any file system; the address key makes duplicates collide on purpose.
            let safe = AddressKey.normalized(candidate.email).unicodeScalars.map {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "@.-_+".unicodeScalars.contains($0)) ? String($0) : "_"
            }.joined()
            let url = URL(fileURLWithPath: outFolder + "/" + "\(safe).\(step.id).eml")
            try Data(MIMEWriter.write(message)).write(to: url, options: .withoutOverwriting)
            return
        }
        switch format {
        case .eml:
            if case .email(let message) = composed.outcome { output.write(MIMEWriter.write(message)) }
        case .text:
            var title = "\(step.kind.typeName)"
            if let variant = composed.variantID { title += ", variant \(variant)" }
            let banner = "── \(candidate.email) · \(step.id) (\(title))"
            switch composed.outcome {
            case .email(let message):
                output.write("\(banner) ──\nSubject: \(message.subject)\n\n\(message.text)\n")
            case .held(let missing):
                output.write("\(banner) ── held: no value for \(missing.joined(separator: ", "))\n\n")
            case .task(let task):
                output.write("\(banner) ──\n\(task.title)\n\(task.instructions)\n\n")
            }
        }
    }
}
