extension Substring {
    /// Without the scalars `isTrimmed` accepts at either end, spaces and tabs by default. Written by hand because
    /// Foundation's `trimmingCharacters(in:)` goes through NSString on Linux, which made it a tenth of the time spent
    /// reading a message (see the classifier benchmark in BENCHMARKS.md).
    func trimmed(_ isTrimmed: (Unicode.Scalar) -> Bool = Unicode.Scalar.isBlank) -> String {
        var scalars = unicodeScalars
        while let first = scalars.first, isTrimmed(first) { scalars = scalars.dropFirst() }
        while let last = scalars.last, isTrimmed(last) { scalars = scalars.dropLast() }
        return String(scalars)
    }
}

extension String {
    /// See `Substring.trimmed(_:)`.
    func trimmed(_ isTrimmed: (Unicode.Scalar) -> Bool = Unicode.Scalar.isBlank) -> String { self[...].trimmed(isTrimmed) }
}

extension Unicode.Scalar {
    /// What `CharacterSet.whitespaces` holds on Linux: tab, the space separators and the zero-width space.
    static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || (scalar.value >= 0x80 && (scalar.value == 0x200B || scalar.properties.generalCategory == .spaceSeparator))
    }
}
