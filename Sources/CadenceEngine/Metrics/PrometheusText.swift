import Foundation

/// Several processes' Prometheus text as one page. The format wants each metric family once, its samples
/// together under one `# TYPE` line, so the runners' pages are merged family by family, each sample given the
/// label of the process it came from. Written here because swift-prometheus emits a registry but does not read
/// one, and the runners' registries live in other processes.
enum PrometheusText {
    private struct Family {
        var header: [String] = []
        var samples: [String] = []
    }

    static func merge(_ pages: [(label: (name: String, value: String), text: String)], except taken: Set<String> = []) -> String {
        var order: [String] = []
        var families: [String: Family] = [:]
        for page in pages {
            var current: String?
            for line in page.text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) {
                if line.hasPrefix("#") {
                    let parts = line.split(separator: " ", maxSplits: 3).map(String.init)
                    guard parts.count >= 3, parts[1] == "TYPE" || parts[1] == "HELP" else { continue }
                    let name = parts[2]
                    if families[name] == nil {
                        families[name] = Family()
                        order.append(name)
                    }
                    // The first page's header stands for every page: the same code wrote them all.
                    if !families[name]!.header.contains(where: { $0.hasPrefix("# \(parts[1]) ") }) { families[name]!.header.append(line) }
                    if parts[1] == "TYPE" { current = name }
                    continue
                }
                let name = String(line.prefix { $0 != "{" && $0 != " " })
                guard !name.isEmpty else { continue }
                // A histogram's `_bucket`, `_sum` and `_count` belong to the family its `# TYPE` named.
                let family = current.map { name == $0 || name.hasPrefix($0 + "_") } == true ? current! : name
                if families[family] == nil {
                    families[family] = Family()
                    order.append(family)
                }
                families[family]!.samples.append(labelled(line, name: name, with: page.label))
            }
        }
        var text = ""
        for name in order where !taken.contains(name) {
            guard let family = families[name], !family.samples.isEmpty else { continue }
            text += family.header.map { $0 + "\n" }.joined() + family.samples.map { $0 + "\n" }.joined()
        }
        return text
    }

    /// `line` with `label` first among its labels.
    static func labelled(_ line: String, name: String, with label: (name: String, value: String)) -> String {
        let value = label.value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
        let rest = line.dropFirst(name.count)
        if rest.hasPrefix("{") {
            let inside = rest.dropFirst()
            return name + "{\(label.name)=\"\(value)\"" + (inside.hasPrefix("}") ? "" : ",") + inside
        }
        return name + "{\(label.name)=\"\(value)\"}" + rest
    }
}
