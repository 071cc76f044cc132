import GoCompat
/// JSON text byte-identical to what ESO produces with Go's `encoding/json` (through ESO's
/// `JSONMarshal`: HTML escaping off, no trailing newline), and the decoding side of Go's
/// `json.Unmarshal` into `interface{}`.
///
/// The bytes matter: the whole-Secret JSON this provider returns becomes a value of the target
/// Secret, and ESO's data-hash annotation is computed over it. A Secret synced by ESO must hash
/// the same here, or a migration would rewrite every target.
///
/// Go's rules reproduced: object keys sorted by bytes; `"`, `\` and control characters escaped
/// (`\b \f \n \r \t` short, others `\u00xx` in lower-case hex); `<`, `>`, `&` and DEL kept as they
/// are; U+2028 and U+2029 escaped; each byte of invalid UTF-8 becomes `\ufffd`; numbers are
/// `float64` printed in the shortest form that reads back, in exponent form below 1e-6 and from
/// 1e21 up (`1e-7`, `1e+21`).
enum GoJSON {
    /// A JSON value as Go's `json.Unmarshal` into `interface{}` produces it: every number is a
    /// `float64`; objects are maps (a repeated key keeps its last value).
    indirect enum Value: Equatable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([Value])
        case object([String: Value])
    }

    // MARK: - Encoding

    /// `{"key":"value",...}` for a map of byte values, as Go marshals `map[string]string` built
    /// with `string(bytes)`.
    static func encodeStringMap(_ map: [String: some Collection<UInt8>]) -> [UInt8] {
        GoJSONString.encodeStringMap(map, escapeHTML: false)
    }

    /// Go's encoding of a `map[string]string` that may be nil (`null`).
    static func encodeOptionalStringMap(_ map: [String: String]?) -> [UInt8] {
        guard let map else { return Array("null".utf8) }
        return encodeStringMap(map.mapValues { Array($0.utf8) })
    }

    static func encode(_ value: Value) -> [UInt8] {
        var out: [UInt8] = []
        append(value, to: &out)
        return out
    }

    private static func append(_ value: Value, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number): out.append(contentsOf: formatFloat(number).utf8)
        case .string(let text): appendString(text.utf8, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                append(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, key) in sortedKeys(members.keys).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendString(key.utf8, to: &out)
                out.append(UInt8(ascii: ":"))
                append(members[key]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Keys in Go's order: byte-wise, not Swift's Unicode collation.
    static func sortedKeys(_ keys: some Sequence<String>) -> [String] { GoJSONString.sortedKeys(keys) }

    /// Go's `appendString` with HTML escaping off, over raw bytes.
    static func appendString(_ bytes: some Collection<UInt8>, to out: inout [UInt8]) {
        GoJSONString.append(bytes, escapeHTML: false, to: &out)
    }

    /// Go's `encoding/json` float64 encoding.
    static func formatFloat(_ value: Double) -> String { GoJSONNumber.format(value) }

    // MARK: - Decoding

    /// A JSON syntax error. Its text never quotes the input, which may be a secret value.
    struct SyntaxError: Error {}

    /// Parses `bytes` as Go's `json.Unmarshal` into `interface{}` does: invalid UTF-8 and lone
    /// surrogate escapes become U+FFFD, numbers that overflow `float64` are errors.
    static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> Value {
        var parser = Parser(bytes: bytes)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.index == bytes.count else { throw SyntaxError() }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ byte: UInt8) throws(SyntaxError) {
            guard index < bytes.count, bytes[index] == byte else { throw SyntaxError() }
            index += 1
        }

        mutating func value(depth: Int) throws(SyntaxError) -> Value {
            // Go stops at 10000 levels; a lower bound keeps the stack of a small task safe.
            guard depth < 512, index < bytes.count else { throw SyntaxError() }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var members: [String: Value] = [:]
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return .object(members)
                }
                while true {
                    skipSpace()
                    let key = try string()
                    skipSpace()
                    try expect(UInt8(ascii: ":"))
                    skipSpace()
                    members[key] = try value(depth: depth + 1)
                    skipSpace()
                    guard index < bytes.count else { throw SyntaxError() }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                    } else {
                        try expect(UInt8(ascii: "}"))
                        return .object(members)
                    }
                }
            case UInt8(ascii: "["):
                index += 1
                var items: [Value] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return .array(items)
                }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard index < bytes.count else { throw SyntaxError() }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                    } else {
                        try expect(UInt8(ascii: "]"))
                        return .array(items)
                    }
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"):
                try literal("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                return .null
            default:
                return .number(try number())
            }
        }

        mutating func literal(_ word: String) throws(SyntaxError) {
            for byte in word.utf8 { try expect(byte) }
        }

        mutating func number() throws(SyntaxError) -> Double {
            let start = index
            func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
            func digits() throws(SyntaxError) {
                guard index < bytes.count, isDigit(bytes[index]) else { throw SyntaxError() }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            if index < bytes.count, bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else {
                try digits()
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                try digits()
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                    index += 1
                }
                try digits()
            }
            guard let number = Double(String(decoding: bytes[start..<index], as: UTF8.self)), number.isFinite else {
                throw SyntaxError()
            }
            return number
        }

        mutating func string() throws(SyntaxError) -> String {
            try expect(UInt8(ascii: "\""))
            var scalars = String.UnicodeScalarView()
            while true {
                guard index < bytes.count else { throw SyntaxError() }
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    index += 1
                    guard index < bytes.count else { throw SyntaxError() }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"):
                        scalars.append(Unicode.Scalar(escape))
                    case UInt8(ascii: "b"): scalars.append("\u{08}")
                    case UInt8(ascii: "f"): scalars.append("\u{0C}")
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "u"):
                        scalars.append(try unicodeEscape())
                    default:
                        throw SyntaxError()
                    }
                case 0..<0x20:
                    throw SyntaxError()
                case 0..<0x80:
                    scalars.append(Unicode.Scalar(byte))
                    index += 1
                default:
                    let (scalar, size) = GoUTF8Decode.rune(bytes, at: index)
                    scalars.append(scalar ?? "\u{FFFD}")
                    index += size
                }
            }
        }

        /// The scalar of a `\uXXXX` escape (the `\u` already read), joining a surrogate pair; a
        /// lone surrogate is U+FFFD, as in Go.
        mutating func unicodeEscape() throws(SyntaxError) -> Unicode.Scalar {
            let first = try hex4()
            if (0xD800..<0xDC00).contains(first) {
                if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                    let saved = index
                    index += 2
                    let second = try hex4()
                    if (0xDC00..<0xE000).contains(second) {
                        return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))!
                    }
                    index = saved
                }
                return "\u{FFFD}"
            }
            return Unicode.Scalar(first) ?? "\u{FFFD}"
        }

        mutating func hex4() throws(SyntaxError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw SyntaxError() }
            var value: UInt32 = 0
            for byte in bytes[index..<(index + 4)] {
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw SyntaxError()
                }
                value = value << 4 | UInt32(digit)
            }
            index += 4
            return value
        }
    }
}
