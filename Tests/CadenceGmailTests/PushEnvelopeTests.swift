import CadenceServer
import Foundation
import Testing

@Suite("Pub/Sub push envelopes: both base64 alphabets, historyId as number or string, exact to 64 bits")
struct PushEnvelopeTests {
    func body(data: String, urlSafe: Bool = false, idKey: String = "messageId") -> [UInt8] {
        var encoded = Data(data.utf8).base64EncodedString()
        if urlSafe { encoded = encoded.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "") }
        return Array(#"{"message":{"data":"\#(encoded)","\#(idKey)":"2070443601311540"},"subscription":"projects/p/subscriptions/s"}"#.utf8)
    }

    @Test("a genuine notification decodes, whichever spelling and alphabet Pub/Sub used")
    func decodes() throws {
        let cases: [([UInt8], String)] = [
            (body(data: #"{"emailAddress":"rep1@acme.com","historyId":4417130}"#), "4417130"),
            (body(data: #"{"emailAddress":"rep1@acme.com","historyId":"4417130"}"#, urlSafe: true), "4417130"),
            (body(data: #"{"emailAddress":"rep1@acme.com","historyId":18446744073709551615}"#, idKey: "message_id"), "18446744073709551615"),
            // Bytes whose standard base64 has + and /, sent in the URL-safe alphabet without padding.
            (body(data: #"{"emailAddress":"rep1@acme.com","historyId":9007199254740993,"x":"~~~>>>???"}"#, urlSafe: true), "9007199254740993"),
        ]
        for (bytes, history) in cases {
            let envelope = try PushEnvelope.decode(bytes).get()
            #expect(envelope.historyID == history)  // never rounded through a Double
            #expect(envelope.emailAddress == "rep1@acme.com")
            #expect(envelope.messageID == "2070443601311540")
            #expect(envelope.subscription == "projects/p/subscriptions/s")
        }
    }

    @Test(
        "anything else is a 400 that says what is wrong",
        arguments: [
            ("not json", "not a JSON object"),
            (#"{"subscription":"s"}"#, "no \"message\""),
            (#"{"message":{"data":"e30"}}"#, "messageId"),
            (#"{"message":{"messageId":"1"}}"#, "\"data\" is missing"),
            (#"{"message":{"messageId":"1","data":"***"}}"#, "not base64"),
            (#"{"message":{"messageId":"1","data":"bm90IGpzb24"}}"#, "not a JSON object"),
        ])
    func refused(text: String, expected: String) {
        guard case .failure(let rejection) = PushEnvelope.decode(Array(text.utf8)) else { Issue.record("accepted \(text)"); return }
        #expect(rejection.status == 400)
        #expect(rejection.description.contains(expected), "\(rejection)")
    }

    @Test(
        "a notification without an address, or with a history id that is not an unsigned whole number, is refused",
        arguments: [
            #"{"historyId":1}"#, #"{"emailAddress":"rep1@acme.com"}"#, #"{"emailAddress":"rep1@acme.com","historyId":-1}"#,
            #"{"emailAddress":"rep1@acme.com","historyId":1.5}"#, #"{"emailAddress":"rep1@acme.com","historyId":true}"#,
            #"{"emailAddress":"rep1@acme.com","historyId":"12a"}"#, #"{"emailAddress":"rep1@acme.com","historyId":18446744073709551616}"#,
        ])
    func badNotification(data: String) {
        guard case .failure(let rejection) = PushEnvelope.decode(body(data: data)) else { Issue.record("accepted \(data)"); return }
        #expect(rejection.status == 400)
    }
}
