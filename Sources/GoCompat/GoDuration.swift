/// Go's `time.ParseDuration`: a sequence of decimal numbers with units (`ns`, `us`, `µs`, `ms`,
/// `s`, `m`, `h`), optionally signed, e.g. `1h0m0s`, `15m`, `1.5h`. Returns nil for text Go
/// rejects.
public enum GoDuration {
    public static func parse(_ text: String) -> Duration? {
        var scalars = Substring(text)
        var negative = false
        if let first = scalars.first, first == "-" || first == "+" {
            negative = first == "-"
            scalars = scalars.dropFirst()
        }
        if scalars == "0" { return .zero }
        if scalars.isEmpty { return nil }
        var totalNanoseconds: Double = 0
        while !scalars.isEmpty {
            let number = scalars.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", number.filter({ $0 == "." }).count <= 1,
                let value = Double(number.hasPrefix(".") ? "0" + number : String(number))
            else { return nil }
            scalars = scalars.dropFirst(number.count)
            let unit = scalars.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard let scale = unitNanoseconds[String(unit)] else { return nil }
            scalars = scalars.dropFirst(unit.count)
            totalNanoseconds += value * scale
        }
        guard totalNanoseconds <= Double(Int64.max) else { return nil }
        let duration = Duration.nanoseconds(Int64(totalNanoseconds))
        return negative ? .zero - duration : duration
    }

    private static let unitNanoseconds: [String: Double] = [
        "ns": 1, "us": 1e3, "µs": 1e3, "μs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9,
    ]
}
