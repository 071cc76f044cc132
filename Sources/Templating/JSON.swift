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
    /// Parses JSON text into a value (objects → `map[string]interface{}`, arrays → `[]interface{}`),
    /// with Go's `json.Unmarshal` syntax (`GoJSONValue`). Nesting is limited to 1000 levels (Go
    /// allows 10000) to keep a small stack safe.
    public static func parseJSON(_ text: String, numbers: JSONNumberMode = .float64) throws(JSONError) -> Value {
        do {
            return Value(json: try GoJSONValue.parse(Array(text.utf8), numbers: .float64, maxDepth: 1000), numbers: numbers)
        } catch {
            throw JSONError(description: error.reason)
        }
    }

    private init(json: GoJSONValue, numbers: JSONNumberMode) {
        switch json {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .number(let text):
            let isInteger = !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
            if isInteger, numbers == .integersAsInt, let int = Int64(text) {
                self = .int(int, .int)
            } else {
                self = .float(Double(text) ?? 0)  // finite: checked by the .float64 parse
            }
        case .string(let text): self = .string(text)
        case .array(let items): self = .list(items.map { Value(json: $0, numbers: numbers) })
        case .object(let members): self = .dictionary(members.mapValues { Value(json: $0, numbers: numbers) })
        }
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
        // Back through init(goBytes:): a real rune at or above U+10FF00 (which JSON writes as
        // itself) must stay that rune, not turn into the escaped byte its scalar stands for.
        var out: [UInt8] = []
        GoJSONString.append(s.goBytes, escapeHTML: escapeHTML, to: &out)
        return String(goBytes: out)
    }
}
