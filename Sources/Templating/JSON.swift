import GoCompat
/// How JSON numbers become template values.
public enum JSONNumberMode: Sendable {
    /// Every number is a `float64`, as Go's `encoding/json` decodes into `interface{}` (`fromJson`).
    case float64
    /// Integer literals that fit become Go `int`; others `float64`. Useful for test data.
    case integersAsInt
}

/// A JSON syntax error.
public struct JSONError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

extension Value {
    /// Parses JSON text into a value (objects → `map[string]interface{}`, arrays → `[]interface{}`).
    public static func parseJSON(_ text: String, numbers: JSONNumberMode = .float64) throws(JSONError) -> Value {
        var p = JSONParser(bytes: Array(text.utf8), mode: numbers)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        if p.i != p.bytes.count { throw JSONError(description: "invalid character after top-level value") }
        return v
    }
}

private struct JSONParser {
    let bytes: [UInt8]
    let mode: JSONNumberMode
    var i = 0

    init(bytes: [UInt8], mode: JSONNumberMode) {
        self.bytes = bytes
        self.mode = mode
    }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    func err(_ m: String) -> JSONError { JSONError(description: m) }

    mutating func value(depth: Int) throws(JSONError) -> Value {
        guard depth < 1000 else { throw err("exceeded max depth") }  // Go allows 10000; bounded lower for small stacks
        guard i < bytes.count else { throw err("unexpected end of JSON input") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var m: [String: Value] = [:]
            skipSpace()
            if i < bytes.count && bytes[i] == UInt8(ascii: "}") {
                i += 1
                return .dictionary(m)
            }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw err("expected object key") }
                let k = try string()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw err("expected colon") }
                i += 1
                skipSpace()
                m[k] = try value(depth: depth + 1)
                skipSpace()
                guard i < bytes.count else { throw err("unexpected end of JSON input") }
                if bytes[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                if bytes[i] == UInt8(ascii: "}") {
                    i += 1
                    return .dictionary(m)
                }
                throw err("invalid character in object")
            }
        case UInt8(ascii: "["):
            i += 1
            var l: [Value] = []
            skipSpace()
            if i < bytes.count && bytes[i] == UInt8(ascii: "]") {
                i += 1
                return .list(l)
            }
            while true {
                skipSpace()
                l.append(try value(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else { throw err("unexpected end of JSON input") }
                if bytes[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                if bytes[i] == UInt8(ascii: "]") {
                    i += 1
                    return .list(l)
                }
                throw err("invalid character in array")
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default:
            return try number()
        }
    }

    mutating func literal(_ word: String, _ v: Value) throws(JSONError) -> Value {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else { throw err("invalid literal") }
        i += w.count
        return v
    }

    mutating func number() throws(JSONError) -> Value {
        let start = i
        func digit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        if i < bytes.count && bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count, digit(bytes[i]) else { throw err("invalid character looking for beginning of value") }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while i < bytes.count && digit(bytes[i]) { i += 1 }
        }
        var isInt = true
        if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
            isInt = false
            i += 1
            guard i < bytes.count, digit(bytes[i]) else { throw err("invalid number") }
            while i < bytes.count && digit(bytes[i]) { i += 1 }
        }
        if i < bytes.count && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            isInt = false
            i += 1
            if i < bytes.count && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
            guard i < bytes.count, digit(bytes[i]) else { throw err("invalid number") }
            while i < bytes.count && digit(bytes[i]) { i += 1 }
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if isInt, mode == .integersAsInt, let v = Int64(text) { return .int(v, .int) }
        guard let d = Double(text), d.isFinite else { throw err("number out of range") }
        return .float(d)
    }

    mutating func string() throws(JSONError) -> String {
        i += 1  // opening quote
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else { throw err("unexpected end of JSON input") }
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            if c < 0x20 { throw err("invalid character in string literal") }
            if c != UInt8(ascii: "\\") {
                out.append(c)
                i += 1
                continue
            }
            i += 1
            guard i < bytes.count else { throw err("unexpected end of JSON input") }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if code >= 0xD800 && code < 0xDC00 {
                    // Surrogate pair, or U+FFFD when unpaired (Go's behaviour).
                    if i + 1 < bytes.count && bytes[i] == UInt8(ascii: "\\") && bytes[i + 1] == UInt8(ascii: "u") {
                        let save = i
                        i += 2
                        let low = try hex4()
                        if low >= 0xDC00 && low < 0xE000 {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            i = save
                            code = 0xFFFD
                        }
                    } else {
                        code = 0xFFFD
                    }
                } else if code >= 0xDC00 && code < 0xE000 {
                    code = 0xFFFD
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(code) ?? "\u{FFFD}")).utf8))
            default:
                throw err("invalid escape in string literal")
            }
        }
    }

    mutating func hex4() throws(JSONError) -> UInt32 {
        guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16)
        else { throw err("invalid unicode escape") }
        i += 4
        return v
    }
}

// MARK: - Encoding

/// Go's `encoding/json` marshalling of template values.
struct GoJSONEncoder {
    var escapeHTML = true
    var indent: String? = nil

    struct Unsupported: Error { var message: String }

    func encode(_ v: Value) throws(Unsupported) -> String {
        var out = ""
        try write(v, into: &out, level: 0)
        return out
    }

    private func newline(_ out: inout String, _ level: Int) {
        guard let indent else { return }
        out += "\n" + String(repeating: indent, count: level)
    }

    private func write(_ v: Value, into out: inout String, level: Int) throws(Unsupported) {
        // Go's encoder reports cycles after 1000 levels; this bound also keeps the stack safe.
        if level > 1000 { throw Unsupported(message: "json: unsupported value: encountered a cycle") }
        switch v {
        case .missing, .null: out += "null"
        case .time(let t): out += "\"" + t.format("2006-01-02T15:04:05.999999999Z07:00") + "\""
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i, let t): out += t.isUnsigned ? String(UInt64(bitPattern: i)) : String(i)
        case .float(let f): out += try Self.formatFloat(f)
        case .object(let o):
            switch o.jsonForm {
            case .string(let s): out += quote(s)
            case .object(let fields):
                out += "{"
                for (k, (name, value)) in fields.enumerated() {
                    if k > 0 { out += "," }
                    newline(&out, level + 1)
                    out += quote(name) + (indent == nil ? ":" : ": ")
                    try write(value, into: &out, level: level + 1)
                }
                newline(&out, level)
                out += "}"
            }
        case .string(let s): out += quote(s)
        case .bytes(let b): out += "\"" + GoBase64.encode(b) + "\""
        case .list(let l, _, let isNil):
            if isNil {
                out += "null"
                return
            }
            if l.isEmpty {
                out += "[]"
                return
            }
            out += "["
            for (k, item) in l.enumerated() {
                if k > 0 { out += "," }
                newline(&out, level + 1)
                try write(item, into: &out, level: level + 1)
            }
            newline(&out, level)
            out += "]"
        case .map(let box):
            let m = box.entries
            if box.isNil {
                out += "null"
                return
            }
            if m.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            for (k, key) in Value.sortedKeys(m).enumerated() {
                if k > 0 { out += "," }
                newline(&out, level + 1)
                out += quote(key) + (indent == nil ? ":" : ": ")
                try write(m[key]!, into: &out, level: level + 1)
            }
            newline(&out, level)
            out += "}"
        }
    }

    static func formatFloat(_ f: Double) throws(Unsupported) -> String {
        guard f.isFinite else { throw Unsupported(message: "json: unsupported value: \(goFormatFloat(f, "g", -1))") }
        return GoJSONNumber.format(f)
    }

    /// `json.Marshal`'s string encoding of a template string (raw bytes written as `\ufffd`).
    func quote(_ s: String) -> String {
        GoJSONString.quote(bytes: s.goBytes, escapeHTML: escapeHTML)
    }
}
