import CadenceCore
import Foundation
import Testing

/// The labelled corpus (`Fixtures/corpus/*/labels.json`, sources in `Fixtures/corpus/README.md`): every message's
/// class, the person it is matched to and the return date it names, as a careful human reads them.
///
/// The person is found the way the store finds it (`CadenceDatabase.matchEnrollment`): the first of the message's
/// Message-IDs that names a message Cadence sent, else the first of its addresses whose normalised key is an
/// enrolled candidate's. The world is every labelled person and the Message-ID Cadence sent them.
@Suite("The labelled incoming-mail corpus")
struct IncomingCorpusTests {
    struct Label: Decodable, Sendable, CustomTestStringConvertible {
        var file: String
        var system: String
        var language: String
        var `class`: String
        var person: String?
        var sent: String?
        var returns: String?
        var group: String?
        var testDescription: String { "\(group ?? "")/\(file)" }
    }

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/corpus")

    static let labels: [Label] = {
        let groups = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.sorted() ?? []
        return groups.flatMap { group -> [Label] in
            guard let data = try? Data(contentsOf: folder.appendingPathComponent(group).appendingPathComponent("labels.json")) else { return [] }
            do {
                return try JSONDecoder().decode([Label].self, from: data).map { label in
                    var label = label
                    label.group = group
                    return label
                }
            } catch {
                Issue.record("\(group)/labels.json: \(error)")
                return []
            }
        }
    }()

    /// Cadence sent `sent` to `person`: the store's records, as the corpus labels them.
    static let sentTo: [String: String] = Dictionary(
        labels.compactMap { label in label.sent.flatMap { sent in label.person.map { (sent.trimmingCharacters(in: CharacterSet(charactersIn: "<>")), $0) } } },
        uniquingKeysWith: { first, _ in first })
    static let enrolled: [String: String] = Dictionary(
        labels.compactMap { $0.person }.map { (AddressKey.normalized(text: $0), $0) }, uniquingKeysWith: { first, _ in first })

    static func person(_ mail: IncomingMail) -> String? {
        for id in mail.references {
            if let person = sentTo[id.trimmingCharacters(in: CharacterSet(charactersIn: "<> "))] { return person }
        }
        for address in mail.addresses {
            if let person = enrolled[AddressKey.normalized(text: address)] { return person }
        }
        return nil
    }

    static func label(_ incomingClass: IncomingClass) -> String {
        switch incomingClass {
        case .reply: "reply"
        case .bounce(let permanent, _, _): permanent ? "bounce" : "delay"
        case .outOfOffice: "out-of-office"
        case .unsubscribe: "unsubscribe"
        case .meeting(let answer): "meeting-\(answer.rawValue)"
        case .automated(.noLongerHere): "no-longer-here"
        case .automated(.notMonitored): "not-monitored"
        case .automated(.ticket): "ticket"
        case .automated(.readReceipt): "read-receipt"
        case .automated(.other): "automated"
        case .unparsed: "unparsed"
        }
    }

    static func read(_ label: Label) throws -> (IncomingMail, Date) {
        let raw = Array(try Data(contentsOf: folder.appendingPathComponent(label.group!).appendingPathComponent(label.file)))
        let received = MailMessage.headerBlock(raw).first { $0.name.lowercased() == "date" }.flatMap { MailDate.parse($0.value) }?.date
        let date = try #require(received, "\(label.file) has no readable Date header")
        return (IncomingMail.read(raw, receivedAt: date), date)
    }

    @Test("every message gets its labelled class, person and return date", arguments: labels)
    func labelled(_ label: Label) throws {
        let (mail, _) = try Self.read(label)
        #expect(Self.label(mail.incomingClass) == label.class, "rule \(mail.rule)")
        #expect(Self.person(mail) == label.person, "matched by \(mail.references) then \(mail.addresses)")
        if case .outOfOffice(let returns) = mail.incomingClass {
            #expect(returns?.description == label.returns, "rule \(mail.rule)")
        }
        #expect(!mail.rule.isEmpty)
    }

    @Test("the corpus is what the issue asks for: 150+ messages, 8+ mail systems, 12+ languages, every file labelled")
    func coverage() throws {
        #expect(Self.labels.count >= 150)
        #expect(Set(Self.labels.map(\.system)).subtracting(["human"]).count >= 8)
        #expect(Set(Self.labels.map { $0.language.split(separator: "-").first.map(String.init) ?? $0.language }).count >= 12)
        for group in Set(Self.labels.compactMap(\.group)) {
            let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.appendingPathComponent(group).path).filter { $0.hasSuffix(".eml") }
            #expect(Set(files) == Set(Self.labels.filter { $0.group == group }.map(\.file)), "\(group): files without labels or labels without files")
        }
        let classes = Set(Self.labels.map(\.class))
        for needed in ["reply", "bounce", "delay", "out-of-office", "unsubscribe", "meeting-accepted", "no-longer-here", "read-receipt"] {
            #expect(classes.contains(needed), "no \(needed) in the corpus")
        }
    }
}
