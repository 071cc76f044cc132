/// Go's `time.Duration` text: `time.ParseDuration` and `Duration.String`, in Go's integer
/// arithmetic (a fraction is scaled as Go scales it, so `1.1s` is exactly 1100000000ns).
public enum GoDuration {
    /// Go's `time.ParseDuration`: signed decimal numbers with units (`ns`, `us`, `µs`, `μs`, `ms`,
    /// `s`, `m`, `h`), e.g. `1h0m0s`, `15m`, `1.5h`, `-2m3.5s`. Nil where Go returns an error.
    public static func parse(_ text: String) -> Duration? {
        parseNanoseconds(text).map { Duration.nanoseconds($0) }
    }

    /// `parse` as Go's int64 nanoseconds.
    public static func parseNanoseconds(_ input: String) -> Int64? {
        var s = Array(input.unicodeScalars)[...]
        var neg = false
        if let c = s.first, c == "-" || c == "+" {
            neg = c == "-"
            s = s.dropFirst()
        }
        if s.count == 1 && s.first == "0" { return 0 }
        if s.isEmpty { return nil }
        let limit = UInt64(1) << 63
        func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 48 && c.value <= 57 }
        var d: UInt64 = 0
        while let first = s.first {
            guard first == "." || isDigit(first) else { return nil }
            var v: UInt64 = 0
            var pre = false
            while let c = s.first, isDigit(c) {
                guard v <= (limit - 1) / 10 else { return nil }
                v = v * 10 + UInt64(c.value - 48)
                guard v <= limit else { return nil }
                s = s.dropFirst()
                pre = true
            }
            var f: UInt64 = 0
            var scale = 1.0
            var post = false
            if s.first == "." {
                s = s.dropFirst()
                var overflow = false
                while let c = s.first, isDigit(c) {
                    s = s.dropFirst()
                    post = true
                    if overflow { continue }
                    if f > (limit - 1) / 10 {
                        overflow = true
                        continue
                    }
                    let y = f * 10 + UInt64(c.value - 48)
                    if y > limit {
                        overflow = true
                        continue
                    }
                    f = y
                    scale *= 10
                }
            }
            guard pre || post else { return nil }
            var unitText = ""
            while let c = s.first, c != ".", !isDigit(c) {
                unitText.unicodeScalars.append(c)
                s = s.dropFirst()
            }
            guard !unitText.isEmpty, let unit = units[unitText] else { return nil }
            guard v <= limit / unit else { return nil }
            v *= unit
            if f > 0 {
                v += UInt64(Double(f) * (Double(unit) / scale))
                guard v <= limit else { return nil }
            }
            d += v
            guard d <= limit else { return nil }
        }
        if neg { return d == limit ? Int64.min : -Int64(d) }
        guard d <= limit - 1 else { return nil }
        return Int64(d)
    }

    private static let units: [String: UInt64] = [
        "ns": 1, "us": 1_000, "\u{00B5}s": 1_000, "\u{03BC}s": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
        "m": 60_000_000_000, "h": 3_600_000_000_000,
    ]

    /// Go's `Duration.String` (a duration past Go's int64 range is clamped to it).
    public static func string(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let (secondsNs, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, overflow2) = secondsNs.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow || overflow2 { return string(nanoseconds: seconds < 0 ? .min : .max) }
        return string(nanoseconds: total)
    }

    /// Go's `Duration.String` for int64 nanoseconds: `1h2m3.5s`, `1.5ms`, `0s`.
    public static func string(nanoseconds d: Int64) -> String {
        var u = d.magnitude
        let neg = d < 0
        var out = ""  // built right to left
        func fmtFrac(_ prec: Int) {
            var printed = false
            var frac = ""
            for _ in 0..<prec {
                let digit = u % 10
                printed = printed || digit != 0
                if printed { frac = String(digit) + frac }
                u /= 10
            }
            if printed { out = "." + frac + out }
        }
        if u < 1_000_000_000 {
            if u == 0 { return "0s" }
            var prec = 0
            if u < 1_000 {
                out = "ns"
            } else if u < 1_000_000 {
                prec = 3
                out = "µs"
            } else {
                prec = 6
                out = "ms"
            }
            fmtFrac(prec)
            out = String(u) + out
        } else {
            out = "s"
            fmtFrac(9)
            out = String(u % 60) + out
            u /= 60
            if u > 0 {
                out = String(u % 60) + "m" + out
                u /= 60
                if u > 0 { out = String(u) + "h" + out }
            }
        }
        return (neg ? "-" : "") + out
    }
}
