import CadenceCore
import Testing

@Suite("JSON parser: positions and syntax errors")
struct JSONParserTests {
    private func parse(_ text: String) -> JSONParser.Result {
        JSONParser.parse(Array(text.utf8), file: "f.json")
    }

    private func messages(_ text: String) -> [String] {
        parse(text).diagnostics.map(\.description)
    }

    @Test("records the line and column of every key and value, counting characters not bytes")
    func positions() throws {
        let result = parse("{\n  \"név\": \"é\",\n  \"b\": [1, true]\n}")
        let value = try #require(result.value)
        guard case .object(let members) = value.kind else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["név", "b"])
        #expect(members[0].keyPosition == SourcePosition(line: 2, column: 3))
        #expect(members[0].value.position == SourcePosition(line: 2, column: 10))
        #expect(members[1].value.position == SourcePosition(line: 3, column: 8))
        guard case .array(let elements) = members[1].value.kind else { Issue.record("not an array"); return }
        #expect(elements[1].position == SourcePosition(line: 3, column: 12))
        #expect(elements[1].kind == .bool(true))
    }

    @Test("keeps numbers exactly as written")
    func numbers() throws {
        let value = try #require(parse("[12345678901234567890, -0.5e3, 0]").value)
        #expect(
            value.kind
                == .array([
                    JSONValue(kind: .number("12345678901234567890"), position: SourcePosition(line: 1, column: 2)),
                    JSONValue(kind: .number("-0.5e3"), position: SourcePosition(line: 1, column: 24)),
                    JSONValue(kind: .number("0"), position: SourcePosition(line: 1, column: 32)),
                ]))
    }

    @Test("decodes escapes, including surrogate pairs")
    func escapes() throws {
        let value = try #require(parse(#"["a\"b\\c\/\n\t\u00e9\ud83d\ude00"]"#).value)
        guard case .array(let elements) = value.kind else { Issue.record("not an array"); return }
        #expect(elements.first?.kind == .string("a\"b\\c/\n\té😀"))
    }

    @Test("tolerates a byte order mark")
    func byteOrderMark() {
        let result = JSONParser.parse([0xEF, 0xBB, 0xBF] + Array("{}".utf8), file: "f.json")
        #expect(result.value?.kind == .object([]))
        #expect(result.diagnostics.isEmpty)
    }

    @Test("a missing comma between members is located where the next key starts")
    func missingComma() {
        #expect(
            messages("{\n  \"a\": 1\n  \"b\": 2\n}") == [
                "f.json:3:3: error: invalid JSON: expected ',' or '}' after the value of \"a\"; is a comma missing?"
            ])
    }

    @Test("a trailing comma is named as such")
    func trailingComma() {
        #expect(messages("{\"a\": 1,\n}") == ["f.json:2:1: error: invalid JSON: trailing comma before '}'; remove the last comma"])
        #expect(messages("[1, 2, ]") == ["f.json:1:8: error: invalid JSON: trailing comma before ']'; remove the last comma"])
    }

    @Test("an unclosed object says where it was opened")
    func unclosed() {
        #expect(
            messages("{\n  \"steps\": [\n    {\"id\": \"a\"}\n") == [
                "f.json:4:1: error: invalid JSON: unexpected end of file; the array opened at line 2, column 12 is not closed"
            ])
    }

    @Test("single quotes, comments and bare words get their own advice")
    func commonMistakes() {
        #expect(messages("{'a': 1}") == ["f.json:1:2: error: invalid JSON: single quotes are not JSON; put the key in double quotes"])
        #expect(messages("{\"a\": 'x'}") == ["f.json:1:7: error: invalid JSON: single quotes are not JSON; use double quotes"])
        #expect(messages("{\n// note\n}") == ["f.json:2:1: error: invalid JSON: comments are not allowed in JSON; remove it (a campaign can say more in its \"description\")"])
        #expect(messages("{\"a\": 1 // note\n}") == ["f.json:1:9: error: invalid JSON: comments are not allowed in JSON; remove it (a campaign can say more in its \"description\")"])
        #expect(messages("{\"delay\": 3d}") == ["f.json:1:11: error: invalid JSON: unexpected 'd' in a number; write text in double quotes, e.g. \"3d\""])
        #expect(messages("{\"a\": yes}") == ["f.json:1:7: error: invalid JSON: unexpected 'y'; expected a value"])
        #expect(messages("{\"a\": nul}") == ["f.json:1:7: error: invalid JSON: unexpected '}'; did you mean null? (strings need double quotes)"])
    }

    @Test("an empty file, leading zeros, raw line breaks and stray text are errors")
    func otherErrors() {
        #expect(messages("  \n") == ["f.json:2:1: error: invalid JSON: the file is empty; expected a JSON object"])
        #expect(messages("[01]") == ["f.json:1:2: error: invalid JSON: numbers cannot have leading zeros"])
        #expect(messages("[\"a\nb\"]") == ["f.json:1:4: error: invalid JSON: a line break or control character inside a string; write it as \\n or \\t"])
        #expect(messages("{} {}") == ["f.json:1:4: error: invalid JSON: unexpected '{' after the end of the document"])
        #expect(messages("[\"\\x\"]") == ["f.json:1:3: error: invalid JSON: invalid escape '\\x' in a string; to write a backslash use \\\\"])
        #expect(messages("[\"\\ud83d\"]") == ["f.json:1:9: error: invalid JSON: a \\u escape for a high surrogate must be followed by a low surrogate"])
    }

    @Test("invalid UTF-8 is located")
    func invalidUTF8() {
        let result = JSONParser.parse(Array("[\"ab".utf8) + [0xC3, 0x28] + Array("\"]".utf8), file: "f.json")
        #expect(result.diagnostics.map(\.description) == ["f.json:1:5: error: invalid JSON: invalid UTF-8; save the file as UTF-8"])
    }

    @Test("a duplicate key is an error at the second key")
    func duplicateKey() {
        let result = parse("{\n  \"delay\": \"1d\",\n  \"delay\": \"2d\"\n}")
        #expect(result.value != nil)
        #expect(
            result.diagnostics.map(\.description) == [
                "f.json:3:3: error: duplicate key \"delay\" (first set at line 2); JSON keeps only one, so remove the other"
            ])
    }

    @Test("nesting is bounded, so a hostile file cannot overflow the stack")
    func depth() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(messages(deep) == ["f.json:1:65: error: invalid JSON: nesting deeper than 64 levels"])
        let fine = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(parse(fine).diagnostics.isEmpty)
    }
}
