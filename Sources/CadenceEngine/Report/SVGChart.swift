import CadenceCore
import Foundation

/// The report's charts, drawn as inline SVG by the project: nothing is fetched (no script, font or image), they
/// print, and each has a `<title>` and `<desc>` for screen readers and a table with the same figures beside it.
enum SVGChart {
    static let ink = "#1f2933"
    static let faint = "#9aa5b1"
    static let palette = ["#2f6fde", "#11a37f", "#e0a100", "#d1495b", "#7b61c9", "#3c9fc8"]

    /// XML text and attribute values: the same escaping the merge templates use for HTML.
    static func escape(_ text: String) -> String { HTMLEscaping.escape(text) }

    static func number(_ value: Double) -> String { String(format: "%.1f", value) }

    static func open(width: Int, height: Int, title: String, description: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" role="img" \
        font-family="sans-serif" font-size="12"><title>\(escape(title))</title><desc>\(escape(description))</desc>
        """
    }

    /// One group of horizontal bars per item (a step), one bar per stage (sent, delivered, …), each as long as its
    /// share of the group's first stage, with the count and share printed after it.
    static func funnel(title: String, groups: [(label: String, stages: [(name: String, value: Int)])]) -> String {
        let barHeight = 14, gap = 4, labelWidth = 150, width = 720
        let barSpace = width - labelWidth - 110
        let rows = groups.reduce(0) { $0 + $1.stages.count }
        let height = rows * (barHeight + gap) + groups.count * 22 + 10
        var svg = open(width: width, height: height, title: title, description: "Bars per step: each stage as a share of the step's sends.")
        var y = 4
        for group in groups {
            y += 14
            svg += "<text x=\"0\" y=\"\(y)\" fill=\"\(ink)\" font-weight=\"bold\">\(escape(group.label))</text>"
            y += 6
            let base = max(1, group.stages.first?.value ?? 1)
            for (index, stage) in group.stages.enumerated() {
                let length = Double(barSpace) * Double(stage.value) / Double(base)
                let share = group.stages.first.map { $0.value == 0 ? "" : " (\(Int((Double(stage.value) * 100 / Double($0.value)).rounded()))%)" } ?? ""
                svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + barHeight - 3)\" text-anchor=\"end\" fill=\"\(ink)\">\(escape(stage.name))</text>"
                svg +=
                    "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(number(max(length, stage.value > 0 ? 1 : 0)))\" height=\"\(barHeight)\" fill=\"\(palette[index % palette.count])\"/>"
                svg += "<text x=\"\(number(Double(labelWidth) + length + 6))\" y=\"\(y + barHeight - 3)\" fill=\"\(ink)\">\(stage.value)\(share)</text>"
                y += barHeight + gap
            }
        }
        return svg + "</svg>"
    }

    /// Counts over time: the first series as bars, the others as lines, one point per period.
    static func timeline(title: String, labels: [String], series: [(name: String, values: [Int])]) -> String {
        let width = 720, height = 260, left = 44, right = 16, top = 28, bottom = 40
        let plotWidth = Double(width - left - right), plotHeight = Double(height - top - bottom)
        let highest = max(1, series.flatMap(\.values).max() ?? 1)
        let count = max(1, labels.count)
        let step = plotWidth / Double(count)
        func y(_ value: Int) -> Double { Double(top) + plotHeight - plotHeight * Double(value) / Double(highest) }
        var svg = open(
            width: width, height: height, title: title,
            description: "\(series.map(\.name).joined(separator: ", ")) per period, \(labels.first ?? "") to \(labels.last ?? "").")
        svg += "<line x1=\"\(left)\" y1=\"\(number(y(0)))\" x2=\"\(width - right)\" y2=\"\(number(y(0)))\" stroke=\"\(faint)\"/>"
        svg += "<text x=\"\(left - 6)\" y=\"\(number(y(highest) + 4))\" text-anchor=\"end\" fill=\"\(ink)\">\(highest)</text>"
        svg += "<text x=\"\(left - 6)\" y=\"\(number(y(0) + 4))\" text-anchor=\"end\" fill=\"\(ink)\">0</text>"
        let every = max(1, count / 8)
        for (index, label) in labels.enumerated() where index % every == 0 {
            svg += "<text x=\"\(number(Double(left) + step * (Double(index) + 0.5)))\" y=\"\(height - bottom + 16)\" text-anchor=\"middle\" fill=\"\(ink)\">\(escape(label))</text>"
        }
        for (position, line) in series.enumerated() {
            let color = palette[position % palette.count]
            if position == 0 {
                for (index, value) in line.values.enumerated() where value > 0 {
                    svg +=
                        "<rect x=\"\(number(Double(left) + step * Double(index) + step * 0.15))\" y=\"\(number(y(value)))\" width=\"\(number(step * 0.7))\" height=\"\(number(y(0) - y(value)))\" fill=\"\(color)\" opacity=\"0.35\"/>"
                }
            } else {
                let points = line.values.enumerated().map { "\(number(Double(left) + step * (Double($0.offset) + 0.5))),\(number(y($0.element)))" }
                svg += "<polyline points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>"
            }
            svg += "<rect x=\"\(left + position * 150)\" y=\"6\" width=\"12\" height=\"12\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(left + position * 150 + 16)\" y=\"16\" fill=\"\(ink)\">\(escape(line.name))</text>"
        }
        return svg + "</svg>"
    }

    /// 7 rows (Monday first) by 24 hours, each cell shaded by its share of the busiest cell.
    static func heatmap(title: String, cells: [Int]) -> String {
        let cell = 24, left = 40, top = 24
        let width = left + 24 * cell + 10, height = top + 7 * cell + 10
        let highest = max(1, cells.max() ?? 1)
        var svg = open(width: width, height: height, title: title, description: "Replies by weekday and hour in each person's own time zone; darker is more.")
        for hour in stride(from: 0, to: 24, by: 3) {
            svg += "<text x=\"\(left + hour * cell + cell / 2)\" y=\"\(top - 8)\" text-anchor=\"middle\" fill=\"\(ink)\">\(hour)</text>"
        }
        for (day, name) in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].enumerated() {
            svg += "<text x=\"\(left - 6)\" y=\"\(top + day * cell + cell / 2 + 4)\" text-anchor=\"end\" fill=\"\(ink)\">\(name)</text>"
            for hour in 0..<24 {
                let value = cells.indices.contains(day * 24 + hour) ? cells[day * 24 + hour] : 0
                let shade = value == 0 ? 0.04 : 0.15 + 0.85 * Double(value) / Double(highest)
                svg +=
                    "<rect x=\"\(left + hour * cell)\" y=\"\(top + day * cell)\" width=\"\(cell - 2)\" height=\"\(cell - 2)\" fill=\"\(palette[0])\" opacity=\"\(number(shade))\"><title>\(name) \(hour):00: \(value)</title></rect>"
            }
        }
        return svg + "</svg>"
    }
}
