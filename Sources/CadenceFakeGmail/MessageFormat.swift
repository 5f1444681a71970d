import CadenceCore
import Foundation

/// A stored message in `messages.get`'s four formats, shaped as Gmail's `Message` resource.
enum MessageFormat {
    static func render(_ message: FakeMessage, format: String, metadataHeaders: [String]) -> [String: Any] {
        let parsed = try? MailMessage.parse(message.raw)
        var body: [String: Any] = [
            "id": message.id, "threadId": message.threadID, "labelIds": message.labelIDs,
            "snippet": snippet(parsed), "historyId": String(message.historyID),
            "internalDate": String(Int64(message.internalDate.timeIntervalSince1970 * 1000)), "sizeEstimate": message.raw.count,
        ]
        switch format {
        case "raw":
            body["raw"] = Base64.urlEncoded(message.raw)
        case "metadata":
            guard let parsed else { break }
            let wanted = Set(metadataHeaders.map { $0.lowercased() })
            let headers = parsed.headers.filter { wanted.isEmpty || wanted.contains($0.name.lowercased()) }
            body["payload"] =
                [
                    "partId": "", "mimeType": parsed.mimeType, "filename": "",
                    "headers": headers.map { ["name": $0.name, "value": $0.value] }, "body": ["size": 0],
                ] as [String: Any]
        case "full":
            guard let parsed else { break }
            var counter = 0
            body["payload"] = part(parsed, partID: "", messageID: message.id, counter: &counter)
        default:
            break  // minimal: ids and labels only
        }
        return body
    }

    private static func part(_ part: MailMessage, partID: String, messageID: String, counter: inout Int) -> [String: Any] {
        let filename = part.parameter("filename", of: "Content-Disposition") ?? part.parameter("name") ?? ""
        var result: [String: Any] = [
            "partId": partID, "mimeType": part.mimeType, "filename": filename,
            "headers": part.headers.map { ["name": $0.name, "value": $0.value] },
        ]
        if part.mimeType.hasPrefix("multipart/") {
            result["body"] = ["size": 0]
            result["parts"] = part.parts.enumerated().map { index, child in
                Self.part(child, partID: partID.isEmpty ? String(index) : "\(partID).\(index)", messageID: messageID, counter: &counter)
            }
        } else {
            let data = part.decodedBody
            if filename.isEmpty {
                result["body"] = ["size": data.count, "data": Base64.urlEncoded(data)] as [String: Any]
            } else {
                counter += 1
                result["body"] = ["size": data.count, "attachmentId": "ANGjdJ\(messageID)\(counter)"] as [String: Any]
            }
        }
        return result
    }

    static func snippet(_ parsed: MailMessage?) -> String {
        guard let text = parsed?.plainText else { return "" }
        let collapsed = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        return String(collapsed.prefix(200))
    }
}

/// The Gmail search terms Cadence uses in `messages.list`'s `q`. A term the fake does not know is an error, so a
/// test cannot pass on a query Gmail would read differently.
struct SearchQuery {
    enum Term {
        case label(String)
        case messageID(String)
        case from(String)
        case to(String)
        case subject(String)
        case after(Date)
        case before(Date)
        case newerThan(days: Int)
        /// `-in:sent`: Gmail's negation of a label term.
        case notLabel(String)
    }

    var terms: [Term]

    static func parse(_ q: String) -> Result<SearchQuery, FakeQueryProblem> {
        var terms: [Term] = []
        for word in q.split(separator: " ") {
            let negated = word.hasPrefix("-")
            let pair = word.dropFirst(negated ? 1 : 0).split(separator: ":", maxSplits: 1)
            guard pair.count == 2 else {
                return .failure(FakeQueryProblem("the fake Gmail does not support free-text search (\"\(word)\"); use in:, rfc822msgid:, from:, to:, subject:, after:, before:"))
            }
            let value = String(pair[1])
            switch pair[0].lowercased() {
            case "in", "label":
                var label = value.uppercased()
                if label == "DRAFTS" { label = "DRAFT" }
                guard ["SENT", "INBOX", "SPAM", "TRASH", "DRAFT", "UNREAD"].contains(label) else { return .failure(FakeQueryProblem("unknown label in \(word)")) }
                terms.append(negated ? .notLabel(label) : .label(label))
            case _ where negated:
                return .failure(FakeQueryProblem("the fake Gmail supports negation only for in: and label: (\(word))"))
            case "rfc822msgid":
                let id = value.hasPrefix("<") ? value : "<\(value)>"
                terms.append(.messageID(id))
            case "from": terms.append(.from(value.lowercased()))
            case "to": terms.append(.to(value.lowercased()))
            case "subject": terms.append(.subject(value.lowercased()))
            case "newer_than":
                guard value.hasSuffix("d"), let days = Int(value.dropLast()) else { return .failure(FakeQueryProblem("\(word): write newer_than:7d")) }
                terms.append(.newerThan(days: days))
            case "after", "before":
                guard let date = date(value) else { return .failure(FakeQueryProblem("\(word): write epoch seconds or yyyy/mm/dd")) }
                terms.append(pair[0].lowercased() == "after" ? .after(date) : .before(date))
            default:
                return .failure(FakeQueryProblem("the fake Gmail does not support the search operator \(pair[0]):"))
            }
        }
        return .success(SearchQuery(terms: terms))
    }

    /// Epoch seconds, or `yyyy/mm/dd` as midnight US Pacific, as Gmail reads it.
    private static func date(_ text: String) -> Date? {
        if let seconds = Int(text) { return Date(timeIntervalSince1970: Double(seconds)) }
        let parts = text.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "America/Los_Angeles")!
        return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))
    }

    func matches(_ message: FakeMessage, now: Date) -> Bool {
        terms.allSatisfy { term in
            switch term {
            case .label(let label): message.labelIDs.contains(label)
            case .notLabel(let label): !message.labelIDs.contains(label)
            case .messageID(let id): message.messageID == id
            case .from(let address): message.from.lowercased().contains(address)
            case .to(let address): message.recipients.contains { $0.lowercased().contains(address) }
            case .subject(let word): message.subject.lowercased().contains(word)
            case .after(let date): message.internalDate > date
            case .before(let date): message.internalDate < date
            case .newerThan(let days): message.internalDate > now.addingTimeInterval(-Double(days) * 86_400)
            }
        }
    }
}

struct FakeQueryProblem: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
