import Foundation

/// Every language table, read once from the files embedded in the module (`Phrases/*.json`, no I/O at run time),
/// and the matcher that finds all their phrases in a text at once.
public struct PhraseBook: Sendable {
    /// One phrase of one table: what it is evidence of and in which language.
    public struct Entry: Sendable, Equatable {
        public var kind: PhraseKind
        public var language: String
        public var strong: Bool
        public var text: String
    }

    /// A phrase found in a text, with the byte range it covers in the normalised text.
    public struct Found: Sendable, Equatable {
        public var entry: Entry
        public var start: Int
        public var end: Int
    }

    public let tables: [PhraseTable]
    private let matcher: PhraseMatcher
    private let entries: [[Entry]]
    private let quoteMatcher: PhraseMatcher
    private let quoteKinds: [QuoteWord]

    /// Month and weekday names of every language (1 = Sunday), and the words written before and after a return
    /// date, for `ReturnDate`.
    let months: [String: Int]
    let weekdays: [String: Int]
    let returnBefore: PhraseMatcher
    let returnAfter: PhraseMatcher
    let negations: PhraseMatcher
    /// Weekday names written without spaces around them (月曜日, 周一, 월요일), found by substring: a CJK sentence is
    /// one token to `ReturnDate`'s scanner.
    let unspacedWeekdays: PhraseMatcher
    let unspacedWeekdayNumbers: [Int]

    enum QuoteWord: Sendable, Equatable {
        case wrote, originalMessage
        case field(String)
    }

    /// The tables Cadence ships, in the order languages are tried for dates (English last: its slashed dates are
    /// ambiguous).
    public static let standard: PhraseBook = {
        let files: [(String, [UInt8])] = PhraseResources.all
        var tables: [PhraseTable] = []
        for (name, bytes) in files {
            do {
                tables.append(try JSONDecoder().decode(PhraseTable.self, from: Data(bytes)))
            } catch {
                // The tables are part of the build and `PhraseTableTests` reads every one: this cannot happen in a
                // shipped binary.
                preconditionFailure("Phrases/\(name) is not a valid phrase table: \(error)")
            }
        }
        return PhraseBook(tables: tables)
    }()

    public init(tables: [PhraseTable]) {
        self.tables = tables
        var texts: [String] = []
        var indexOf: [String: Int] = [:]
        var entries: [[Entry]] = []
        for table in tables {
            for kind in PhraseKind.allCases {
                for phrase in kind.phrases(in: table) {
                    let text = PhraseText.normalizedString(phrase.text)
                    guard !text.isEmpty else { continue }
                    let entry = Entry(kind: kind, language: table.language, strong: phrase.strong ?? false, text: text)
                    if let index = indexOf[text] {
                        if !entries[index].contains(entry) { entries[index].append(entry) }
                    } else {
                        indexOf[text] = texts.count
                        texts.append(text)
                        entries.append([entry])
                    }
                }
            }
        }
        self.entries = entries
        matcher = PhraseMatcher(texts)
        var quoteTexts: [String] = []
        var quoteKinds: [QuoteWord] = []
        for table in tables {
            for word in table.quoteHeaders.wrote {
                quoteTexts.append(PhraseText.normalizedString(word))
                quoteKinds.append(.wrote)
            }
            for word in table.quoteHeaders.originalMessage {
                quoteTexts.append(PhraseText.normalizedString(word))
                quoteKinds.append(.originalMessage)
            }
            for (field, words) in table.quoteHeaders.headerFields {
                for word in words {
                    quoteTexts.append(PhraseText.normalizedString(word))
                    quoteKinds.append(.field(field))
                }
            }
        }
        quoteMatcher = PhraseMatcher(quoteTexts)
        self.quoteKinds = quoteKinds
        var months: [String: Int] = [:]
        var weekdays: [String: Int] = [:]
        for table in tables {
            for (name, number) in table.months { months[PhraseText.normalizedString(name)] = months[PhraseText.normalizedString(name)] ?? number }
            for (name, number) in table.weekdays { weekdays[PhraseText.normalizedString(name)] = weekdays[PhraseText.normalizedString(name)] ?? number }
        }
        self.months = months
        self.weekdays = weekdays
        returnBefore = PhraseMatcher(tables.flatMap(\.returnMarkers.before).map(PhraseText.normalizedString))
        returnAfter = PhraseMatcher(tables.flatMap(\.returnMarkers.after).map(PhraseText.normalizedString))
        let unspaced = weekdays.filter { name, _ in !name.unicodeScalars.contains(where: PhraseText.isSpacedWordCharacter) }.sorted { $0.key < $1.key }
        unspacedWeekdays = PhraseMatcher(unspaced.map(\.key))
        unspacedWeekdayNumbers = unspaced.map(\.value)
        negations = PhraseMatcher(tables.flatMap { $0.negations ?? [] }.map(PhraseText.normalizedString))
    }

    /// Every phrase of every table in `text`.
    public func find(in text: String) -> [Found] {
        find(normalized: PhraseText.normalized(text))
    }

    func find(normalized bytes: [UInt8]) -> [Found] {
        matcher.hits(in: bytes).flatMap { hit in entries[hit.pattern].map { Found(entry: $0, start: hit.start, end: hit.end) } }
    }

    /// The quote-header words in one normalised line.
    func quoteWords(in bytes: [UInt8]) -> [(word: QuoteWord, start: Int, end: Int)] {
        quoteMatcher.hits(in: bytes).map { (quoteKinds[$0.pattern], $0.start, $0.end) }
    }

    /// How many bytes the longest quote-header word takes, normalised.
    var longestQuoteWord: Int { quoteMatcher.longest }

    /// The quote-header words that start a normalised line (a label such as "Von:"). Only as much of the line is
    /// searched as the longest word can reach, plus one character to see that the word ends there.
    func leadingQuoteWords(in bytes: [UInt8]) -> [(word: QuoteWord, start: Int, end: Int)] {
        quoteWords(in: Array(bytes.prefix(quoteMatcher.longest + 4))).filter { $0.start == 0 }
    }

    /// Whether a negation of some language ends within a few bytes before `start` in the normalised text.
    func isNegated(before start: Int, in text: [UInt8]) -> Bool {
        let from = max(0, start - 24)
        return negations.hits(in: Array(text[from..<start])).contains { hit in start - from - hit.end <= 4 }
    }

    public func table(_ language: String) -> PhraseTable? { tables.first { $0.language == language } }
}
