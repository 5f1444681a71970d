import PropertyBased
import Testing

@testable import CadenceCore

@Suite("Addresses: the fast path agrees with the careful one (fixed seed)")
struct EmailAddressPropertyTests {
    @Test("whatever the text, the one-pass parser accepts only what the careful parser accepts, identically")
    func agreement() {
        let pieces = Gen.element(of: ["a", "Z", "0", ".", "@", "-", "_", "+", "é", " ", "..", "example", "com", "x1", "1", "@@", "-x", "\u{0}"]).map { $0! }
        seededCheck(count: 5_000, pieces.array(of: 0...12)) { index, parts in
            let text = parts.joined()
            if let fast = EmailAddress.fastParse(text) {
                #expect((try? EmailAddress.carefulParse(text).get()) == fast, "case \(index): \(text.debugDescription)")
            }
        }
        for text in ["ana.ruiz+jobs@Example.ORG", "a@b.co", "x_y-z@sub.example-domain.com", "o'brien@example.ie"] {
            #expect((try? EmailAddress.parse(text).get()) == (try? EmailAddress.carefulParse(text).get()), "\(text)")
        }
    }
}
