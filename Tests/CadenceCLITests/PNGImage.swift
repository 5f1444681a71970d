import CZlib
import Foundation

/// Just enough of PNG to tell whether Chromium drew anything: 8-bit RGB or RGBA, not interlaced, as Chromium's
/// screenshots are. Decoded with the system's zlib and the five scanline filters of the PNG spec.
struct PNGImage {
    var width: Int
    var height: Int
    /// RGB, row by row.
    var pixels: [UInt8]

    enum Failure: Error, CustomStringConvertible {
        case notPNG
        case unsupported(String)
        case corrupt(String)
        var description: String {
            switch self {
            case .notPNG: "not a PNG file"
            case .unsupported(let what): "unsupported PNG: \(what)"
            case .corrupt(let what): "corrupt PNG: \(what)"
            }
        }
    }

    init(_ data: [UInt8]) throws {
        guard data.count > 8, data.prefix(8).elementsEqual([137, 80, 78, 71, 13, 10, 26, 10]) else { throw Failure.notPNG }
        func u32(_ at: Int) -> Int { Int(data[at]) << 24 | Int(data[at + 1]) << 16 | Int(data[at + 2]) << 8 | Int(data[at + 3]) }
        var offset = 8
        var width = 0, height = 0, channels = 0
        var compressed: [UInt8] = []
        while offset + 8 <= data.count {
            let length = u32(offset)
            let type = String(decoding: data[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let body = offset + 8
            guard body + length <= data.count else { throw Failure.corrupt("chunk \(type) runs past the end") }
            switch type {
            case "IHDR":
                width = u32(body)
                height = u32(body + 4)
                guard data[body + 8] == 8, data[body + 12] == 0 else { throw Failure.unsupported("bit depth \(data[body + 8]), interlace \(data[body + 12])") }
                switch data[body + 9] {
                case 2: channels = 3
                case 6: channels = 4
                default: throw Failure.unsupported("colour type \(data[body + 9])")
                }
            case "IDAT": compressed += data[body..<(body + length)]
            default: break
            }
            offset = body + length + 4
        }
        guard width > 0, height > 0, channels > 0 else { throw Failure.corrupt("no header") }
        let stride = width * channels
        var raw = [UInt8](repeating: 0, count: height * (stride + 1))
        var rawLength = uLongf(raw.count)
        let status = raw.withUnsafeMutableBufferPointer { output in
            compressed.withUnsafeBufferPointer { input in uncompress(output.baseAddress, &rawLength, input.baseAddress, uLong(input.count)) }
        }
        guard status == Z_OK, Int(rawLength) == raw.count else { throw Failure.corrupt("zlib status \(status), \(rawLength) of \(raw.count) bytes") }
        var rows = [UInt8](repeating: 0, count: height * stride)
        for y in 0..<height {
            let filter = raw[y * (stride + 1)]
            for x in 0..<stride {
                let value = raw[y * (stride + 1) + 1 + x]
                let left = x >= channels ? Int(rows[y * stride + x - channels]) : 0
                let up = y > 0 ? Int(rows[(y - 1) * stride + x]) : 0
                let upLeft = x >= channels && y > 0 ? Int(rows[(y - 1) * stride + x - channels]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = left
                case 2: predictor = up
                case 3: predictor = (left + up) / 2
                case 4:
                    let p = left + up - upLeft
                    let (pa, pb, pc) = (abs(p - left), abs(p - up), abs(p - upLeft))
                    predictor = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft
                default: throw Failure.corrupt("filter \(filter) on row \(y)")
                }
                rows[y * stride + x] = UInt8(truncatingIfNeeded: Int(value) + predictor)
            }
        }
        self.width = width
        self.height = height
        pixels = []
        pixels.reserveCapacity(width * height * 3)
        for index in 0..<(width * height) {
            pixels += rows[(index * channels)..<(index * channels + 3)]
        }
    }

    /// The share of pixels that are not (nearly) white, and of those in a clear colour (not grey: the charts'
    /// bars and lines, where text is black and grey).
    var inked: (share: Double, coloured: Double) {
        var inked = 0, coloured = 0
        for index in stride(from: 0, to: pixels.count, by: 3) {
            let (r, g, b) = (Int(pixels[index]), Int(pixels[index + 1]), Int(pixels[index + 2]))
            if r + g + b < 3 * 240 { inked += 1 }
            if max(r, g, b) - min(r, g, b) > 60 { coloured += 1 }
        }
        let total = Double(max(1, width * height))
        return (Double(inked) / total, Double(coloured) / total)
    }
}
