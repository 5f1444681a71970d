import Foundation

/// fsync on a folder: a rename is only durable once the folder that holds the new name is on disk.
enum FolderSync {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func sync(_ folder: String) throws {
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(folder): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw Failure(description: "cannot sync \(folder) to disk: \(String(cString: strerror(errno)))") }
    }
}
