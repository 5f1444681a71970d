import CadenceCore
import Foundation
import Synchronization

/// The control API under `/control/`: what a test does in-process through `FakeGmail`'s methods, a script does to
/// `cadence-fake-gmail` over HTTP. It exists only on the fake, which listens on 127.0.0.1.
extension FakeGmail {
    func control(_ request: FakeRequest) async -> FakeResponse {
        let path = request.path.split(separator: "/").dropFirst().joined(separator: "/")
        let body = JSONBody.decodeObject(request.body) ?? [:]
        func bad(_ message: String) -> FakeResponse { .json(400, ["error": message]) }
        switch (request.method, path) {
        case ("POST", "mailboxes"):
            guard let address = body["address"] as? String else { return bad("address is required") }
            addMailbox(address, aliases: body["aliases"] as? [String] ?? [])
        case ("POST", "clients"):
            guard let id = body["clientId"] as? String, let secret = body["clientSecret"] as? String else { return bad("clientId and clientSecret are required") }
            addClient(id: id, secret: secret)
        case ("POST", "service-accounts"):
            guard let email = body["email"] as? String, let pem = body["publicKeyPEM"] as? String, let delegations = body["delegations"] as? [String: [String]]
            else { return bad("email, publicKeyPEM and delegations ({user: [scopes]}) are required") }
            addServiceAccount(email: email, publicKeyPEM: pem, delegations: delegations)
        case ("POST", "consent"):
            setConsent(Consent(user: body["user"] as? String, scopes: body["scopes"] as? [String], deny: body["deny"] as? Bool ?? false))
        case ("POST", "faults"):
            guard let rule = try? JSONDecoder().decode(FaultRule.self, from: Data(request.body)) else {
                return bad(#"a fault rule is {"method": "messages.send", "calls": [1, 3], "fault": {"storeThenStatus": {"_0": 500}}}"#)
            }
            addFault(rule)
        case ("DELETE", "faults"):
            clearFaults()
        case ("POST", "deliver"):
            guard let mailbox = body["mailbox"] as? String, let raw = body["raw"] as? String else { return bad("mailbox and raw (the message as text) are required") }
            do {
                let (id, thread) = try deliver(Array(raw.utf8), to: mailbox, labelIDs: body["labelIds"] as? [String] ?? ["INBOX", "UNREAD"], threadID: body["threadId"] as? String)
                return .json(200, ["id": id, "threadId": thread])
            } catch {
                return bad(error.description)
            }
        case ("POST", "push-subscription"):
            guard let endpoint = body["endpoint"] as? String, endpoint.hasPrefix("http://127.0.0.1:") || endpoint.hasPrefix("http://localhost:") else {
                return bad(#"write {"endpoint": "http://127.0.0.1:8080/hooks/gmail", "serviceAccountEmail": "push@p.iam.gserviceaccount.com", "audience": "…"} (the fake pushes only to this machine)"#)
            }
            setPushSubscription(FakePushSubscription(endpoint: endpoint, serviceAccountEmail: body["serviceAccountEmail"] as? String, audience: body["audience"] as? String))
        case ("DELETE", "push-subscription"):
            setPushSubscription(nil)
        case ("GET", "report"):
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.sortedKeys]
            var response = FakeResponse.json(200, [String: Any]())
            var report = (try? JSONSerialization.jsonObject(with: encoder.encode(self.report()))) as? [String: Any] ?? [:]
            report["duplicates"] = self.report().duplicates
            response.body = JSONBody.encode(report)
            return response
        case ("GET", "calls"):
            return .json(200, ["calls": calls(of: request.parameter("method") ?? "")])
        case ("POST", "clock"):
            guard let adjustable = clock as? AdjustableClock else { return bad("this fake runs on the machine's clock") }
            if let text = body["now"] as? String, let date = ISO8601DateFormatter().date(from: text) {
                adjustable.set(date)
            } else if let seconds = (body["advance"] as? NSNumber)?.doubleValue {
                adjustable.advance(by: seconds)
            } else {
                return bad(#"write {"now": "2026-12-01T09:00:00Z"} or {"advance": 3600}"#)
            }
            return .json(200, ["now": ISO8601DateFormatter().string(from: clock.now)])
        case ("POST", "revoke-grants"):
            guard let user = body["user"] as? String else { return bad("user is required") }
            revokeGrants(of: user)
        case ("POST", "expire-history"):
            guard let mailbox = body["mailbox"] as? String, let text = body["before"] as? String, let before = UInt64(text) else {
                return bad("mailbox and before (a history id, as a string) are required")
            }
            expireHistory(of: mailbox, before: before)
        default:
            return .json(404, ["error": "no control endpoint \(request.method) /control/\(path)"])
        }
        return .json(200, ["ok": true])
    }
}
