import CadenceCore
import Foundation

/// Finds the password for a connection as libpq does: the URL's or `PGPASSWORD` (already in the settings), else the
/// password file. A password file that group or others can read is refused, not skipped: libpq skips it with a
/// warning, which leaves the operator guessing why authentication fails.
public enum PostgresPasswordLookup {
    public static func complete(_ settings: PostgresSettings) throws(PostgresFailure) -> PostgresSettings {
        guard settings.password == nil, let path = settings.passwordFile else { return settings }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue
        else { return settings }  // no file: no password from it, as in libpq
        guard mode & 0o077 == 0 else { throw .passwordFileOpen(path: path, mode: mode & 0o777) }
        guard let bytes = FileManager.default.contents(atPath: path), let contents = String(data: bytes, encoding: .utf8) else {
            return settings
        }
        var completed = settings
        if let password = PostgresPasswordFile.password(in: contents, for: settings) {
            completed.password = password
            completed.passwordSource = .passwordFile(path)
        }
        return completed
    }
}
