import Foundation
import PropertyBased
import Testing

@testable import CadenceCore

@Suite("FlatJSON: what a launch stores for every row reads back as JSON (fixed seed)")
struct FlatJSONPropertyTests {
    @Test("any map of any text (quotes, backslashes, control characters, accents, emoji) decodes to itself, keys in order")
    func roundTrip() throws {
        let pieces = Gen.element(of: ["a", "Z", "0", " ", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1}", "\u{1F}", "\u{7F}", "é", "Ž", "日本", "🙂", "/", ",", ":", "{", "}"])
            .map { $0! }
        let text = pieces.array(of: 0...6).map { $0.joined() }
        seededCheck(count: 3_000, text.array(of: 0...5).map { Array($0) }) { index, words in
            var map: [String: String] = [:]
            for (offset, word) in words.enumerated() { map[offset.isMultiple(of: 2) ? word : "k\(offset)\(word)"] = words.reversed()[offset] }
            let encoded = FlatJSON.encode(map)
            let decoded = try? JSONDecoder().decode([String: String].self, from: Data(encoded.utf8))
            #expect(decoded == map, "case \(index): \(encoded.debugDescription)")
            // Keys come sorted, as `JSONEncoder` with `.sortedKeys` writes them.
            let object = try? JSONSerialization.jsonObject(with: Data(encoded.utf8)) as? [String: String]
            #expect(object == map, "case \(index)")
        }
        #expect(FlatJSON.encode(["b": "1", "a": "x\"y\u{1}"]) == #"{"a":"x\"y\u0001","b":"1"}"#)
        #expect(FlatJSON.encode([:]) == "{}")
    }
}
