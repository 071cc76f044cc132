import Foundation
import GoCompat

/// JSON as ESO's Vault provider sees it, and the bytes it produces from it.
///
/// Vault's Go client decodes responses with `UseNumber`, so a number keeps the text Vault sent;
/// ESO then re-encodes secret data with Go's `json.Marshal` (keys sorted by bytes, `<`, `>`, `&`,
/// U+2028 and U+2029 escaped as `\u003c` ...). `dataFrom.extract` decodes those bytes once more
/// with plain `json.Unmarshal`, which turns every number into a `float64`. Both renderings are
/// reproduced here, byte for byte, because the bytes become Secret values and ESO's data hash
/// is computed over them: a Secret synced by ESO must come out identical.
enum VaultJSON {
    /// A decoded JSON value. Numbers keep their literal text.
    typealias Value = GoJSONValue
    /// How numbers are written back.
    typealias Numbers = GoJSONValue.Numbers
    typealias SyntaxError = GoJSONValue.SyntaxError

    static func parse(_ bytes: some Collection<UInt8>) throws(SyntaxError) -> Value {
        try GoJSONValue.parse(bytes)
    }

    /// Go's `json.Marshal` (HTML escaping on).
    static func marshal(_ value: Value, numbers: Numbers) -> [UInt8] {
        value.marshal(numbers: numbers)
    }

    /// `map[string]string` marshalled, as ESO does with fetched metadata.
    static func marshal(stringMap: [String: String]) -> [UInt8] {
        GoJSONString.encodeStringMap(stringMap.mapValues { Array($0.utf8) }, escapeHTML: true)
    }

    /// Go sorts map keys as byte strings.
    static func sortedKeys(_ keys: some Sequence<String>) -> [String] { GoJSONString.sortedKeys(keys) }
}

/// Go's `strconv.FormatFloat(f, 'f', -1, 64)` (what ESO's `GetByteValue` writes for a number):
/// the shortest digits that read back as the same value; Swift's `description` finds those digits.
enum GoFloat {
    /// The shortest decimal digits of `value` and the exponent `e` such that
    /// `value == 0.d1d2d3... × 10^e`. Zero has digits "0" and exponent 1.
    static func shortestDigits(_ value: Double) -> (digits: [UInt8], exponent: Int) {
        let text = "\(value.magnitude)"
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let whole = Array(parts[0].utf8)
        let fraction = parts.count > 1 ? Array(parts[1].utf8) : []
        var digits = whole + fraction
        var pointPosition = whole.count + exponent
        while let first = digits.first, first == UInt8(ascii: "0"), digits.count > 1 {
            digits.removeFirst()
            pointPosition -= 1
        }
        while let last = digits.last, last == UInt8(ascii: "0"), digits.count > 1 { digits.removeLast() }
        if digits == [UInt8(ascii: "0")] { return (digits, 1) }
        return (digits, pointPosition)
    }

    /// `strconv.FormatFloat(value, 'f', -1, 64)`.
    static func plain(_ value: Double) -> String {
        let (digits, exponent) = shortestDigits(value)
        var out = value.sign == .minus ? "-" : ""
        if exponent <= 0 {
            out += "0." + String(repeating: "0", count: -exponent) + String(decoding: digits, as: UTF8.self)
        } else if exponent >= digits.count {
            out += String(decoding: digits, as: UTF8.self) + String(repeating: "0", count: exponent - digits.count)
        } else {
            out +=
                String(decoding: digits[..<exponent], as: UTF8.self) + "."
                + String(decoding: digits[exponent...], as: UTF8.self)
        }
        return out
    }
}
