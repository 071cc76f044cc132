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
    indirect enum Value: Sendable, Equatable {
        case null
        case bool(Bool)
        case number(String)
        case string(String)
        case array([Value])
        case object([String: Value])
    }

    /// How numbers are written back.
    enum Numbers {
        /// As received (`json.Number`).
        case literal
        /// As Go writes a `float64` (`json.Unmarshal` into `interface{}` and marshalled again).
        case float64
    }

    struct SyntaxError: Error, Equatable {
        /// Where and what, without quoting the input (it may be a secret).
        var reason: String
    }

    // MARK: - Decoding

    static func parse(_ bytes: some Collection<UInt8>) throws(SyntaxError) -> Value {
        var parser = Parser(bytes: Array(bytes))
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.atEnd else { throw parser.failure("unexpected data after the top-level value") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        static let maxDepth = 10_000

        var atEnd: Bool { index >= bytes.count }

        func failure(_ what: String) -> SyntaxError { SyntaxError(reason: "\(what) at offset \(index)") }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func value(depth: Int) throws(SyntaxError) -> Value {
            guard depth < Self.maxDepth else { throw failure("nesting too deep") }
            guard index < bytes.count else { throw failure("unexpected end of JSON input") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw failure("invalid character looking for beginning of value")
            }
        }

        mutating func literal(_ word: String) throws(SyntaxError) {
            let expected = Array(word.utf8)
            guard index + expected.count <= bytes.count, Array(bytes[index..<index + expected.count]) == expected else {
                throw failure("invalid literal")
            }
            index += expected.count
        }

        mutating func object(depth: Int) throws(SyntaxError) -> Value {
            index += 1
            var members: [String: Value] = [:]
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                    throw failure("expected a string object key")
                }
                let key = try string()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':'") }
                index += 1
                skipSpace()
                members[key] = try value(depth: depth + 1)
                skipSpace()
                guard index < bytes.count else { throw failure("unexpected end of JSON input") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "}") else { throw failure("expected ',' or '}'") }
                index += 1
                return .object(members)
            }
        }

        mutating func array(depth: Int) throws(SyntaxError) -> Value {
            index += 1
            var elements: [Value] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                skipSpace()
                elements.append(try value(depth: depth + 1))
                skipSpace()
                guard index < bytes.count else { throw failure("unexpected end of JSON input") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "]") else { throw failure("expected ',' or ']'") }
                index += 1
                return .array(elements)
            }
        }

        mutating func number() throws(SyntaxError) -> String {
            let start = index
            func digits(_ parser: inout Parser) -> Int {
                let from = parser.index
                while parser.index < parser.bytes.count,
                    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(parser.bytes[parser.index])
                {
                    parser.index += 1
                }
                return parser.index - from
            }
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count else { throw failure("invalid number") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else if digits(&self) == 0 {
                throw failure("invalid number")
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits(&self) > 0 else { throw failure("invalid number") }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                    index += 1
                }
                guard digits(&self) > 0 else { throw failure("invalid number") }
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func string() throws(SyntaxError) -> String {
            index += 1
            var scalars = String.UnicodeScalarView()
            var run: [UInt8] = []
            func flush(_ run: inout [UInt8], into scalars: inout String.UnicodeScalarView) {
                if !run.isEmpty {
                    // Invalid UTF-8 becomes U+FFFD, as Go decodes it.
                    scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
                    run.removeAll(keepingCapacity: true)
                }
            }
            while true {
                guard index < bytes.count else { throw failure("unexpected end of JSON input in string") }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    flush(&run, into: &scalars)
                    return String(scalars)
                }
                if byte < 0x20 { throw failure("invalid control character in string") }
                if byte != UInt8(ascii: "\\") {
                    run.append(byte)
                    index += 1
                    continue
                }
                flush(&run, into: &scalars)
                index += 1
                guard index < bytes.count else { throw failure("unexpected end of JSON input in string") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{8}")
                case UInt8(ascii: "f"): scalars.append("\u{c}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    let first = try hex4()
                    if (0xD800..<0xDC00).contains(first) {
                        // A high surrogate needs a low one right after; otherwise U+FFFD, as in Go.
                        let save = index
                        if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                            bytes[index + 1] == UInt8(ascii: "u")
                        {
                            index += 2
                            let second = try hex4()
                            if (0xDC00..<0xE000).contains(second) {
                                let combined = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                                scalars.append(Unicode.Scalar(combined) ?? "\u{FFFD}")
                                continue
                            }
                            index = save
                        }
                        scalars.append("\u{FFFD}")
                    } else {
                        scalars.append(Unicode.Scalar(first) ?? "\u{FFFD}")
                    }
                default:
                    throw failure("invalid escape in string")
                }
            }
        }

        mutating func hex4() throws(SyntaxError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw failure("invalid \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw failure("invalid \\u escape")
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }
    }

    // MARK: - Encoding (Go's json.Marshal)

    static func marshal(_ value: Value, numbers: Numbers) -> [UInt8] {
        var out: [UInt8] = []
        append(value, numbers: numbers, to: &out)
        return out
    }

    /// `map[string]string` marshalled, as ESO does with fetched metadata.
    static func marshal(stringMap: [String: String]) -> [UInt8] {
        marshal(.object(stringMap.mapValues { .string($0) }), numbers: .literal)
    }

    private static func append(_ value: Value, numbers: Numbers, to out: inout [UInt8]) {
        switch value {
        case .null:
            out.append(contentsOf: "null".utf8)
        case .bool(let flag):
            out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let text):
            switch numbers {
            case .literal: out.append(contentsOf: text.utf8)
            case .float64: out.append(contentsOf: GoJSONNumber.format(Double(text) ?? 0).utf8)
            }
        case .string(let text):
            appendString(text, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                append(element, numbers: numbers, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, key) in sortedKeys(members.keys).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                append(members[key]!, numbers: numbers, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Go sorts map keys as byte strings.
    static func sortedKeys(_ keys: some Sequence<String>) -> [String] { GoJSONString.sortedKeys(keys) }

    /// `json.Marshal`'s string encoding (HTML escaping on).
    private static func appendString(_ text: String, to out: inout [UInt8]) {
        GoJSONString.append(text.utf8, escapeHTML: true, to: &out)
    }
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
