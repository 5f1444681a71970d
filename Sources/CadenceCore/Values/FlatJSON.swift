/// A `[String: String]` as a JSON object with sorted keys: candidate fields and variant choices are stored this
/// way on every enrolment, so a launch of 100,000 rows cannot afford `JSONEncoder` for each.
public enum FlatJSON {
    public static func encode(_ map: [String: String]) -> String {
        var output = "{"
        for (index, key) in map.keys.sorted().enumerated() {
            if index > 0 { output += "," }
            append(key, to: &output)
            output += ":"
            append(map[key]!, to: &output)
        }
        return output + "}"
    }

    private static func append(_ string: String, to output: inout String) {
        // Most cells need no escaping: append them whole.
        if !string.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            output += "\""
            output += string
            output += "\""
            return
        }
        output += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                output += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
