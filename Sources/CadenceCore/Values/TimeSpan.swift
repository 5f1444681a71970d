/// A short span written as `"90s"`, `"2m"` or `"1h"`: the minimum gap between two sends from a mailbox.
public enum TimeSpan {
    /// Seconds in `text`, or a message saying how to write it.
    public static func parseSeconds(_ text: String) -> Result<Int, DelayError> {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let unit = text.dropFirst(digits.count)
        let help = "write a whole number and a unit: \"90s\", \"2m\" or \"1h\""
        guard !digits.isEmpty, digits.count <= 6, let count = Int(digits) else {
            return .failure(DelayError("\"\(text)\" is not a time span; \(help)"))
        }
        let seconds: Int
        switch unit {
        case "s": seconds = count
        case "m": seconds = count * 60
        case "h": seconds = count * 3600
        default: return .failure(DelayError("\"\(text)\" is not a time span; \(help)"))
        }
        guard seconds <= 24 * 3600 else {
            return .failure(DelayError("\"\(text)\" is longer than a day; the longest gap is \"24h\""))
        }
        return .success(seconds)
    }
}
