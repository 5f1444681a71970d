import Foundation
import Testing

extension ProcessTests {
    @Suite("cadence preview, as a process")
    struct PreviewCommandTests {
        @Test(
            "both bundled campaigns render for the example candidates as text and as eml, reporting the row that lacks data",
            arguments: [
                (
                    "backend-engineers", 12,
                    "  1 of 5 candidates lacks candidate.company (step intro)\n  1 of 5 candidates lacks candidate.company (step follow-up)\n  1 of 5 candidates lacks candidate.company (step last-note)"
                ),
                (
                    "ops-leaders-q1", 12,
                    "  1 of 5 candidates lacks candidate.company (step opener, variant b)\n  1 of 5 candidates lacks candidate.company (step bump)\n  1 of 5 candidates lacks candidate.company (step breakup)"
                ),
            ])
        func bundled(campaign: String, emails: Int, gap: String) throws {
            let text = try CadenceBinary.run(["preview", campaign, "--candidates", "examples/candidates.csv"])
            #expect(text.status == 65)
            #expect(text.stdout.contains("Coverage: 4 of 5 candidates render every step (\(emails) emails).\n\(gap)\n"))
            #expect(!text.stdout.contains("Hi ,"))
            let eml = try CadenceBinary.run(["preview", campaign, "--candidates", "examples/candidates.csv", "--format", "eml", "--at", "2026-12-01T09:00:00Z"])
            #expect(eml.status == 65)
            #expect(eml.stdout.components(separatedBy: "\r\nMIME-Version: 1.0\r\n").count - 1 == emails)
            #expect(eml.stdout.contains("Date: Tue, 1 Dec 2026 09:00:00 +0000\r\n"))
            #expect(eml.stderr.hasPrefix("Coverage: 4 of 5 candidates render every step"))
            // The same inputs give the same bytes.
            let again = try CadenceBinary.run(["preview", campaign, "--candidates", "examples/candidates.csv", "--format", "eml", "--at", "2026-12-01T09:00:00Z"])
            #expect(again.stdout == eml.stdout)
        }

        @Test("a campaign with errors renders nothing and shows them")
        func invalidCampaign() throws {
            let output = try CadenceBinary.run(["preview", "examples/mistakes/sequences/typos.json", "--config", "examples/mistakes/cadence.json", "--candidates", "examples/candidates.csv"])
            #expect(output.status == 65)
            #expect(output.stdout.hasPrefix("examples/mistakes/sequences/typos.json:4:24: error: unknown mailbox \"jordan\""))
            #expect(!output.stdout.contains("──"))
        }

        @Test("usage mistakes exit 64 and say what to do")
        func usage() throws {
            let unknown = try CadenceBinary.run(["preview", "backend", "--candidates", "examples/candidates.csv"])
            #expect(unknown.status == 64)
            #expect(unknown.stderr.contains("no campaign with id \"backend\" in sequences (campaigns: backend-engineers, ops-leaders-q1)"))
            let badTime = try CadenceBinary.run(["preview", "backend-engineers", "--candidates", "examples/candidates.csv", "--at", "tomorrow"])
            #expect(badTime.status == 64)
            #expect(badTime.stderr.contains("--at \"tomorrow\" is not a time; write ISO 8601 with a zone"))
            let noFile = try CadenceBinary.run(["preview", "backend-engineers", "--candidates", "nope.csv"])
            #expect(noFile.status == 65)
            #expect(noFile.stdout == "nope.csv: error: cannot read the candidates file; check the path\n")
        }
    }
}
