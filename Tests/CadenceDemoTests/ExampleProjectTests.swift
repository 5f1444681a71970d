import CadenceDemo
import Foundation
import Testing

@Suite("The example project built into cadence")
struct ExampleProjectTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("every built-in file is byte for byte the repository's own copy, which the README and the tests use")
    func sameAsRepository() throws {
        for file in ExampleProject.files where file.path != ".gitignore" {
            let repository = try Data(contentsOf: Self.repositoryRoot.appendingPathComponent(file.path))
            #expect(Array(repository) == file.bytes, "\(file.path)")
        }
    }
}
