/// A place in a source file, 1-based, as editors and compilers print it.
///
/// Columns count Unicode scalars (a tab is one column), so `é` is one column whatever its UTF-8 length. Column 0
/// means the whole line (a CSV row), printed as `file:line:`.
public struct SourcePosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (lhs: SourcePosition, rhs: SourcePosition) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    public static func line(_ line: Int) -> SourcePosition { SourcePosition(line: line, column: 0) }

    public var description: String { column == 0 ? "\(line)" : "\(line):\(column)" }
}
