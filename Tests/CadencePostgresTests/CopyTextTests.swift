import Foundation
import Logging
import NIOCore
import PostgresNIO
import Testing

@testable import CadencePostgres

@Suite("COPY text: what a launch streams reads back as the values it stands for", .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
struct CopyTextTests {
    @Test("timestamps equal the same dates bound as parameters, to the microsecond; text with tabs, breaks and backslashes comes back whole")
    func roundTrip() async throws {
        let dates = [
            Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 946_684_799.999_999), Date(timeIntervalSince1970: 946_684_800),
            Date(timeIntervalSince1970: 1_796_115_600.123_456), Date(timeIntervalSince1970: 951_782_400),  // 2000-02-29
            Date(timeIntervalSince1970: 4_107_542_399.5),  // 2100-02-28 23:59:59.5
            Date(timeIntervalSince1970: -86_400.25),
        ]
        let texts = ["plain", "tab\there", "line\nbreak\r\n", #"back\slash \N \\"#, "Zoë \"quoted\"", ""]
        try await PostgresTestServer.withScratchDatabase { url in
            let connector = try PostgresTestServer.database(url)
            try await connector.withConnection { connection in
                let logger = Logger(label: "test")
                try await connection.query("CREATE TABLE copied (n INTEGER, at TIMESTAMPTZ, note TEXT)", logger: logger)
                var text = CopyText()
                for (index, date) in dates.enumerated() {
                    text.row { row in
                        row.integer(Int64(index))
                        row.raw(CopyText.timestamp(date))
                        row.text(index < texts.count ? texts[index] : nil)
                    }
                }
                let buffer = text.buffer
                try await connection.copyFrom(table: "copied", columns: ["n", "at", "note"], logger: logger) { writer in try await writer.write(buffer) }
                for (index, date) in dates.enumerated() {
                    let row = try await connection.query("SELECT at = \(date), note FROM copied WHERE n = \(Int32(index))", logger: logger).collect().first
                    let (same, note) = try #require(row).decode((Bool, String?).self)
                    #expect(same, "\(date) was written as \(CopyText.timestamp(date))")
                    #expect(note == (index < texts.count ? texts[index] : nil))
                }
            }
        }
    }
}
