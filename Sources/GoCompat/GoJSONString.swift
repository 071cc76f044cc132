/// `encoding/json`'s encoding of strings and of `map[string]string`, byte for byte: `"` and `\`
/// escaped, `\n \r \t \b \f` short (Go 1.22+, what ESO is built with; Go 1.19 wrote `\u0008`,
/// `\u000c`), other control characters `\u00XX`, U+2028 and U+2029 escaped, bytes that are not
/// UTF-8 as `\ufffd`, and `<`, `>`, `&` as `\u003c`... when `escapeHTML` (`json.Marshal`'s
/// default; `Encoder.SetEscapeHTML(false)` turns it off).
public enum GoJSONString {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Go's `appendString`: the quoted string appended to `out`.
    public static func append(_ bytes: some Collection<UInt8>, escapeHTML: Bool, to out: inout [UInt8]) {
        let bytes = Array(bytes)
        out.append(UInt8(ascii: "\""))
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
                case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
                case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
                case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                case 0..<0x20:
                    appendEscape(byte, to: &out)
                case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"):
                    if escapeHTML { appendEscape(byte, to: &out) } else { out.append(byte) }
                default: out.append(byte)
                }
                index += 1
                continue
            }
            let (scalar, width) = GoUTF8.scalar(bytes, at: index)
            switch scalar {
            case nil: out += Array("\\ufffd".utf8)
            case "\u{2028}": out += Array("\\u2028".utf8)
            case "\u{2029}": out += Array("\\u2029".utf8)
            default: out += bytes[index..<(index + width)]
            }
            index += width
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `\u00XX` for an ASCII byte.
    private static func appendEscape(_ byte: UInt8, to out: inout [UInt8]) {
        out += Array("\\u00".utf8) + [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
    }

    /// A string as `json.Marshal` writes it.
    public static func quote(_ s: String, escapeHTML: Bool) -> String {
        quote(bytes: s.utf8, escapeHTML: escapeHTML)
    }

    /// A Go string (bytes that need not be UTF-8) as `json.Marshal` writes it.
    public static func quote(bytes: some Collection<UInt8>, escapeHTML: Bool) -> String {
        var out: [UInt8] = []
        append(bytes, escapeHTML: escapeHTML, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Map keys in the order Go writes them: sorted as byte strings.
    public static func sortedKeys(_ keys: some Sequence<String>) -> [String] {
        keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// `map[string]string` (values as bytes, as Go's `string(bytes)`) as `json.Marshal` writes it.
    public static func encodeStringMap(_ map: [String: some Collection<UInt8>], escapeHTML: Bool) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, key) in sortedKeys(map.keys).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            append(key.utf8, escapeHTML: escapeHTML, to: &out)
            out.append(UInt8(ascii: ":"))
            append(map[key]!, escapeHTML: escapeHTML, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}
