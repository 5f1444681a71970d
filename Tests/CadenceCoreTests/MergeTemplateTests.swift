import CadenceCore
import Testing

@Suite("Templates: merge fields, fallbacks, filters, escaping")
struct MergeTemplateTests {
    static let sender = ["name": "Sam Carter", "firstName": "Sam", "email": "sam@example.com", "signature": "Sam Carter  \n*Northwind*"]

    func compile(_ source: String, signature: String = "") -> MergeTemplate.Result {
        let file = TemplateFile.parse(Array(source.utf8), file: "t.md")
        guard let template = file.template else { return MergeTemplate.Result(template: nil, diagnostics: file.diagnostics) }
        return MergeTemplate.compile(template, path: "t.md", signature: signature)
    }

    func render(_ source: String, _ candidate: [String: String], signature: String = "") throws -> RenderResult {
        let result = compile(source, signature: signature)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        return try #require(result.template).render(MergeContext(candidate: candidate, sender: Self.sender))
    }

    @Test("fields fill the subject, the text and the HTML")
    func basic() throws {
        let result = try render("Subject: Hello <<candidate.firstName>>\n\nHi **<<candidate.firstName>>** at <<candidate.company>>,\n", ["firstName": "Ana", "company": "Acme"])
        #expect(
            result
                == .ready(
                    RenderedContent(
                        subject: "Hello Ana", text: "Hi **Ana** at Acme,\n", html: "<p>Hi <strong>Ana</strong> at Acme,</p>")))
    }

    @Test("values are never read as Markdown or HTML: escaped in HTML, verbatim in text")
    func valuesAreInert() throws {
        let result = try render("Hi <<candidate.firstName>>,\n", ["firstName": "*Ana* <b>&'\""])
        #expect(
            result
                == .ready(
                    RenderedContent(
                        subject: nil, text: "Hi *Ana* <b>&'\",\n", html: "<p>Hi *Ana* &lt;b&gt;&amp;&#39;&quot;,</p>")))
        let heading = try render("<<candidate.firstName>>\n", ["firstName": "# Not a heading"])
        #expect(heading == .ready(RenderedContent(subject: nil, text: "# Not a heading\n", html: "<p># Not a heading</p>")))
    }

    @Test("a missing value holds the render back, naming every missing field once; blank counts as missing")
    func missing() throws {
        let source = "Subject: For <<candidate.company>>\n\nHi <<candidate.firstName>>, <<candidate.company>> and <<candidate.role>>\n"
        #expect(try render(source, ["firstName": "  ", "role": "x"]) == .missing(["candidate.company", "candidate.firstName"]))
        #expect(try render(source, ["firstName": "Ana", "company": "", "role": "x"]) == .missing(["candidate.company"]))
    }

    @Test("a fallback covers a missing value; filters apply in order")
    func fallbacksAndFilters() throws {
        let source = "Hi <<candidate.firstName | firstWord | capitalize | \"there\">> <<candidate.x | \"a \\\"b\\\" | c\" | upper>>\n"
        #expect(
            try render(source, ["firstName": "ana maría"])
                == .ready(
                    RenderedContent(
                        subject: nil, text: "Hi Ana A \"B\" | C\n", html: "<p>Hi Ana A &quot;B&quot; | C</p>")))
        #expect(
            try render(source, [:])
                == .ready(
                    RenderedContent(
                        subject: nil, text: "Hi there A \"B\" | C\n", html: "<p>Hi there A &quot;B&quot; | C</p>")))
        #expect(MergeFilter.lower.apply("ÉCOLE") == "école")
        #expect(MergeFilter.capitalize.apply("élodie") == "Élodie")
    }

    @Test("\\<< writes a literal <<, never a field")
    func literal() throws {
        #expect(
            try render("Use \\<<candidate.firstName>> in templates\n", [:])
                == .ready(
                    RenderedContent(
                        subject: nil, text: "Use <<candidate.firstName>> in templates\n", html: "<p>Use &lt;&lt;candidate.firstName&gt;&gt; in templates</p>")))
    }

    @Test("sender fields come from the mailbox; the signature is Markdown, placed where asked or appended")
    func signature() throws {
        let placed = try render("Hi\n\n<<sender.signature>>\n\nPS <<sender.firstName>>\n", [:], signature: "Sam  \n*Northwind*")
        #expect(
            placed
                == .ready(
                    RenderedContent(
                        subject: nil, text: "Hi\n\nSam\n*Northwind*\n\nPS Sam\n", html: "<p>Hi</p><p>Sam<br><em>Northwind</em></p><p>PS Sam</p>")))
        let appended = try render("Hi\n", [:], signature: "Sam")
        #expect(appended == .ready(RenderedContent(subject: nil, text: "Hi\n\nSam\n", html: "<p>Hi</p><p>Sam</p>")))
    }

    @Test("syntax errors are located in the template, with the fix")
    func errors() {
        let result = compile("Subject: Hi <<candiate.firstName>>\n\nHi <<candidate.firstName | capitalise>>\n<<sender.title>> <<candidate.first name>>\nOpen << here\n<<sender.signature | upper>>\n")
        #expect(result.template == nil)
        #expect(
            result.diagnostics.map(\.description) == [
                "t.md:1:13: error: unknown namespace \"candiate\" in <<candiate.firstName>>; use candidate.* (a CSV column), sender.* (the mailbox) or links.* (links Cadence makes); did you mean \"candidate\"?",
                "t.md:3:4: error: unknown filter \"capitalise\" in <<candidate.firstName | capitalise>>; filters are capitalize, lower, upper, firstWord, and a fallback is a quoted string; did you mean \"capitalize\"?",
                "t.md:4:1: error: unknown sender field \"title\" in <<sender.title>>; sender fields are name, firstName, email, signature",
                "t.md:4:18: error: <<candidate.first name>> is not a merge field; write a namespace and a field such as <<candidate.firstName>>, or \"\\<<\" for a literal \"<<\"",
                "t.md:5:6: error: \"<<\" starts a merge field that is not closed with \">>\" on the same line; to write \"<<\" itself, type \"\\<<\"",
                "t.md:6:1: error: <<sender.signature>> takes no filters or fallback; write it on its own",
            ])
        // The quote is never closed, so the ">>" is inside it and the field is never closed either.
        #expect(
            compile("Hi <<candidate.x | \"unclosed>>\n").diagnostics.map(\.description) == [
                "t.md:1:4: error: \"<<\" starts a merge field that is not closed with \">>\" on the same line; to write \"<<\" itself, type \"\\<<\""
            ])
        #expect(
            compile("Hi <<candidate.x | 'a'>>\n").diagnostics.map(\.description) == [
                "t.md:1:4: error: unknown filter \"'a'\" in <<candidate.x | 'a'>>; filters are capitalize, lower, upper, firstWord, and a fallback is a quoted string"
            ])
        #expect(
            compile("Hi <<candidate.x | \" \">>\n").diagnostics.map(\.description) == [
                "t.md:1:4: error: the fallback in <<candidate.x | \" \">> is blank, which would send a gap; write a word such as \"there\", or no fallback to hold the email back"
            ])
        // ">>" inside a fallback does not end the field.
        #expect(compile("Hi <<candidate.x | \"a >> b\">>\n").diagnostics.isEmpty)
    }

    @Test("compiling records each field once, in first-use order")
    func fields() throws {
        let template = try #require(compile("Subject: <<candidate.company>>\n\n<<candidate.firstName>> <<candidate.company>>\n").template)
        #expect(template.fields.map(\.path) == ["candidate.company", "candidate.firstName"])
    }
}

extension MergeTemplateTests {
    @Test("links read naturally in the plain-text part; the HTML keeps them as links")
    func links() throws {
        let result = try render("See [our site](https://n.example.com) or https://x.example, ![logo](l.png), [n.example.com](https://n.example.com/) and [broken](no\n", [:])
        guard case .ready(let content) = result else { Issue.record("not rendered"); return }
        #expect(content.text == "See our site <https://n.example.com> or https://x.example, ![logo](l.png), https://n.example.com/ and [broken](no\n")
        #expect(content.html.contains("<a href=\"https://n.example.com\">our site</a>"))
    }
}

extension MergeTemplateTests {
    @Test("a value in a link's address is percent-encoded; as the whole address it must be http(s) or mailto, else the email is held")
    func valuesInLinks() throws {
        let source = "See [profile](<<candidate.url>>) and [search](https://x.example/?q=<<candidate.company>>), <<candidate.company>>.\n"
        let ok = try render(source, ["url": "https://ok.example/p?x=1&y=\"2\"", "company": "A & B <c>"])
        guard case .ready(let content) = ok else { Issue.record("held"); return }
        #expect(content.html == "<p>See <a href=\"https://ok.example/p?x=1&amp;y=%222%22\">profile</a> and <a href=\"https://x.example/?q=A%20%26%20B%20%3Cc%3E\">search</a>, A &amp; B &lt;c&gt;.</p>")
        // In the text part values stay verbatim; a link holding a field keeps its Markdown form there.
        #expect(content.text == "See [profile](https://ok.example/p?x=1&y=\"2\") and [search](https://x.example/?q=A & B <c>), A & B <c>.\n")
        for hostile in ["javascript:alert(1)", "data:text/html,hi", "//evil.example", "https://"] {
            #expect(try render(source, ["url": hostile, "company": "Acme"]) == .missing(["candidate.url"]), "\(hostile)")
        }
        #expect(try render(source, ["url": "mailto:ana@example.org", "company": "Acme"]) != .missing(["candidate.url"]))
    }
}
