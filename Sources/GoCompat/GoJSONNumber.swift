/// `encoding/json`'s numbers.
public enum GoJSONNumber {
    /// Go's `encoding/json` encoding of a finite float64: `strconv.FormatFloat(f, 'f', -1, 64)`, or
    /// `'e'` for magnitudes below 1e-6 or from 1e21, with a one-digit negative exponent not
    /// zero-padded. (Go refuses NaN and infinities; callers check `isFinite`.)
    public static func format(_ value: Double) -> String {
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        let sign = value < 0 ? "-" : ""
        let magnitude = Swift.abs(value)
        let (digits, pointPosition) = shortestDigits(magnitude)
        if magnitude < 1e-6 || magnitude >= 1e21 {
            var text = sign + String(digits.first!)
            if digits.count > 1 { text += "." + digits.dropFirst() }
            let exponent = pointPosition - 1
            let exponentText = String(Swift.abs(exponent))
            // Go prints at least two exponent digits; encoding/json then trims `e-0d` to `e-d`.
            if exponent < 0 {
                text += "e-" + exponentText
            } else {
                text += "e+" + (exponentText.count < 2 ? "0" + exponentText : exponentText)
            }
            return text
        }
        return plain(value)
    }

    /// Go's `strconv.FormatFloat(value, 'f', -1, 64)` of a finite float64: the shortest digits
    /// that read back as `value`, never in exponent form (`1e21` is `1000000000000000000000`).
    public static func plain(_ value: Double) -> String {
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        let sign = value < 0 ? "-" : ""
        let (digits, pointPosition) = shortestDigits(Swift.abs(value))
        if pointPosition <= 0 {
            return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
        }
        if pointPosition >= digits.count {
            return sign + digits + String(repeating: "0", count: pointPosition - digits.count)
        }
        let split = digits.index(digits.startIndex, offsetBy: pointPosition)
        return sign + digits[..<split] + "." + digits[split...]
    }

    /// Go's `strconv.FormatFloat(value, 'g', -1, 64)` (what `fmt`'s `%v` prints for a float64):
    /// the shortest digits that read back as `value`, in exponent form when the decimal exponent
    /// is below -4 or at least 6 (Go decides with precision 6 for the shortest form): `1e+06`,
    /// `1.234567e+06`, `1e-05`, but `123456` and `0.0001`; the exponent has two digits at least.
    public static func shortest(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        let sign = value < 0 ? "-" : ""
        let (digits, pointPosition) = shortestDigits(Swift.abs(value))
        let exponent = pointPosition - 1
        guard exponent < -4 || exponent >= 6 else { return plain(value) }
        var text = sign + String(digits.first!)
        if digits.count > 1 { text += "." + digits.dropFirst() }
        let exponentText = String(Swift.abs(exponent))
        return text + (exponent < 0 ? "e-" : "e+") + (exponentText.count < 2 ? "0" : "") + exponentText
    }

    /// The shortest decimal digits that read back as `magnitude` (Swift's `description` has the
    /// same shortest-round-trip property as Go's `-1` precision), without leading or trailing
    /// zeros, and where the decimal point sits: value = 0.DIGITS × 10^pointPosition.
    private static func shortestDigits(_ magnitude: Double) -> (String, Int) {
        let text = magnitude.description
        let parts = text.split(separator: "e", maxSplits: 1)
        let mantissa = parts[0]
        let exponent = parts.count > 1 ? Int(parts[1])! : 0
        var digits = ""
        var pointPosition = 0
        var seenPoint = false
        for character in mantissa {
            if character == "." {
                seenPoint = true
                continue
            }
            digits.append(character)
            if !seenPoint { pointPosition += 1 }
        }
        pointPosition += exponent
        while digits.hasPrefix("0") {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.hasSuffix("0") { digits.removeLast() }
        return (digits, pointPosition)
    }
}
