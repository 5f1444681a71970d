/// What a phrase in a language table is evidence of.
public enum PhraseKind: String, Sendable, CaseIterable {
    case autoReplySubject, outOfOffice, noLongerHere, notMonitored, ticket, unsubscribe
    case bounceSubject, bounceText, delayText, readReceiptSubject
    case meetingAccepted, meetingDeclined, meetingTentative

    func phrases(in table: PhraseTable) -> [PhraseTable.Phrase] {
        let phrases = table.phrases
        return switch self {
        case .autoReplySubject: phrases.autoReplySubject
        case .outOfOffice: phrases.outOfOffice
        case .noLongerHere: phrases.noLongerHere
        case .notMonitored: phrases.notMonitored
        case .ticket: phrases.ticket
        case .unsubscribe: phrases.unsubscribe
        case .bounceSubject: phrases.bounceSubject
        case .bounceText: phrases.bounceText
        case .delayText: phrases.delayText
        case .readReceiptSubject: phrases.readReceiptSubject
        case .meetingAccepted: phrases.meetingAccepted
        case .meetingDeclined: phrases.meetingDeclined
        case .meetingTentative: phrases.meetingTentative
        }
    }
}
