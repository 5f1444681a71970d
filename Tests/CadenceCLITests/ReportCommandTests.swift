import Foundation
import Testing

extension ProcessTests {
    /// `cadence report` as a person runs it, and the page rendered by headless Chromium.
    @Suite("cadence report")
    struct ReportCommandTests {
        static func scratch() throws -> URL {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-report-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            return folder
        }

        /// Chromium is needed for the render test. Under `.ci/run` (which installs it and sets
        /// CADENCE_REQUIRE_CHROMIUM) the test runs even without it, and fails; a plain `swift test` skips it.
        static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        static let chromiumRequired = ProcessInfo.processInfo.environment["CADENCE_REQUIRE_CHROMIUM"] == "1"

        @Test("report writes one HTML file for a launched campaign; an unknown campaign or a missing folder is refused and writes nothing")
        func command() throws {
            let folder = try Self.scratch()
            defer { try? FileManager.default.removeItem(at: folder) }
            let db = folder.appendingPathComponent("cadence.sqlite").path
            let launch = try CadenceBinary.run(["launch", "ops-leaders-q1", "--candidates", "examples/candidates.csv", "--db", db])
            #expect(launch.status == 0, "\(launch.stderr)")
            let out = folder.appendingPathComponent("report.html").path
            let report = try CadenceBinary.run(["report", "ops-leaders-q1", "--out", out, "--db", db])
            #expect(report.status == 0, "\(report.stderr)")
            #expect(report.stdout.hasPrefix("Wrote \(out) ("))
            let html = try String(contentsOfFile: out, encoding: .utf8)
            #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("Operations leaders, Q1 outbound"))
            let unknown = try CadenceBinary.run(["report", "nope", "--out", folder.appendingPathComponent("nope.html").path, "--db", db])
            #expect(unknown.status != 0)
            #expect(unknown.stderr.contains("no campaign \"nope\" has been launched"))
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("nope.html").path))
            let nowhere = try CadenceBinary.run(["report", "ops-leaders-q1", "--out", folder.appendingPathComponent("missing/r.html").path, "--db", db])
            #expect(nowhere.status == 73)
            #expect(nowhere.stderr.contains("the folder \(folder.appendingPathComponent("missing").path) does not exist"))
        }

        @Test(
            "headless Chromium renders the sandbox demo's report to a PNG that is not blank",
            .enabled(
                if: chromium != nil || chromiumRequired,
                "Chromium is not installed, so the report is not rendered (apt-get install chromium; .ci/run installs it and requires this test)")
        )
        func rendersInChromium() throws {
            #expect(Self.chromium != nil, "Chromium is required here (CADENCE_REQUIRE_CHROMIUM=1) but not installed: apt-get install chromium")
            guard Self.chromium != nil else { return }
            let folder = try Self.scratch()
            defer { try? FileManager.default.removeItem(at: folder) }
            func render(_ html: String) throws -> PNGImage {
                let png = html + ".png"
                let render = Process()
                render.executableURL = URL(fileURLWithPath: "/bin/bash")
                render.arguments = [CadenceBinary.repositoryRoot.appendingPathComponent("scripts/render-report.sh").path, html, png, "1200", "1600"]
                let errors = Pipe()
                render.standardError = errors
                render.standardOutput = FileHandle.nullDevice
                try render.run()
                let message = errors.fileHandleForReading.readDataToEndOfFile()
                render.waitUntilExit()
                #expect(render.terminationStatus == 0, "\(String(decoding: message, as: UTF8.self))")
                return try PNGImage(Array(try Data(contentsOf: URL(fileURLWithPath: png))))
            }
            let html = folder.appendingPathComponent("report.html").path
            let demo = try CadenceBinary.run(["demo", "--sandbox", "--report", html], in: folder)
            #expect(demo.status == 0, "\(demo.stderr)")
            let image = try render(html)
            #expect(image.width == 1200 && image.height == 1600)
            let (share, coloured) = image.inked
            // Text, tables and coloured bars: a blank or error page has almost no ink and no colour.
            #expect(share > 0.02, "only \(share * 100)% of the pixels are not white")
            #expect(coloured > 0.005, "only \(coloured * 100)% of the pixels are in colour")
            // The same check on a page with one line of text says blank, so it can tell.
            let empty = folder.appendingPathComponent("empty.html").path
            try Data("<!DOCTYPE html><html><body><p>nothing</p></body></html>".utf8).write(to: URL(fileURLWithPath: empty))
            let blank = try render(empty).inked
            #expect(blank.share < 0.02 && blank.coloured < 0.005, "a near-empty page: \(blank)")
        }
    }
}

extension ProcessTests {
    @Suite("cadence explain")
    struct ExplainCommandTests {
        @Test("explain after a pass: the send with its ids, the timeline, the next step's delay and every rule with the earliest time; held and unknown people")
        func explain() throws {
            let folder = try ReportCommandTests.scratch()
            defer { try? FileManager.default.removeItem(at: folder) }
            let environment = ["CADENCE_NOW": "2026-11-30T10:00:00Z", "USER": "sam"]
            #expect(try CadenceBinary.run(["init", folder.path]).status == 0)
            #expect(try CadenceBinary.run(["launch", "backend-engineers", "--candidates", "examples/candidates.csv"], in: folder, environment: environment).status == 0)
            #expect(try CadenceBinary.run(["run", "--once"], in: folder, environment: environment).status == 0)
            let ana = try CadenceBinary.run(["explain", "ana.ruiz@example.org"], in: folder, environment: environment)
            #expect(ana.status == 0, "\(ana.stderr)")
            #expect(ana.stdout.contains("  now: active: linkedin is due 2026-12-02 10:00 UTC"), "\(ana.stdout)")
            #expect(ana.stdout.contains("    2026-11-30 10:00 UTC  intro  Gmail message backend-engineers.intro."))
            #expect(ana.stdout.contains("    delay: 2bd after intro (sent 2026-11-30 10:00 UTC), then the window: 2026-12-02 10:00 UTC"))
            #expect(ana.stdout.contains("  opens: 2026-12-02 10:00 UTC"))
            // Kim waits for the mailbox's minimum gap: the rules at her due time, and the earliest she can go.
            let kim = try CadenceBinary.run(["explain", "kim@example.com", "--format", "json"], in: folder, environment: environment)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(kim.stdout.utf8)) as? [[String: Any]])
            let next = try #require(json.first?["next"] as? [String: Any])
            #expect(next["step"] as? String == "intro")
            #expect((next["rules"] as? [[String: Any]])?.map { $0["rule"] as? String ?? "" } == ["mailbox authorisation", "mailbox pause", "send window", "sending limits"])
            #expect((next["lastDeferral"] as? String)?.contains("minimum gap between sends from mailbox sam") == true)
            #expect(next["earliest"] is String)
            let sam = try CadenceBinary.run(["explain", "sam.taylor@example.co.uk"], in: folder, environment: environment)
            #expect(sam.stdout.contains("held at intro: missing candidate.company; add the values to their CSV row and launch the same file again"))
            let nobody = try CadenceBinary.run(["explain", "nobody@example.org"], in: folder, environment: environment)
            #expect(nobody.status == 65)
            #expect(nobody.stderr.contains("no candidate nobody@example.org is enrolled in any campaign"))
            let elsewhere = try CadenceBinary.run(["explain", "ana.ruiz@example.org", "--campaign", "nope"], in: folder, environment: environment)
            #expect(elsewhere.status != 0 && elsewhere.stderr.contains("is not enrolled in campaign nope"))
        }
    }
}
