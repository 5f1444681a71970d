import Foundation

/// Gmail's answers as types, decoded once at the edge instead of probed as `[String: Any]` where they are used.
/// Only the fields Cadence reads; Gmail's uint64 ids (`historyId`) arrive as strings, and are also accepted as
/// numbers.
enum GmailResponses {
    /// A message as lists, history and `messages.send` name it.
    struct MessageRef: Decodable, Sendable {
        var id: String
        var threadId: String?
        var labelIds: [String]?
    }

    /// `messages.list`.
    struct MessageList: Decodable, Sendable {
        var messages: [MessageRef]?
        var nextPageToken: String?
    }

    /// `history.list`.
    struct HistoryList: Decodable, Sendable {
        struct Record: Decodable, Sendable {
            struct Added: Decodable, Sendable { var message: MessageRef }
            var messagesAdded: [Added]?
        }
        var history: [Record]?
        var historyId: UInt64String?
        var nextPageToken: String?
    }

    /// `messages.get` with `format=metadata`.
    struct Metadata: Decodable, Sendable {
        struct Payload: Decodable, Sendable {
            struct Header: Decodable, Sendable {
                var name: String
                var value: String
            }
            var headers: [Header]?
        }
        var id: String?
        var threadId: String?
        var historyId: UInt64String?
        var internalDate: UInt64String?
        var payload: Payload?

        /// When Gmail took the message (`internalDate`, milliseconds since 1970).
        var date: Date? {
            internalDate.flatMap { Double($0.value) }.map { Date(timeIntervalSince1970: $0 / 1000) }
        }

        /// The first header called `name`, any case.
        func header(_ name: String) -> String? {
            payload?.headers?.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// `messages.get` with `format=raw`.
    struct Raw: Decodable, Sendable {
        var raw: String?
        var threadId: String?
        var internalDate: UInt64String?
    }

    /// `users.getProfile`.
    struct Profile: Decodable, Sendable {
        var emailAddress: String?
        var historyId: UInt64String?
        var messagesTotal: Int?
    }

    /// `users.watch`.
    struct Watch: Decodable, Sendable {
        var historyId: UInt64String?
        var expiration: UInt64String?
    }

    /// An error answer: `{"error": {"code", "message", "status", "errors": [{"reason"}]}}`.
    struct ErrorBody: Decodable, Sendable {
        struct Detail: Decodable, Sendable {
            struct Reason: Decodable, Sendable { var reason: String? }
            var message: String?
            var status: String?
            var errors: [Reason]?
        }
        var error: Detail?
    }
}

/// A uint64 Gmail writes as a string (and that some proxies or older answers write as a number), kept as the
/// exact digits.
struct UInt64String: Decodable, Sendable, Equatable {
    var value: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            value = text
        } else {
            value = String(try container.decode(UInt64.self))
        }
    }
}

extension GoogleHTTP.Response {
    /// The body as `T`, or nil when it is not that shape.
    func decoded<T: Decodable>(_ type: T.Type) -> T? {
        try? JSONDecoder().decode(T.self, from: Data(body))
    }
}
