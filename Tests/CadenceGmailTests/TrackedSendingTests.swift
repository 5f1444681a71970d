import CadenceCore
import CadenceEngine
import CadenceFakeGmail
import CadenceGmail
import CadenceStore
import Foundation
import Testing

@Suite("Sending with tracking on, against the fake Gmail")
struct TrackedSendingTests {
    @Test("Gmail stores the rewritten message: click links, the pixel, List-Unsubscribe with one click; each link's target is recorded with the send")
    func trackedMessage() async throws {
        try await SendingScene.with(people: 2, tracking: true) { (scene: SendingScene) async throws -> Void in
            _ = try await scene.passes(from: 0, to: 30)
            let intro = try #require(scene.sent.first { $0.to == ["p1@example.org"] })
            let raw = try #require(scene.fake.rawMessage(intro.id, in: SendingScene.sam))
            let message = try MailMessage.parse(raw)
            let unsubscribe = try #require(message.header("List-Unsubscribe"))
            #expect(unsubscribe.hasPrefix("<https://t.example.com/t/u/") && unsubscribe.contains(">, <mailto:\(SendingScene.sam)?subject=unsubscribe%20q1."))
            #expect(message.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click")
            let html = try #require(message.allParts.first { $0.mimeType == "text/html" }?.text)
            #expect(html.contains("https://t.example.com/t/o/") && html.contains("https://t.example.com/t/c/"))
            #expect(!html.contains("jobs.example.com"))
            let text = try #require(message.allParts.first { $0.mimeType == "text/plain" }?.text)
            #expect(text.contains("https://jobs.example.com/r?id=7&src=mail"))
            // The click link's token names this send and link 1, whose target the store has from the intent.
            let keys = try TrackingKeyLoader.load(try #require(scene.configuration.tracking), secrets: scene.project.store)
            let tokenText = String(try #require(html.components(separatedBy: "https://t.example.com/t/c/").dropFirst().first).prefix(34))
            let token = try TrackingToken.verify(tokenText, keys: keys).get()
            #expect(token.kind == .click && token.link == 1)
            #expect(try await scene.database.clickTarget(trackingID: token.sendTrackingID, link: 1)?.url == "https://jobs.example.com/r?id=7&src=mail")
            #expect(try await scene.database.clickTarget(trackingID: token.sendTrackingID, link: 2)?.url == nil)
            let send = try #require(try await scene.database.trackedSend(trackingID: token.sendTrackingID))
            #expect(send.state == .sent && send.stepID == "intro" && send.campaignID == "q1")
            #expect(try await scene.database.trackedSend(trackingID: "00000000000000000000") == nil)
            // preview composes the same signed links as the send (deterministic tokens).
            let loaded = try LoadedCampaign.load("q1", location: ProjectLocation.resolve(explicit: nil, environment: [:], currentDirectory: scene.project.root))
            let candidate = Candidate(line: 2, email: try EmailAddress.parse("p1@example.org").get(), fields: ["email": "p1@example.org", "firstName": "P1"])
            let previewed = try #require(loaded.composer(for: loaded.configuration.mailboxes[0], tracking: keys).compose(candidate, date: intro.at).first)
            guard case .email(let preview) = previewed.outcome else { Issue.record("preview held: \(previewed.outcome)"); return }
            // (The part's final line break belongs to the MIME boundary when read back.)
            #expect(preview.html.trimmingCharacters(in: .newlines) == html.trimmingCharacters(in: .newlines))
            #expect(preview.extraHeaders.first { $0.name == "List-Unsubscribe" }?.value == unsubscribe)
            #expect(previewed.links == ["https://jobs.example.com/r?id=7&src=mail"])
        }
    }
}

extension TrackedSendingTests {
    @Test("validate refuses dropping a tracking key while unsubscribe links it signed are younger than 60 days")
    func keyRotation() async throws {
        try await SendingScene.with(people: 1, tracking: true) { (scene: SendingScene) async throws -> Void in
            _ = try await scene.passes(from: 0, to: 30)
            let root = scene.project.root
            _ = FileManager.default.createFile(
                atPath: root + "/secrets/new.key", contents: Data("a-new-tracking-key-after-rotation-0123456789".utf8), attributes: [.posixPermissions: 0o600])
            let secrets = SecretStore(root: root, environment: [:])
            var rotated = try #require(scene.configuration.tracking)
            rotated.key = .file("secrets/new.key")
            var configuration = scene.configuration
            configuration.tracking = rotated
            let now = scene.clock.now
            // The old key dropped: refused, with the date until which it must stay.
            let dropped = TrackingKeyRotation.check(configuration, databasePath: root + "/cadence.sqlite", secrets: secrets, file: "cadence.json", now: now)
            #expect(dropped.count == 1)
            #expect(dropped.first?.description.hasPrefix("cadence.json: error: a tracking key no longer in \"tracking\" (key id ") == true)
            #expect(dropped.first?.description.contains("keep that key in \"previousKeys\" until 2027-01-30") == true)
            // Kept among the previous keys: fine. Sixty days on: it may go.
            rotated.previousKeys = [.file("secrets/tracking.key")]
            configuration.tracking = rotated
            #expect(TrackingKeyRotation.check(configuration, databasePath: root + "/cadence.sqlite", secrets: secrets, file: "cadence.json", now: now).isEmpty)
            rotated.previousKeys = []
            configuration.tracking = rotated
            #expect(
                TrackingKeyRotation.check(
                    configuration, databasePath: root + "/cadence.sqlite", secrets: secrets, file: "cadence.json", now: now.addingTimeInterval(61 * 86_400)
                ).isEmpty)
        }
    }
}
