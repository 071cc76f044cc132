/// Go's `strconv.Quote`, `QuoteToASCII` and `QuoteRune` (and so `fmt`'s `%q`), on Go strings:
/// bytes, where a byte that is not UTF-8 is written `\xNN`.
public enum GoQuote {
    /// Go's `strconv.Quote` (`asciiOnly`: `QuoteToASCII`) of a Swift string.
    public static func quote(_ s: String, asciiOnly: Bool = false) -> String {
        quote(bytes: Array(s.utf8), asciiOnly: asciiOnly)
    }

    /// Go's `strconv.Quote` of bytes that need not be UTF-8.
    public static func quote(bytes: [UInt8], asciiOnly: Bool = false) -> String {
        var out = "\""
        var i = 0
        while i < bytes.count {
            let (scalar, width) = GoUTF8.scalar(bytes, at: i)
            if let scalar {
                out += escape(scalar, quote: "\"", asciiOnly: asciiOnly)
            } else {
                out += "\\x" + hex(UInt32(bytes[i]), 2)
            }
            i += width
        }
        return out + "\""
    }

    /// Go's `strconv.QuoteRune` (`asciiOnly`: `QuoteRuneToASCII`); a value that is not a Unicode
    /// scalar is U+FFFD, as in Go.
    public static func quoteRune(_ r: Int64, asciiOnly: Bool = false) -> String {
        let scalar = (r >= 0 && r <= 0x10FFFF) ? Unicode.Scalar(UInt32(r)) ?? "\u{FFFD}" : "\u{FFFD}"
        return "'" + escape(scalar, quote: "'", asciiOnly: asciiOnly) + "'"
    }

    /// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and U+0020.
    public static func isPrint(_ s: Unicode.Scalar) -> Bool {
        if s == " " { return true }
        switch s.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }

    private static func escape(_ s: Unicode.Scalar, quote: Unicode.Scalar, asciiOnly: Bool) -> String {
        if s == quote || s == "\\" { return "\\" + String(s) }
        if asciiOnly {
            if s.value < 0x80 && isPrint(s) { return String(s) }
        } else if isPrint(s) {
            return String(s)
        }
        switch s {
        case "\u{07}": return "\\a"
        case "\u{08}": return "\\b"
        case "\u{0C}": return "\\f"
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case "\u{0B}": return "\\v"
        default:
            if s.value < 0x20 || s.value == 0x7F { return "\\x" + hex(s.value, 2) }
            if s.value < 0x10000 { return "\\u" + hex(s.value, 4) }
            return "\\U" + hex(s.value, 8)
        }
    }

    private static func hex(_ v: UInt32, _ width: Int) -> String {
        let digits = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
