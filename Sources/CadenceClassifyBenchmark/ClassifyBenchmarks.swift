import CadenceCore
import Foundation

/// `classify-corpus DIR ROUNDS`: messages classified per second on one core, over every `.eml` under DIR (the
/// labelled corpus), read exactly as `cadence run` reads incoming mail (`IncomingMail.read`: MIME, charsets, quote
/// cutting, every language table, bounce parsing, return dates). Side by side in the same run, the phrase search
/// alone two ways on the same texts: the one-pass matcher Cadence uses (`PhraseBook.find`) and the obvious peer,
/// `String.contains` for each phrase of each table. `classify-only DIR ROUNDS` runs the classifier alone, for a profiler.
enum ClassifyBenchmarks {
    static func main(_ arguments: [String]) -> Bool {
        guard arguments.count == 4, let rounds = Int(arguments[3]), rounds > 0 else {
            FileHandle.standardError.write(Data("usage: CadenceClassifyBenchmark classify-corpus DIR ROUNDS\n".utf8))
            return false
        }
        let root = URL(fileURLWithPath: arguments[2])
        var messages: [[UInt8]] = []
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let url = walker?.nextObject() as? URL {
            if url.pathExtension == "eml", let data = try? Data(contentsOf: url) { messages.append(Array(data)) }
        }
        guard !messages.isEmpty else {
            FileHandle.standardError.write(Data("no .eml files under \(root.path)\n".utf8))
            return false
        }
        let book = PhraseBook.standard
        let received = Date(timeIntervalSince1970: 1_796_119_200)
        _ = IncomingMail.read(messages[0], receivedAt: received)  // tables loaded before timing
        if arguments[1] == "classify-only" {
            // For a profiler: the classifier alone, without the peer comparison that would dominate the samples.
            var rules = 0
            for _ in 0..<rounds { for message in messages { rules &+= IncomingMail.read(message, receivedAt: received).rule.count } }
            print("(checksum \(rules))")
            return true
        }
        print("corpus: \(messages.count) messages, \(messages.reduce(0) { $0 + $1.count }) bytes; \(rounds) rounds each")

        var classifyRates: [Double] = []
        var classes = 0
        for _ in 0..<rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            for message in messages { classes &+= IncomingMail.read(message, receivedAt: received).rule.count }
            classifyRates.append(Double(messages.count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
        }

        // The texts the phrase search runs on: each message's subject and its fresh text.
        let texts: [String] = messages.compactMap { raw in
            guard let message = try? MailMessage.parse(raw) else { return nil }
            return HeaderEncoding.decode(message.header("Subject") ?? "") + "\n" + FreshText.of(message.plainText ?? "")
        }
        let phrases = book.tables.flatMap { table -> [String] in
            let p = table.phrases
            return [
                p.autoReplySubject, p.outOfOffice, p.noLongerHere, p.notMonitored, p.ticket, p.unsubscribe, p.bounceSubject, p.bounceText,
                p.delayText, p.readReceiptSubject, p.meetingAccepted, p.meetingDeclined, p.meetingTentative,
            ].joined().map(\.text)
        }
        var matcherRates: [Double] = []
        var naiveRates: [Double] = []
        var hits = 0
        for _ in 0..<rounds {
            var start = DispatchTime.now().uptimeNanoseconds
            for text in texts { hits &+= book.find(in: text).count }
            matcherRates.append(Double(texts.count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
            start = DispatchTime.now().uptimeNanoseconds
            for text in texts {
                let lower = text.lowercased()
                for phrase in phrases where lower.contains(phrase) { hits &+= 1 }
            }
            naiveRates.append(Double(texts.count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
        }
        func median(_ values: [Double]) -> Int { Int(values.sorted()[values.count / 2]) }
        print("classify (IncomingMail.read, whole message):      median \(median(classifyRates)) messages/s, slowest round \(Int(classifyRates.min()!))")
        print("phrase search, one-pass matcher (\(phrases.count) phrases): median \(median(matcherRates)) texts/s")
        print("phrase search, String.contains per phrase (peer):  median \(median(naiveRates)) texts/s")
        print("(checksums \(classes) \(hits))")
        return true
    }
}
