import CadenceCore
import CadenceEngine
import Foundation
import Testing

@Suite("Candidates CSV: streaming, quoting, located row errors")
struct CandidateFileTests {
    /// Reads `content` (bytes) as a candidates file; returns the candidates and the problem lines.
    func read(_ content: [UInt8]) throws -> (candidates: [Candidate], problems: [String]) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-\(UUID().uuidString).csv").path
        try Data(content).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var candidates: [Candidate] = []
        var problems: [String] = []
        try CandidateFile(path: path, display: "people.csv").forEachRow { row in
            switch row {
            case .candidate(let candidate): candidates.append(candidate)
            case .problems(let diagnostics): problems += diagnostics.map(\.description)
            }
        }
        return (candidates, problems)
    }

    func read(_ text: String) throws -> (candidates: [Candidate], problems: [String]) { try read(Array(text.utf8)) }

    func openProblems(_ text: String) -> [String] {
        do {
            _ = try read(text)
            return []
        } catch CandidateFile.OpenError.problems(let diagnostics) {
            return diagnostics.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test("RFC 4180 quoting, line breaks inside quotes, a BOM, CRLF and blank lines; line numbers stay true")
    func quoting() throws {
        let text = "email,firstName,note,timezone\r\n\"ana@example.org\",\"Ana \"\"A\"\" María\",\"line one\r\nline two\",Europe/Madrid\r\n\r\nbo@example.org,Bo,\"a, b\",\r\nnot-an-address,X,y,\r\n"
        let (candidates, problems) = try read([0xEF, 0xBB, 0xBF] + Array(text.utf8))
        #expect(candidates.map(\.email.description) == ["ana@example.org", "bo@example.org"])
        #expect(candidates.map(\.line) == [2, 5])
        #expect(candidates[0].fields["firstName"] == "Ana \"A\" María")
        #expect(candidates[0].fields["note"] == "line one\r\nline two")
        #expect(candidates[0].timeZone == "Europe/Madrid")
        #expect(candidates[1].fields["note"] == "a, b")
        #expect(candidates[1].timeZone == nil)
        #expect(problems == ["people.csv:6: error: \"not-an-address\" is not an email address: it has no @"])
    }

    @Test("each bad row is reported with its line; the others are read")
    func rowErrors() throws {
        let (candidates, problems) = try read(
            """
            email,firstName,timezone
            ana@example.org,Ana,Europe/Madrid
            bo@example.org,Bo
            cy@example,Cy,
            ,Dee,
            eve@example.org,Eve,Europe/Berln
            fay@example.org,Fay,UTC,extra
            gus@example.org,Gus,
            """)
        #expect(candidates.map(\.email.description) == ["ana@example.org", "gus@example.org"])
        #expect(
            problems == [
                "people.csv:3: error: the row has 2 fields but the header has 3; a value with a comma needs double quotes around it",
                "people.csv:4: error: \"cy@example\" is not an email address: it has no dot in its domain \"example\"",
                "people.csv:5: error: the email is empty",
                "people.csv:6: error: unknown time zone \"Europe/Berln\"; did you mean \"Europe/Berlin\"?",
                "people.csv:7: error: the row has 4 fields but the header has 3; a value with a comma needs double quotes around it",
            ])
    }

    @Test("header problems stop the file before any row")
    func headerErrors() {
        #expect(
            openProblems("Email Address,first name,first name\nx@y.org,a,b\n") == [
                "people.csv:1: error: header \"Email Address\" (column 1) is not a merge-field name; use letters, digits and _ starting with a letter, e.g. \"firstName\"",
                "people.csv:1: error: header \"first name\" (column 2) is not a merge-field name; use letters, digits and _ starting with a letter, e.g. \"firstName\"",
                "people.csv:1: error: header \"first name\" (column 3) is not a merge-field name; use letters, digits and _ starting with a letter, e.g. \"firstName\"",
                "people.csv:1: error: there is no \"email\" column; rename \"Email Address\" to \"email\"",
            ])
        #expect(
            openProblems("email,name,name,\n") == [
                "people.csv:1: error: header \"name\" appears twice (column 3); each column needs its own name",
                "people.csv:1: error: column 4 has no header; name it, e.g. \"company\"",
            ])
        #expect(openProblems("") == ["people.csv:1: error: the file has no header row; the first line names the columns, e.g. email,firstName,company"])
    }

    @Test("a file that cannot be read, a folder, bytes that are not UTF-8 and an unclosed quote stop the file, located")
    func unreadable() throws {
        let missing = Result { try CandidateFile(path: "/nonexistent/people.csv", display: "people.csv").forEachRow { _ in } }
        #expect(throws: CandidateFile.OpenError.problems([.error("cannot read the candidates file; check the path", file: "people.csv", at: nil)])) { try missing.get() }
        let folder = Result { try CandidateFile(path: FileManager.default.temporaryDirectory.path, display: "tmp").forEachRow { _ in } }
        #expect(throws: CandidateFile.OpenError.problems([.error("this is a folder; give the path of a CSV file", file: "tmp", at: nil)])) { try folder.get() }
        let latin1 = Array("email,firstName\nana@example.org,Ana\nbo@example.org,B".utf8) + [0xE9] + Array("\nok@example.org,Ok\ncy@example.org,".utf8) + [0xFF]
        #expect(
            problems(latin1) == [
                "people.csv:3: error: this line is not valid UTF-8; save the file as UTF-8 (CSV UTF-8 in Excel)",
                "people.csv:5: error: this line is not valid UTF-8; save the file as UTF-8 (CSV UTF-8 in Excel)",
            ])
        #expect(
            problems(Array("email,company\na@example.org,\"Acme\nb@example.org,\"Initech\"\"s\"\n".utf8)) == [
                "people.csv:3: error: a quoted value (opened on line 2) ends with a quote followed by more text; double a quote inside a value (\"\")"
            ])
        #expect(
            problems(Array("email,company\na@example.org,\"Acme\nb@example.org,Initech\n".utf8)) == [
                "people.csv:2: error: the quote opened on this line is never closed; close it, or double a quote inside a value (\"\")"
            ])
    }

    func problems(_ bytes: [UInt8]) -> [String] {
        do {
            _ = try read(bytes)
            return []
        } catch CandidateFile.OpenError.problems(let diagnostics) {
            return diagnostics.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }
}

extension CandidateFileTests {
    @Test("a header that is not UTF-8 stops the file")
    func headerNotUTF8() throws {
        #expect(
            problems(Array("email,na".utf8) + [0xC3, 0x28] + Array("me\nana@example.org,Ana\n".utf8)) == [
                "people.csv:1: error: this line is not valid UTF-8; save the file as UTF-8 (CSV UTF-8 in Excel)"
            ])
    }

    @Test("a pipe can be read (it is copied aside first)")
    func pipe() throws {
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("cadence-fifo-\(UUID().uuidString)").path
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { try? FileManager.default.removeItem(atPath: fifo) }
        let writer = Thread {
            let handle = FileHandle(forWritingAtPath: fifo)!
            handle.write(Data("email,firstName\nana@example.org,Ana\n".utf8))
            try? handle.close()
        }
        writer.start()
        var emails: [String] = []
        try CandidateFile(path: fifo, display: "pipe").forEachRow { row in
            if case .candidate(let candidate) = row { emails.append(candidate.email.description) }
        }
        #expect(emails == ["ana@example.org"])
    }
}
