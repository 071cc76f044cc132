/// A JSON document as Go's `encoding/json` decodes it into `interface{}` with `UseNumber`:
/// numbers keep their text (`Numbers.float64` writes them as a `float64` would be), strings are
/// Unicode (bytes that are not UTF-8 and lone surrogates become U+FFFD, as in Go), an object is a
/// map (a repeated key keeps its last value).
public indirect enum GoJSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([GoJSONValue])
    case object([String: GoJSONValue])

    /// How numbers are written back.
    public enum Numbers: Sendable {
        /// As received (`json.Number`).
        case literal
        /// As Go writes a `float64` (`json.Unmarshal` into `interface{}` and marshalled again).
        case float64
    }

    public struct SyntaxError: Error, Equatable {
        /// Where and what, without quoting the input (it may be a secret).
        public var reason: String

        public init(reason: String) { self.reason = reason }
    }

    // MARK: - Decoding

    /// Go's `json.Unmarshal` syntax: one value, surrounded by white space only; nesting deeper
    /// than `maxDepth` is refused (Go stops at 10000). With `numbers: .float64` (`Unmarshal` into
    /// `interface{}` without `UseNumber`) a number outside float64's range is an error, as in Go.
    public static func parse(
        _ bytes: some Collection<UInt8>, numbers: Numbers = .literal, maxDepth: Int = 10_000
    ) throws(SyntaxError) -> GoJSONValue {
        var parser = Parser(bytes: Array(bytes), maxDepth: maxDepth, numbers: numbers)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.atEnd else { throw parser.failure("unexpected data after the top-level value") }
        return value
    }

    /// One member of a JSON object as written: the key's text (quotes included) and the value's
    /// text (nested values with their own spacing), and the key decoded.
    public struct RawMember: Sendable, Equatable {
        /// The key as written, quotes included.
        public var rawKey: [UInt8]
        /// The key decoded as `parse` decodes strings.
        public var key: String
        /// The value as written.
        public var value: [UInt8]

        public init(rawKey: [UInt8], key: String, value: [UInt8]) {
            self.rawKey = rawKey
            self.key = key
            self.value = value
        }
    }

    /// What `json.Unmarshal(bytes, &map[string]json.RawMessage{})` sees: the members of a JSON
    /// object in document order (a repeated key appears twice), each value's text exactly as
    /// written; nil for the document `null` (Go leaves the map nil). Any other valid document is
    /// refused, as Go refuses it. Syntax and `maxDepth` as `parse`; member values are checked
    /// without being built and without recursion, so deep nesting costs no stack.
    public static func rawMembers(
        _ bytes: some Collection<UInt8>, maxDepth: Int = 10_000
    ) throws(SyntaxError) -> [RawMember]? {
        var parser = Parser(bytes: Array(bytes), maxDepth: maxDepth, numbers: .literal)
        parser.skipSpace()
        let start = parser.index
        let members: [RawMember]?
        if !parser.atEnd, parser.bytes[start] == UInt8(ascii: "{") {
            members = try parser.rawMembers()
        } else {
            try parser.skipValue(depth: 0)
            members = nil
        }
        let end = parser.index
        parser.skipSpace()
        guard parser.atEnd else { throw parser.failure("unexpected data after the top-level value") }
        if members == nil, !parser.bytes[start..<end].elementsEqual("null".utf8) {
            throw SyntaxError(reason: "the value is not a JSON object")
        }
        return members
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        let maxDepth: Int
        let numbers: Numbers

        var atEnd: Bool { index >= bytes.count }

        func failure(_ what: String) -> SyntaxError { SyntaxError(reason: "\(what) at offset \(index)") }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func value(depth: Int) throws(SyntaxError) -> GoJSONValue {
            guard depth < maxDepth else { throw failure("nesting too deep") }
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

        mutating func object(depth: Int) throws(SyntaxError) -> GoJSONValue {
            index += 1
            var members: [String: GoJSONValue] = [:]
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                let (key, _) = try memberKey()
                members[key] = try value(depth: depth + 1)
                guard try moreElements(closedBy: UInt8(ascii: "}")) else { return .object(members) }
            }
        }

        /// A member's key and its colon, white space around them skipped: the key decoded, and
        /// where its text (quotes included) lies.
        mutating func memberKey() throws(SyntaxError) -> (String, Range<Int>) {
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw failure("expected a string object key")
            }
            let start = index
            let key = try string()
            let text = start..<index
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':'") }
            index += 1
            skipSpace()
            return (key, text)
        }

        /// The members of the object at `index` (a `{`), each value checked by `skipValue`.
        mutating func rawMembers() throws(SyntaxError) -> [RawMember] {
            index += 1
            var members: [RawMember] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return members
            }
            while true {
                let (key, keyText) = try memberKey()
                let valueStart = index
                try skipValue(depth: 1)
                members.append(
                    RawMember(rawKey: Array(bytes[keyText]), key: key, value: Array(bytes[valueStart..<index])))
                guard try moreElements(closedBy: UInt8(ascii: "}")) else { return members }
            }
        }

        /// After an element of an object or array: consumes `,` (true: another element follows)
        /// or `closer` (false: the list ended); anything else is Go's syntax error.
        mutating func moreElements(closedBy closer: UInt8) throws(SyntaxError) -> Bool {
            skipSpace()
            guard index < bytes.count else { throw failure("unexpected end of JSON input") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                return true
            }
            guard bytes[index] == closer else { throw failure("expected ',' or '\(Character(Unicode.Scalar(closer)))'") }
            index += 1
            return false
        }

        /// Checks one value at `depth` as `value(depth:)` does without building it, with a list
        /// of open containers instead of recursion.
        mutating func skipValue(depth: Int) throws(SyntaxError) {
            var closers: [UInt8] = []  // the closing bracket of each container still open
            while true {
                // One value: a scalar, or the start of a container.
                skipSpace()
                guard depth + closers.count < maxDepth else { throw failure("nesting too deep") }
                guard index < bytes.count else { throw failure("unexpected end of JSON input") }
                switch bytes[index] {
                case UInt8(ascii: "{"):
                    index += 1
                    skipSpace()
                    if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                        index += 1
                    } else {
                        closers.append(UInt8(ascii: "}"))
                        _ = try memberKey()
                        continue
                    }
                case UInt8(ascii: "["):
                    index += 1
                    skipSpace()
                    if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                        index += 1
                    } else {
                        closers.append(UInt8(ascii: "]"))
                        continue
                    }
                case UInt8(ascii: "\""): _ = try string()
                case UInt8(ascii: "t"): try literal("true")
                case UInt8(ascii: "f"): try literal("false")
                case UInt8(ascii: "n"): try literal("null")
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try number()
                default: throw failure("invalid character looking for beginning of value")
                }
                // After a value: close what it ends, or move on to the next element.
                while let closer = closers.last {
                    skipSpace()
                    guard index < bytes.count else { throw failure("unexpected end of JSON input") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        if closer == UInt8(ascii: "}") { _ = try memberKey() }
                        break
                    }
                    guard bytes[index] == closer else {
                        throw failure(closer == UInt8(ascii: "}") ? "expected ',' or '}'" : "expected ',' or ']'")
                    }
                    index += 1
                    closers.removeLast()
                }
                if closers.isEmpty { return }
            }
        }

        mutating func array(depth: Int) throws(SyntaxError) -> GoJSONValue {
            index += 1
            var elements: [GoJSONValue] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                skipSpace()
                elements.append(try value(depth: depth + 1))
                guard try moreElements(closedBy: UInt8(ascii: "]")) else { return .array(elements) }
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
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if numbers == .float64, Double(text)?.isFinite != true { throw failure("number out of float64 range") }
            return text
        }

        mutating func string() throws(SyntaxError) -> String {
            index += 1
            var scalars = String.UnicodeScalarView()
            var run: [UInt8] = []
            func flush(_ run: inout [UInt8], into scalars: inout String.UnicodeScalarView) {
                // Each byte that starts no valid sequence becomes U+FFFD, as Go decodes it (Swift's
                // own repair would give one U+FFFD for a truncated sequence of several bytes).
                var at = 0
                while at < run.count {
                    let (scalar, width) = GoUTF8.scalar(run, at: at)
                    scalars.append(scalar ?? "\u{FFFD}")
                    at += width
                }
                run.removeAll(keepingCapacity: true)
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

    /// The value as `json.Marshal` writes it: object keys sorted by bytes; strings as
    /// `GoJSONString` (`escapeHTML`: `json.Marshal`'s default).
    public func marshal(numbers: Numbers, escapeHTML: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        append(numbers: numbers, escapeHTML: escapeHTML, to: &out)
        return out
    }

    private func append(numbers: Numbers, escapeHTML: Bool, to out: inout [UInt8]) {
        switch self {
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
            GoJSONString.append(text.utf8, escapeHTML: escapeHTML, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                element.append(numbers: numbers, escapeHTML: escapeHTML, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, key) in GoJSONString.sortedKeys(members.keys).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                GoJSONString.append(key.utf8, escapeHTML: escapeHTML, to: &out)
                out.append(UInt8(ascii: ":"))
                members[key]!.append(numbers: numbers, escapeHTML: escapeHTML, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}
