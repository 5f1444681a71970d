import CadenceCore
import CadenceGmail
import CadencePostgres
import CadenceStore
import Foundation
import PostgresNIO

/// A PostgreSQL database as it stands, written into a scratch SQLite file: what `launch --dry-run` and
/// `run --simulate` work on, so that neither touches the real database nor holds up its runners.
///
/// Unlike `cadence db copy` it takes no lease (runners keep sending meanwhile): every table is read in one
/// read-only transaction at repeatable read, so the file holds one consistent moment of the database.
public enum DatabaseSnapshot {
    public static func copy(
        _ url: String, passwordReference: SecretReference?, secrets: SecretStore, environment: [String: String], to path: String
    ) async throws(DatabaseCommandFailure) -> CadenceDatabase {
        let connector = try PostgresTarget.connector(url, passwordReference: passwordReference, secrets: secrets, environment: environment)
        do {
            try await PostgresMigrator.requireLatest(connector)
        } catch {
            throw .postgres(error)
        }
        let database: CadenceDatabase
        do {
            database = try CadenceDatabase.open(path: path, mode: .create)
        } catch {
            throw .store(error)
        }
        do {
            try await connector.withConnection { connection in
                try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: connector.logger)
                let io = PostgresTableIO(connection: connection, logger: connector.logger)
                for table in TableLayout.copied {
                    var after: [CellValue]?
                    let size = DatabaseCopy.pageSize(table)
                    while true {
                        let read = try await io.rows(of: table, after: after, limit: size)
                        let page = table.page(read)
                        try database.insert(page.rows, into: table)
                        after = page.next
                        if read.count < size { break }
                    }
                }
                try await connection.query("COMMIT", logger: connector.logger)
            }
            try database.clearSendFences()
        } catch {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            if let failure = error as? PostgresFailure { throw .postgres(failure) }
            throw .copy("could not read \(connector.settings) into a scratch file: \(error)")
        }
        return database
    }
}
