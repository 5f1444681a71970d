import Foundation

/// Collects output and writes it in large chunks: printing 100,000 messages one `print` at a time would spend
/// more time in system calls than in rendering.
public final class BufferedOutput {
    private let handle: FileHandle?
    private var buffer: [UInt8] = []
    /// Everything written, when built with `memory()` (for tests).
    public private(set) var captured: [UInt8] = []
    private let threshold = 1 << 16

    public init(_ handle: FileHandle) {
        self.handle = handle
        buffer.reserveCapacity(threshold * 2)
    }

    private init() {
        self.handle = nil
    }

    public static func memory() -> BufferedOutput { BufferedOutput() }

    public var capturedText: String { String(decoding: captured, as: UTF8.self) }

    public func write(_ bytes: [UInt8]) {
        buffer += bytes
        if buffer.count >= threshold { flush() }
    }

    public func write(_ text: String) {
        buffer += Array(text.utf8)
        if buffer.count >= threshold { flush() }
    }

    public func flush() {
        guard !buffer.isEmpty else { return }
        if let handle {
            handle.write(Data(buffer))
        } else {
            captured += buffer
        }
        buffer.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}
