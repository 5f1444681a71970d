import Foundation

/// Runs the `cadence` binary that `swift build` put beside the test bundle, as a person would from a shell.
///
/// The test target depends on the `cadence` executable, so it is always built before the tests run; nothing here
/// builds or runs `swift test` recursively.
enum CadenceBinary {
    struct Output: Equatable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `CADENCE_BINARY` points the tests at another build of the binary (`.ci/run` sets it to the release build).
    static let overrideVariable = "CADENCE_BINARY"

    static var executable: URL {
        if let path = ProcessInfo.processInfo.environment[overrideVariable], !path.isEmpty { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cadence")
    }

    static func run(
        _ arguments: [String], in directory: URL = repositoryRoot, environment: [String: String] = [:], executable: URL = executable
    ) throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var inherited = ProcessInfo.processInfo.environment
        inherited.removeValue(forKey: "CADENCE_CONFIG")
        inherited.removeValue(forKey: overrideVariable)
        process.environment = inherited.merging(environment) { $1 }
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes to the end before waiting, so a large output cannot block the child.
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self))
    }
}
