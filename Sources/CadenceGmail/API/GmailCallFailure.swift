import CadenceCore

/// How a Gmail call ended when it did not succeed, told apart by kind rather than by the words of a message.
enum GmailCallFailure: Error {
    /// 404: the item does not exist (a deleted message, an expired history position, an upload session gone).
    case notFound(String)
    /// Anything else, as what it means for a send.
    case send(SendFailure)

    var asSendFailure: SendFailure {
        switch self {
        case .notFound(let reason): .rejected(reason: reason)
        case .send(let failure): failure
        }
    }
}
