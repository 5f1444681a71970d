import CadenceCore
import Foundation
import Testing

@testable import CadenceCore

@Suite("Tracking tokens: signed, short, and nothing but a signed token is accepted")
struct TrackingTokenTests {
    static let key = TrackingKey(secret: Array(repeating: 7, count: 32))!
    static let other = TrackingKey(secret: Array(repeating: 9, count: 32))!
    static let send = "0123456789abcdef0123"

    @Test("a token signed with the current key verifies and says what it was made for; it is 34 URL-safe characters")
    func roundTrip() throws {
        for token in [
            TrackingToken(kind: .open, sendTrackingID: Self.send), TrackingToken(kind: .click, sendTrackingID: Self.send, link: 255),
            TrackingToken(kind: .unsubscribe, sendTrackingID: Self.send),
        ] {
            let text = token.signed(with: Self.key)
            #expect(text.count == 34)
            #expect(text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
            #expect(try TrackingToken.verify(text, keys: TrackingKeys(current: Self.key)).get() == token)
        }
    }

    @Test("every single-character change, every truncation and every extension is refused")
    func tampered() {
        let keys = TrackingKeys(current: Self.key)
        let text = Array(TrackingToken(kind: .click, sendTrackingID: Self.send, link: 3).signed(with: Self.key))
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for position in text.indices {
            for replacement in alphabet where replacement != text[position] {
                var changed = text
                changed[position] = replacement
                guard case .failure = TrackingToken.verify(String(changed), keys: keys) else {
                    Issue.record("accepted \(String(changed)) (position \(position))")
                    return
                }
            }
        }
        for length in 0..<text.count {
            guard case .failure(.malformed) = TrackingToken.verify(String(text[..<length]), keys: keys) else {
                Issue.record("accepted a token cut to \(length) characters")
                return
            }
        }
        #expect(TrackingToken.verify(String(text) + "A", keys: keys) == .failure(.malformed))
        #expect(TrackingToken.verify(String(text).replacingOccurrences(of: "-", with: "+"), keys: keys) != .success(TrackingToken(kind: .click, sendTrackingID: Self.send, link: 3)))
        #expect(TrackingToken.verify("../../etc/passwd", keys: keys) == .failure(.malformed))
    }

    @Test("rotation: a token signed with a previous key still verifies; one signed with a key no longer held is told apart")
    func rotation() throws {
        let old = TrackingToken(kind: .unsubscribe, sendTrackingID: Self.send).signed(with: Self.other)
        #expect(try TrackingToken.verify(old, keys: TrackingKeys(current: Self.key, previous: [Self.other])).get().kind == .unsubscribe)
        #expect(TrackingToken.verify(old, keys: TrackingKeys(current: Self.key)) == .failure(Self.key.id == Self.other.id ? .badSignature : .unknownKey))
        // A new key signs; the previous one only verifies.
        let fresh = TrackingToken(kind: .open, sendTrackingID: Self.send).signed(with: Self.key)
        #expect(TrackingToken.verify(fresh, keys: TrackingKeys(current: Self.other)) != .success(TrackingToken(kind: .open, sendTrackingID: Self.send)))
    }

    @Test("a key shorter than 32 bytes is refused")
    func shortKey() {
        #expect(TrackingKey(secret: Array(repeating: 1, count: 31)) == nil)
    }
}

@Suite("Rewriting a message's links to signed click links, and the open pixel")
struct LinkRewriterTests {
    static func plan(_ options: (inout TrackingOptions) -> Void = { _ in }) -> TrackingPlan {
        var chosen = TrackingOptions()
        options(&chosen)
        return TrackingPlan(baseURL: "https://t.example.com", path: "/t", key: TrackingTokenTests.key, options: chosen)
    }

    static let html = """
        <p>See <a href="https://jobs.example.com/role?id=7&amp;ref=mail">the role</a>, <a class="x" href='http://blog.example.com/post'>a post</a>,
        <a href="mailto:sam@example.com">mail me</a>, <a href="tel:+15551234">call</a>, <a href="#top">top</a>,
        <a href="https://jobs.example.com/role?id=7&amp;ref=mail">the role again</a> and <a href="https://t.example.com/t/u/TOKEN">unsubscribe</a>.</p>
        <img src="https://cdn.example.com/logo.png">
        """

    @Test("http(s) hrefs become click links in order, a repeated link keeps its number; mailto, tel, anchors and our own links stay")
    func clicks() throws {
        let result = LinkRewriter.rewrite(html: Self.html, text: "https://jobs.example.com/role", trackingID: TrackingTokenTests.send, plan: Self.plan())
        #expect(result.links == ["https://jobs.example.com/role?id=7&ref=mail", "http://blog.example.com/post"])
        #expect(!result.html.contains("jobs.example.com") && !result.html.contains("blog.example.com"))
        for kept in ["mailto:sam@example.com", "tel:+15551234", "href=\"#top\"", "https://t.example.com/t/u/TOKEN", "https://cdn.example.com/logo.png", "class=\"x\""] {
            #expect(result.html.contains(kept), "\(kept)")
        }
        // Each click link carries a token for its link number, for this send.
        let keys = TrackingKeys(current: TrackingTokenTests.key)
        let tokens = result.html.components(separatedBy: "https://t.example.com/t/c/").dropFirst().map { String($0.prefix(34)) }
        let decoded = try tokens.map { try TrackingToken.verify($0, keys: keys).get() }
        #expect(decoded.map(\.link) == [1, 2, 1])
        #expect(decoded.allSatisfy { $0.kind == .click && $0.sendTrackingID == TrackingTokenTests.send })
        // The text part keeps readable links unless the campaign asks otherwise; no pixel unless opens are on.
        #expect(result.text == "https://jobs.example.com/role")
        #expect(!result.html.contains("/t/o/"))
    }

    @Test("opens put one 1×1 pixel before </body>; text links are rewritten only when asked, punctuation left outside")
    func pixelAndText() {
        let result = LinkRewriter.rewrite(
            html: "<html><body><p>Hi</p></body></html>", text: "Read https://a.example.com/x. Or (http://b.example.com)!",
            trackingID: TrackingTokenTests.send,
            plan: Self.plan {
                $0.opens = true; $0.textLinks = true
            })
        #expect(result.html.hasPrefix("<html><body><p>Hi</p><img src=\"https://t.example.com/t/o/"))
        #expect(result.html.hasSuffix(".gif\" width=\"1\" height=\"1\" alt=\"\" style=\"border:0;width:1px;height:1px\">\n</body></html>"))
        #expect(result.links == ["https://a.example.com/x", "http://b.example.com"])
        #expect(result.text.hasPrefix("Read https://t.example.com/t/c/") && result.text.hasSuffix(")!"))
        #expect(result.text.contains(". Or (https://t.example.com/t/c/"))
    }

    @Test("clicks off: links stay as written")
    func clicksOff() {
        let result = LinkRewriter.rewrite(html: Self.html, text: "", trackingID: TrackingTokenTests.send, plan: Self.plan { $0.clicks = false })
        #expect(result.html == Self.html && result.links.isEmpty)
    }
}

@Suite("Composing with tracking: List-Unsubscribe, one click, <<links.unsubscribe>>, and no change without it")
struct TrackedComposingTests {
    static func composer(_ plan: TrackingPlan?, template: String = "Subject: Hi\n\nHello <<candidate.firstName>>, see [the role](https://jobs.example.com/r).\n") -> EmailComposer {
        let campaign = SequenceDefinition(
            id: "q1", name: "Q1", mailboxes: ["sam"], timeZone: "UTC", steps: [Step(id: "intro", delay: .zero, kind: .email(EmailStep(content: .template("t.md"))))])
        return EmailComposer(campaign: campaign, mailbox: EmailComposerTests.mailbox, templates: ["t.md": EmailComposerTests.template(template)], attachments: [:], tracking: plan)
    }

    static let ana = EmailComposerTests.candidate("ana@example.org", ["firstName": "Ana"])

    static func email(_ composer: EmailComposer) throws -> (OutgoingMessage, [String]) {
        let step = try #require(composer.compose(Self.ana, date: EmailComposerTests.date).first)
        guard case .email(let message) = step.outcome else { throw CancellationError() }
        return (message, step.links)
    }

    @Test("https: List-Unsubscribe has the signed link and the mailto, with List-Unsubscribe-Post; links are recorded")
    func headers() throws {
        let (message, links) = try Self.email(Self.composer(LinkRewriterTests.plan()))
        let headers = Dictionary(message.extraHeaders.map { ($0.name, $0.value) }) { a, _ in a }
        let unsubscribe = try #require(headers["List-Unsubscribe"])
        #expect(unsubscribe.hasPrefix("<https://t.example.com/t/u/") && unsubscribe.contains(">, <mailto:sam@example.com?subject=unsubscribe%20q1."))
        #expect(headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click")
        #expect(links == ["https://jobs.example.com/r"])
        #expect(message.html.contains("https://t.example.com/t/c/") && !message.html.contains("jobs.example.com"))
        #expect(message.text.contains("https://jobs.example.com/r"))
    }

    @Test("plain http (loopback) gets no List-Unsubscribe-Post: RFC 8058 is for https only")
    func loopbackHasNoOneClick() throws {
        let plan = TrackingPlan(baseURL: "http://127.0.0.1:8080", path: "/t", key: TrackingTokenTests.key, options: TrackingOptions())
        let (message, _) = try Self.email(Self.composer(plan))
        #expect(message.extraHeaders.contains { $0.name == "List-Unsubscribe" && $0.value.hasPrefix("<http://127.0.0.1:8080/t/u/") })
        #expect(!message.extraHeaders.contains { $0.name == "List-Unsubscribe-Post" })
    }

    @Test("<<links.unsubscribe>> places the send's unsubscribe link, never rewritten to a click link; the footer adds one")
    func unsubscribeField() throws {
        let template = "Subject: Hi\n\nHello. [Unsubscribe](<<links.unsubscribe>>)\n"
        let (message, links) = try Self.email(Self.composer(LinkRewriterTests.plan(), template: template))
        let header = try #require(message.extraHeaders.first { $0.name == "List-Unsubscribe" }?.value)
        let url = String(header.dropFirst().prefix { $0 != ">" })
        #expect(message.html.contains("href=\"\(url)\""))
        #expect(message.text.contains(url))
        #expect(links.isEmpty)
        let (footed, _) = try Self.email(Self.composer(LinkRewriterTests.plan { $0.footer = true }))
        #expect(
            footed.text.hasSuffix("--\nNot interested? Unsubscribe: \(String(try #require(footed.extraHeaders.first { $0.name == "List-Unsubscribe" }?.value).dropFirst().prefix { $0 != ">" }))\n"))
        #expect(footed.html.contains(">Unsubscribe</a>.</p>"))
    }

    @Test("without tracking, <<links.unsubscribe>> has no value: the step is held, never sent with a blank link")
    func unsubscribeFieldWithoutTracking() throws {
        let step = try #require(Self.composer(nil, template: "Subject: Hi\n\n[Unsubscribe](<<links.unsubscribe>>)\n").compose(Self.ana, date: EmailComposerTests.date).first)
        #expect(step.outcome == .held(missing: ["links.unsubscribe"]))
    }

    @Test("without tracking, the message is exactly what it was: only the mailto List-Unsubscribe")
    func untouched() throws {
        let (message, links) = try Self.email(Self.composer(nil))
        #expect(links.isEmpty)
        #expect(message.html.contains("href=\"https://jobs.example.com/r\""))
        #expect(message.extraHeaders.map(\.name) == ["X-Cadence-Send-Id", "List-Unsubscribe", "X-Auto-Response-Suppress"])
    }

    @Test("the same inputs give the same bytes: tokens are deterministic, so a resend or a preview matches the send")
    func deterministic() throws {
        let plan = LinkRewriterTests.plan { $0.opens = true }
        let first = try Self.email(Self.composer(plan)).0
        let second = try Self.email(Self.composer(plan)).0
        #expect(MIMEWriter.write(first) == MIMEWriter.write(second))
    }
}

@Suite("Classing opens and clicks: who most likely made them")
struct TrackingEventClassifierTests {
    static let sent = Date(timeIntervalSince1970: 1_796_119_200)

    static func classify(_ agent: String, method: String = "GET", after seconds: TimeInterval = 3_600, sentAt: Date? = sent) -> TrackingEventClass {
        TrackingEventClassifier.classify(
            TrackingRequest(target: .pixel, method: method, userAgent: agent, clientAddress: nil, at: sent.addingTimeInterval(seconds), sentAt: sentAt))
    }

    @Test("rules in order: HEAD, Gmail's image proxy, known scanners, seconds after sending, no user agent, else a person")
    func rules() {
        let mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        #expect(Self.classify(mac) == .likelyHuman)
        #expect(Self.classify(mac, method: "HEAD") == .scanner)
        #expect(Self.classify("Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)") == .gmailProxy)
        #expect(Self.classify("Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)", after: 2) == .gmailProxy)
        #expect(Self.classify("Mimecast-Security-Scanner/1.0") == .scanner)
        #expect(Self.classify("python-requests/2.31") == .scanner)
        #expect(Self.classify(mac, after: 3) == .scanner)
        #expect(Self.classify(mac, after: 3, sentAt: nil) == .likelyHuman)
        #expect(Self.classify("") == .scanner)
        #expect(TrackingEventClass.gmailProxy.isLikelyHuman && TrackingEventClass.likelyHuman.isLikelyHuman)
        #expect(!TrackingEventClass.scanner.isLikelyHuman && !TrackingEventClass.machine.isLikelyHuman)
    }
}

@Suite("Rewriting links reads each tag attribute by attribute")
struct LinkRewriterAttributeTests {
    static func rewrite(_ html: String) -> LinkRewriter.Result {
        LinkRewriter.rewrite(html: html, text: "", trackingID: TrackingTokenTests.send, plan: LinkRewriterTests.plan())
    }

    @Test("an href written inside another attribute's value (a merge value with spaces) is text, never a link to track or redirect to")
    func hrefInsideAnotherValue() {
        let result = Self.rewrite(#"<a title="x href=https://evil.example/ y" href="https://jobs.example.com/">role</a>"#)
        #expect(result.links == ["https://jobs.example.com/"])
        #expect(result.html.hasPrefix(#"<a title="x href=https://evil.example/ y" href="https://t.example.com/t/c/"#))
        let ending = Self.rewrite(#"<a title="x href=https://evil.example/" href="https://jobs.example.com/">role</a>"#)
        #expect(ending.links == ["https://jobs.example.com/"])
        #expect(ending.html.hasPrefix(#"<a title="x href=https://evil.example/" href="https://t.example.com/t/c/"#))
        let prefixed = Self.rewrite(#"<a data-href="https://evil.example/" HREF="https://jobs.example.com/">role</a>"#)
        #expect(prefixed.links == ["https://jobs.example.com/"])
    }

    @Test("a > inside a quoted value does not end the tag; <area> links are tracked; <abbr> and <address> are not anchors")
    func tagBoundaries() {
        #expect(Self.rewrite(#"<a title="a > b" href="https://x.example.com/">x</a>"#).links == ["https://x.example.com/"])
        #expect(Self.rewrite(#"<map><area shape="rect" coords="0,0,1,1" href="https://y.example.com/"></map>"#).links == ["https://y.example.com/"])
        let other = #"<abbr title="x" href="https://z.example.com/">z</abbr><address href="https://z.example.com/">a</address>"#
        #expect(Self.rewrite(other).links.isEmpty)
        #expect(Self.rewrite(other).html == other)
    }

    @Test("only the character references browsers decode: no signs in numbers, no control characters")
    func unescape() {
        #expect(HTMLEscaping.unescape("a&amp;b&#x41;&#66;") == "a&bAB")
        #expect(HTMLEscaping.unescape("&#+65;") == "&#+65;")
        #expect(HTMLEscaping.unescape("x&#13;&#10;y&#0;") == "xy")
    }
}
