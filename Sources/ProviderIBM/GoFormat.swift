import GoCompat

/// Go's `fmt.Sprintf("%v", x)` of a JSON value decoded into `interface{}` (what ESO's IBM provider
/// writes for each field with `metadataPolicy: Fetch`): strings as they are, numbers as `float64`
/// (`%g` with the shortest digits: `20`, `1e+06`), `[a b]` for arrays, `map[k:v]` with sorted keys
/// for objects, `<nil>` for null.
enum GoFormat {
    static func value(_ value: GoJSONValue) -> String {
        switch value {
        case .null: return "<nil>"
        case .bool(let flag): return flag ? "true" : "false"
        case .string(let text): return text
        case .number(let text): return Double(text).map(float) ?? text
        case .array(let items): return "[" + items.map { Self.value($0) }.joined(separator: " ") + "]"
        case .object(let fields):
            let sorted = fields.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            return "map[" + sorted.map { "\($0):\(Self.value(fields[$0]!))" }.joined(separator: " ") + "]"
        }
    }

    /// `strconv.FormatFloat(x, 'g', -1, 64)`: the shortest digits that read back as `x`, in
    /// exponent form when the exponent is below -4 or at least 6 (two-digit exponent at least).
    static func float(_ number: Double) -> String {
        if number.isNaN { return "NaN" }
        if number.isInfinite { return number < 0 ? "-Inf" : "+Inf" }
        let negative = number.sign == .minus
        if number == 0 { return negative ? "-0" : "0" }
        // Swift's description holds the shortest round-trip digits; read digits and exponent off it.
        var text = "\(abs(number))"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let integer = String(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = integer + fraction
        // The decimal point sits after `point` digits of `digits`.
        var point = integer.count + exponent
        while digits.hasPrefix("0"), digits.count > 1 {
            digits.removeFirst()
            point -= 1
        }
        while digits.hasSuffix("0"), digits.count > 1 { digits.removeLast() }
        let sign = negative ? "-" : ""
        let decimalExponent = point - 1
        if decimalExponent < -4 || decimalExponent >= 6 {
            var mantissa = String(digits.prefix(1))
            if digits.count > 1 { mantissa += "." + digits.dropFirst() }
            let magnitude = abs(decimalExponent)
            return sign + mantissa + "e" + (decimalExponent < 0 ? "-" : "+") + (magnitude < 10 ? "0" : "")
                + String(magnitude)
        }
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + digits }
        if point >= digits.count { return sign + digits + String(repeating: "0", count: point - digits.count) }
        return sign + digits.prefix(point) + "." + digits.dropFirst(point)
    }
}
